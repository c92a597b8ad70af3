/*
 * notify_int.h - what the files of src/notify/ share: the provider
 * settings, the outbound HTTP call, the provider senders and JWT signing.
 * Not for other modules.
 */
#ifndef TRAVLOC_NOTIFY_INT_H
#define TRAVLOC_NOTIFY_INT_H

#include "core/buf.h"
#include "core/config.h"
#include "notify/notify.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The configuration providers read: the server's (serve) or one parsed
 * from the environment (worker). Never NULL after notify_register(). */
const config_t *notify__config(void);

/* Immediate single-user send inside the caller's transaction (notify.c);
 * dispatch jobs call it per recipient. */
int notify__now(store_conn_t *db, const char *user_id, const char *category, const char *tmpl,
                json_t *data, const char *language, const char *topic, char id_out[37],
                apierr_t *err);

/* ---- outbound HTTP (push_http.c) --------------------------------------------- */

typedef struct {
    const char *method;       /* "POST" */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated */
    const void *body;
    size_t body_len;
    bool http2;               /* require HTTP/2 (APNs) */
    /* out */
    long status;              /* 0 when no HTTP response (timeout, refused) */
    buf_t response;           /* body, owned: buf_free it */
    char error[256];          /* transport error when status == 0 */
} push_http_t;

/* Runs the request on the thread pool (blocking outside a coroutine) with
 * the configured CA file and timeout. Returns 0 when a response arrived
 * (any status), -1 on a transport error (h->error says which). */
int push_http(push_http_t *h);

/* ---- providers ------------------------------------------------------------------ */

typedef struct {
    const char *delivery_id;  /* stable per delivery: collapse id / Topic */
    const char *notification_id;
    const char *category;
    const char *title, *body;
    json_t *data;
} push_msg_t;

typedef struct {
    const char *provider;     /* fcm, apns, webpush */
    const char *token;        /* token or Web Push endpoint */
    const char *p256dh, *auth;
} push_device_t;

typedef enum {
    PUSH_SENT = 0,            /* accepted by the provider */
    PUSH_RETRY = 1,           /* 5xx, 429, timeout, transport error */
    PUSH_GONE = 2,            /* 404/410 or an unregistered token: deactivate */
    PUSH_FAILED = 3,          /* refused for good (bad request, not configured) */
} push_outcome_t;

typedef struct {
    push_outcome_t outcome;
    long status;              /* HTTP status, 0 when none */
    char reason[200];
} push_result_t;

void push_send(const push_device_t *d, const push_msg_t *m, push_result_t *out);
void push_webpush(const push_device_t *d, const push_msg_t *m, push_result_t *out);
void push_fcm(const push_device_t *d, const push_msg_t *m, push_result_t *out);
void push_apns(const push_device_t *d, const push_msg_t *m, push_result_t *out);
/* Maps a provider's HTTP answer to an outcome (shared rules). */
void push_classify(long status, const char *transport_error, push_result_t *out);

/* ---- signing (jws.c) ------------------------------------------------------------- */

/* A compact JWS of header and claims (objects, borrowed) signed with the
 * PEM private key: ES256 (P-256, raw r||s) or RS256. Heap string or NULL. */
char *notify__jws(const char *alg, json_t *header, json_t *claims, const char *pem);
/* base64url without padding into a heap string. */
char *notify__b64url(const void *p, size_t n);
/* Reads a whole (small) file into a heap string, on the thread pool. */
char *notify__read_file(const char *path);

/* RFC 8291 aes128gcm body for one record (webpush.c; pure, unit-tested):
 * ua_public (65 bytes), auth (16), plaintext. as_private_pem NULL makes a
 * fresh ephemeral key, salt NULL a random salt. Heap body or NULL. */
uint8_t *notify__ece_encrypt(const uint8_t ua_public[65], const uint8_t auth[16],
                             const void *plain, size_t plain_len, const uint8_t *salt,
                             size_t *out_len);

#endif

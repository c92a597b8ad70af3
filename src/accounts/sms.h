/*
 * sms.h - the SMS provider interface behind the outbox (mailer.h).
 *
 * Handlers never send an SMS themselves: they queue a row of kind "sms"
 * with mailer_enqueue(), and the SMS_SEND job (mail_job.c, on the thread
 * pool, never an event loop) hands it to the configured provider through
 * sms_send(). Two providers exist:
 *
 *   outbox (default)  writes {"to","body"} as one JSON file per message
 *                     into <data_dir>/sms/new/ (what the tests read);
 *   http (SMS_URL)    POSTs JSON {"to","body","from"?} with libcurl, with
 *                     "Authorization: Bearer SMS_TOKEN" when a token is set
 *                     and "Idempotency-Key: <outbox id>" so a provider can
 *                     drop a duplicate.
 *
 * A provider answers SMS_SENT (the message is delivered: the outbox marks
 * it sent and never sends it again) or SMS_RETRY (5xx, 408, 429, other
 * non-2xx answers, timeouts, refused connections: the job attempt fails
 * and the queue retries it with exponential backoff). Nothing is dropped.
 *
 * Threads: sms_init() once at start-up (main thread, checks SMS_URL);
 * sms_send() from thread-pool work only. Strings are borrowed for the call.
 */
#ifndef TRAVLOC_SMS_H
#define TRAVLOC_SMS_H

#include "core/config.h"

#include <stddef.h>

typedef enum { SMS_SENT = 0, SMS_RETRY = -1 } sms_status_t;

typedef struct sms_provider {
    const char *name; /* "outbox" or "http" */
    /* id: the outbox row id (stable across retries). On SMS_RETRY `why`
     * says what went wrong (for the row's last_error and the log). */
    sms_status_t (*send)(const config_t *cfg, const char *id, const char *to, const char *body,
                         char *why, size_t whylen);
} sms_provider_t;

extern const sms_provider_t sms_outbox_provider;
extern const sms_provider_t sms_http_provider;

/* Checks the provider choice of cfg (sms_url set: http; it must start with
 * http:// or https://). Returns 0 or -1 with err. */
int sms_init(const config_t *cfg, char *err, size_t errlen);
/* The provider the last sms_init() chose (outbox before any call). */
const sms_provider_t *sms_current(void);
/* The provider cfg selects (http when sms_url is set, else outbox). */
const sms_provider_t *sms_provider_for(const config_t *cfg);

/* Delivers through the provider cfg selects. */
sms_status_t sms_send(const config_t *cfg, const char *id, const char *to, const char *body,
                      char *why, size_t whylen);

/* The JSON request body the http provider sends (heap string, caller
 * frees); from may be NULL or empty (then omitted). Pure, unit-testable. */
char *sms_http_body(const char *to, const char *body, const char *from);

#endif

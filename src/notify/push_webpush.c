/*
 * push_webpush.c - Web Push: RFC 8291 message encryption (aes128gcm, RFC
 * 8188, one record) with an ephemeral ECDH P-256 key and HKDF-SHA-256,
 * and RFC 8292 VAPID (an ES256 JWT for the endpoint's origin plus our
 * public key in the Authorization header). OpenSSL does the maths; every
 * key and buffer is released before returning.
 */
#include "notify/notify_int.h"

#include "core/clock.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RECORD_SIZE 4096

static void hmac256(const uint8_t *key, size_t klen, const uint8_t *d, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len);
}

/* HKDF-Expand for one block (L <= 32): T(1) = HMAC(prk, info || 0x01). */
static void hkdf_expand1(const uint8_t prk[32], const uint8_t *info, size_t ilen, uint8_t *out,
                         size_t l)
{
    uint8_t tmp[256], t[32];
    memcpy(tmp, info, ilen);
    tmp[ilen] = 1;
    hmac256(prk, 32, tmp, ilen + 1, t);
    memcpy(out, t, l);
}

static EVP_PKEY *peer_key(EVP_PKEY *like, const uint8_t pub[65])
{
    EVP_PKEY *p = EVP_PKEY_new();
    if (!p || EVP_PKEY_copy_parameters(p, like) != 1 ||
        EVP_PKEY_set1_encoded_public_key(p, pub, 65) != 1) {
        EVP_PKEY_free(p);
        return NULL;
    }
    return p;
}

uint8_t *notify__ece_encrypt(const uint8_t ua_public[65], const uint8_t auth[16],
                             const void *plain, size_t plain_len, const uint8_t *salt_in,
                             size_t *out_len)
{
    if (plain_len + 1 + 16 + 86 > RECORD_SIZE)
        return NULL;
    EVP_PKEY *as = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ua = as ? peer_key(as, ua_public) : NULL;
    EVP_PKEY_CTX *dc = ua ? EVP_PKEY_CTX_new(as, NULL) : NULL;
    uint8_t secret[32], *as_pub = NULL, *out = NULL;
    size_t slen = sizeof secret;
    size_t as_len = 0;
    EVP_CIPHER_CTX *cc = NULL;
    if (!dc || EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, ua) != 1 ||
        EVP_PKEY_derive(dc, secret, &slen) != 1 || slen != 32 ||
        (as_len = EVP_PKEY_get1_encoded_public_key(as, &as_pub)) != 65)
        goto done;
    /* IKM = HKDF(salt=auth, ikm=ecdh, info="WebPush: info\0" || ua || as, 32) */
    uint8_t prk_key[32], ikm[32], info[144];
    hmac256(auth, 16, secret, 32, prk_key);
    memcpy(info, "WebPush: info", 14); /* the NUL is part of the info */
    memcpy(info + 14, ua_public, 65);
    memcpy(info + 79, as_pub, 65);
    hkdf_expand1(prk_key, info, 144, ikm, 32);
    uint8_t salt[16], prk[32], cek[16], nonce[12];
    if (salt_in)
        memcpy(salt, salt_in, 16);
    else if (RAND_bytes(salt, 16) != 1)
        goto done;
    hmac256(salt, 16, ikm, 32, prk);
    hkdf_expand1(prk, (const uint8_t *)"Content-Encoding: aes128gcm", 28, cek, 16);
    hkdf_expand1(prk, (const uint8_t *)"Content-Encoding: nonce", 24, nonce, 12);
    size_t head = 16 + 4 + 1 + 65;
    out = malloc(head + plain_len + 1 + 16);
    if (!out)
        goto done;
    memcpy(out, salt, 16);
    out[16] = 0;
    out[17] = 0;
    out[18] = RECORD_SIZE >> 8;
    out[19] = RECORD_SIZE & 0xff;
    out[20] = 65;
    memcpy(out + 21, as_pub, 65);
    uint8_t *rec = malloc(plain_len + 1);
    int n1 = 0, n2 = 0;
    cc = EVP_CIPHER_CTX_new();
    bool ok = rec && cc;
    if (ok) {
        memcpy(rec, plain, plain_len);
        rec[plain_len] = 2; /* last record, no padding */
        ok = EVP_EncryptInit_ex(cc, EVP_aes_128_gcm(), NULL, cek, nonce) == 1 &&
             EVP_EncryptUpdate(cc, out + head, &n1, rec, (int)plain_len + 1) == 1 &&
             EVP_EncryptFinal_ex(cc, out + head + n1, &n2) == 1 &&
             EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, out + head + n1 + n2) == 1;
    }
    free(rec);
    if (!ok) {
        free(out);
        out = NULL;
        goto done;
    }
    *out_len = head + (size_t)n1 + (size_t)n2 + 16;
done:
    EVP_CIPHER_CTX_free(cc);
    OPENSSL_free(as_pub);
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_free(ua);
    EVP_PKEY_free(as);
    return out;
}

/* "https://host:port" of an endpoint URL into out. */
static int origin_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    const char *end = strchr(p + 3, '/');
    size_t len = end ? (size_t)(end - url) : strlen(url);
    if (len >= n)
        return -1;
    memcpy(out, url, len);
    out[len] = '\0';
    return 0;
}

static const char default_hosts[] = "fcm.googleapis.com,push.services.mozilla.com,"
                                    "notify.windows.com,push.apple.com";

static bool host_matches(const char *host, size_t hlen, const char *entry, size_t elen)
{
    if (elen == 0 || elen > hlen)
        return false;
    if (strncasecmp(host + hlen - elen, entry, elen) != 0)
        return false;
    return hlen == elen || host[hlen - elen - 1] == '.';
}

bool notify_webpush_host_allowed(const char *endpoint)
{
    if (!endpoint || strncmp(endpoint, "https://", 8) != 0)
        return false;
    const char *host = endpoint + 8;
    size_t hlen = strcspn(host, ":/?#");
    if (hlen == 0 || memchr(host, '@', strcspn(host, "/?#")))
        return false;
    const config_t *cfg = notify__config();
    const char *list = cfg->webpush_hosts && *cfg->webpush_hosts ? cfg->webpush_hosts
                                                                 : default_hosts;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        const char *e = p;
        size_t elen = n;
        while (elen && *e == ' ')
            e++, elen--;
        while (elen && e[elen - 1] == ' ')
            elen--;
        if (host_matches(host, hlen, e, elen))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* "vapid t=<jwt>, k=<public key>" into a heap string, or NULL. */
static char *vapid_header(const char *endpoint)
{
    const config_t *cfg = notify__config();
    char *pem = notify__read_file(cfg->webpush_vapid_key);
    char aud[512];
    if (!pem || origin_of(endpoint, aud, sizeof aud) < 0) {
        free(pem);
        return NULL;
    }
    json_t *h = json_pack("{s:s, s:s}", "typ", "JWT", "alg", "ES256");
    json_t *c = json_pack("{s:s, s:I, s:s}", "aud", aud, "exp",
                          (json_int_t)(clock_now_ms() / 1000 + 12 * 3600), "sub",
                          cfg->webpush_subject && *cfg->webpush_subject ? cfg->webpush_subject
                                                                        : "mailto:admin@localhost");
    char *jwt = notify__jws("ES256", h, c, pem);
    json_decref(h);
    json_decref(c);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    uint8_t *pub = NULL;
    size_t plen = key ? EVP_PKEY_get1_encoded_public_key(key, &pub) : 0;
    char *k = plen == 65 ? notify__b64url(pub, plen) : NULL;
    OPENSSL_free(pub);
    EVP_PKEY_free(key);
    char *out = NULL;
    if (jwt && k) {
        buf_t b = BUF_INIT;
        buf_printf(&b, "Authorization: vapid t=%s, k=%s", jwt, k);
        out = buf_steal(&b);
    }
    free(jwt);
    free(k);
    return out;
}

void push_webpush(const push_device_t *d, const push_msg_t *m, push_result_t *out)
{
    uint8_t ua[65], auth[16];
    if (!d->p256dh || !d->auth || notify_b64url_decode(d->p256dh, ua, sizeof ua) != 65 ||
        notify_b64url_decode(d->auth, auth, sizeof auth) != 16) {
        out->outcome = PUSH_FAILED;
        snprintf(out->reason, sizeof out->reason, "bad subscription keys");
        return;
    }
    char *vapid = vapid_header(d->token);
    if (!vapid) {
        out->outcome = PUSH_FAILED;
        snprintf(out->reason, sizeof out->reason, "Web Push is not configured (VAPID key)");
        return;
    }
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", m->notification_id, "category",
                            m->category, "title", m->title, "body", m->body, "data",
                            m->data ? m->data : json_null());
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    size_t blen = 0;
    uint8_t *body = text ? notify__ece_encrypt(ua, auth, text, strlen(text), NULL, &blen) : NULL;
    free(text);
    if (!body) {
        free(vapid);
        out->outcome = PUSH_FAILED;
        snprintf(out->reason, sizeof out->reason, "payload too large or encryption failed");
        return;
    }
    /* Topic: at most 32 URL-safe characters, stable per delivery, so a
     * retried message replaces a pending copy instead of doubling it. */
    char topic[64], urgency[40];
    size_t t = 0;
    for (const char *p = m->delivery_id; *p && t < 32; p++)
        if (*p != '-')
            topic[t++] = *p;
    topic[t] = '\0';
    char topic_h[80];
    snprintf(topic_h, sizeof topic_h, "Topic: %s", topic);
    snprintf(urgency, sizeof urgency, "Urgency: %s",
             strcmp(m->category, "safety") == 0 ? "high" : "normal");
    const char *hdr[] = {vapid, "Content-Encoding: aes128gcm",
                         "Content-Type: application/octet-stream", "TTL: 86400", urgency, topic_h,
                         NULL};
    push_http_t h = {.method = "POST", .url = d->token, .headers = hdr, .body = body,
                     .body_len = blen};
    push_http(&h);
    push_classify(h.status, h.error, out);
    buf_free(&h.response);
    free(body);
    free(vapid);
}

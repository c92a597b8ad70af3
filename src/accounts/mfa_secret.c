/*
 * mfa_secret.c - sealing and opening TOTP secrets (see mfa_secret.h).
 *
 * State: the 32-byte key in sodium-locked memory, written once by
 * mfa_secret_init() and wiped by mfa_secret_shutdown().
 */
#include "accounts/mfa_secret.h"

#include "core/clock.h"
#include "core/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "v1:"
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define PLAIN_MAX 128

static uint8_t g_key[MFA_KEY_BYTES];
static bool g_ready;

int mfa_key_parse(const char *text, uint8_t key[MFA_KEY_BYTES])
{
    static const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
                                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                   sodium_base64_VARIANT_URLSAFE,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    if (!text)
        return -1;
    size_t len = strlen(text);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        const char *end = NULL;
        if (sodium_base642bin(key, MFA_KEY_BYTES, text, len, NULL, &n, &end, variants[i]) == 0 &&
            n == MFA_KEY_BYTES && end == text + len)
            return 0;
    }
    sodium_memzero(key, MFA_KEY_BYTES);
    return -1;
}

char *mfa_secret_seal_with(const uint8_t key[MFA_KEY_BYTES], const char *user_id,
                           const char *b32)
{
    size_t plen = strlen(b32);
    if (plen > PLAIN_MAX)
        return NULL;
    uint8_t blob[NONCE_BYTES + PLAIN_MAX + TAG_BYTES];
    randombytes_buf(blob, NONCE_BYTES);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(
            blob + NONCE_BYTES, &clen, (const uint8_t *)b32, plen, (const uint8_t *)user_id,
            strlen(user_id), NULL, blob, key) != 0)
        return NULL;
    size_t blen = NONCE_BYTES + (size_t)clen;
    size_t b64 = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(strlen(PREFIX) + b64);
    if (!out)
        return NULL;
    memcpy(out, PREFIX, strlen(PREFIX));
    sodium_bin2base64(out + strlen(PREFIX), b64, blob, blen, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

int mfa_secret_open_with(const uint8_t key[MFA_KEY_BYTES], const char *user_id,
                         const char *stored, char *out, size_t outlen, bool *legacy)
{
    *legacy = false;
    if (!stored || outlen == 0)
        return -1;
    if (strncmp(stored, PREFIX, strlen(PREFIX)) != 0) {
        /* Written before encryption: a bare base32 secret. */
        size_t n = strlen(stored);
        if (n == 0 || n >= outlen || strspn(stored, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") != n)
            return -1;
        memcpy(out, stored, n + 1);
        *legacy = true;
        return 0;
    }
    const char *b64 = stored + strlen(PREFIX);
    uint8_t blob[NONCE_BYTES + PLAIN_MAX + TAG_BYTES];
    size_t blen = 0;
    if (sodium_base642bin(blob, sizeof blob, b64, strlen(b64), NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < NONCE_BYTES + TAG_BYTES)
        return -1;
    uint8_t plain[PLAIN_MAX];
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain, &plen, NULL, blob + NONCE_BYTES, blen - NONCE_BYTES,
            (const uint8_t *)user_id, strlen(user_id), blob, key) != 0 ||
        plen >= outlen) {
        sodium_memzero(plain, sizeof plain);
        return -1;
    }
    memcpy(out, plain, (size_t)plen);
    out[plen] = '\0';
    sodium_memzero(plain, sizeof plain);
    return 0;
}

char *mfa_secret_seal(const char *user_id, const char *b32)
{
    return g_ready ? mfa_secret_seal_with(g_key, user_id, b32) : NULL;
}

int mfa_secret_open(const char *user_id, const char *stored, char *out, size_t outlen,
                    bool *legacy)
{
    *legacy = false;
    return g_ready ? mfa_secret_open_with(g_key, user_id, stored, out, outlen, legacy) : -1;
}

/* The key kept in server_state (created by the first node that starts). */
static int key_from_db(store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    uint8_t raw[MFA_KEY_BYTES];
    char hex[2 * MFA_KEY_BYTES + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    store_arg_t a[] = {ARG_TEXT(hex), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    size_t n = 0;
    int rc = -1;
    if (store_exec(db,
                   "INSERT INTO server_state (key, value, updated_at) VALUES ('mfa_key', $1, $2) "
                   "ON CONFLICT (key) DO NOTHING",
                   a, 2, &e) == 0 &&
        store_query(db, "SELECT value FROM server_state WHERE key = 'mfa_key'", NULL, 0, &r,
                    &e) == 0 &&
        r->nrows == 1 &&
        sodium_hex2bin(g_key, sizeof g_key, store_val(r, 0, 0), strlen(store_val(r, 0, 0)), NULL,
                       &n, NULL) == 0 &&
        n == sizeof g_key)
        rc = 0;
    else
        snprintf(err, errlen, "cannot load the MFA key: %s", e.message[0] ? e.message : "bad value");
    sodium_memzero(hex, sizeof hex);
    apierr_clear(&e);
    store_res_free(r);
    return rc;
}

/* Seals every row that still holds a bare secret. A row that changed
 * meanwhile is left for the next start (the UPDATE is conditional). */
static int reseal_legacy(store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT user_id, secret FROM mfa WHERE secret NOT LIKE 'v1:%'", NULL, 0,
                    &r, &e) < 0) {
        snprintf(err, errlen, "cannot read MFA secrets: %s", e.message);
        apierr_clear(&e);
        return -1;
    }
    int done = 0;
    for (int i = 0; i < r->nrows; i++) {
        const char *uid = store_val(r, i, 0), *old = store_val(r, i, 1);
        char plain[PLAIN_MAX];
        bool legacy;
        if (mfa_secret_open(uid, old, plain, sizeof plain, &legacy) < 0)
            continue; /* not a secret we can read: leave it, MFA fails closed */
        char *sealed = mfa_secret_seal(uid, plain);
        sodium_memzero(plain, sizeof plain);
        store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(sealed), ARG_TEXT(old)};
        if (sealed && store_exec(db, "UPDATE mfa SET secret = $2 WHERE user_id = $1 AND secret = $3",
                                 a, 3, &e) == 0)
            done++;
        apierr_clear(&e);
        free(sealed);
    }
    store_res_free(r);
    if (done)
        log_info("encrypted stored MFA secrets", "\"rows\":%d", done);
    return 0;
}

int mfa_secret_init(const config_t *cfg, store_conn_t *db, char *err, size_t errlen)
{
    if (cfg->mfa_key && *cfg->mfa_key) {
        if (mfa_key_parse(cfg->mfa_key, g_key) < 0) {
            snprintf(err, errlen, "MFA_KEY must be the base64 encoding of exactly 32 bytes");
            return -1;
        }
    } else if (key_from_db(db, err, errlen) < 0) {
        return -1;
    }
    g_ready = true;
    return reseal_legacy(db, err, errlen);
}

void mfa_secret_shutdown(void)
{
    sodium_memzero(g_key, sizeof g_key);
    g_ready = false;
}

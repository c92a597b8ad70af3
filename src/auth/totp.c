/*
 * totp.c - RFC 6238 TOTP, RFC 4648 base32, otpauth URIs, recovery codes
 * (see totp.h).
 */
#include "auth/totp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include <sodium.h>

#define TOTP_KEY_MAX 1024

static const char totp_b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/* Crockford's base32, lower case: no i, l, o or u to misread. */
static const char totp_recovery_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* ------------------------------------------------------------------ */
/* Base32                                                             */
/* ------------------------------------------------------------------ */

int totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    if (out == NULL || (in == NULL && len > 0) || len > (SIZE_MAX - 4) / 8 ||
        out_size < TOTP_BASE32_LEN(len) + 1) {
        if (out != NULL && out_size > 0)
            out[0] = '\0';
        return TOTP_EINVAL;
    }
    size_t p = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[p++] = totp_b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[p++] = totp_b32_alphabet[(acc << (5 - bits)) & 31];
    out[p] = '\0';
    return (int)p;
}

static int totp_b32_value(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        c = (unsigned char)(c - 32);
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

/* Characters before padding must leave a whole number of bytes: a count
 * of 1, 3 or 6 modulo 8 is impossible. With padding, the total is a
 * multiple of 8. */
static bool totp_b32_length_ok(size_t chars, size_t pads)
{
    size_t rem = chars % 8;
    if (rem == 1 || rem == 3 || rem == 6)
        return false;
    return pads == 0 || (chars + pads) % 8 == 0;
}

int totp_base32_decode(const char *in, size_t len, uint8_t *out, size_t out_size,
                       size_t *out_len)
{
    if (out_len != NULL)
        *out_len = 0;
    if ((in == NULL && len > 0) || (out == NULL && out_size > 0) || out_len == NULL)
        return TOTP_EINVAL;
    size_t chars = 0, pads = 0, n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ')
            continue;
        if (c == '=') {
            pads++;
            continue;
        }
        int v = totp_b32_value(c);
        if (v < 0 || pads > 0)
            return TOTP_EFORMAT;
        chars++;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (n >= out_size)
                return TOTP_EINVAL;
            out[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (!totp_b32_length_ok(chars, pads) || pads > 6)
        return TOTP_EFORMAT;
    if ((acc & ((1u << bits) - 1)) != 0)
        return TOTP_EFORMAT;  /* non-canonical: leftover bits set */
    *out_len = n;
    return TOTP_OK;
}

/* ------------------------------------------------------------------ */
/* HOTP / TOTP                                                        */
/* ------------------------------------------------------------------ */

int totp_secret_generate(uint8_t secret[TOTP_SECRET_BYTES])
{
    if (secret == NULL)
        return TOTP_EINVAL;
    if (sodium_init() < 0)
        return TOTP_ECRYPTO;
    randombytes_buf(secret, TOTP_SECRET_BYTES);
    return TOTP_OK;
}

int64_t totp_step(int64_t unix_time)
{
    return unix_time < 0 ? -1 : unix_time / TOTP_PERIOD;
}

int totp_hotp(const uint8_t *key, size_t key_len, uint64_t counter, int digits,
              char *out, size_t out_size)
{
    if (out == NULL || digits < 6 || digits > 8 || out_size <= (size_t)digits)
        return TOTP_EINVAL;
    out[0] = '\0';
    if (key == NULL || key_len == 0 || key_len > TOTP_KEY_MAX)
        return TOTP_EINVAL;
    uint8_t msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xFF);
        counter >>= 8;
    }
    uint8_t mac[20];
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, key_len, msg, sizeof msg, mac) != 0)
        return TOTP_ECRYPTO;
    /* RFC 4226 section 5.3: dynamic truncation. */
    int off = mac[19] & 0x0F;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7F) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++)
        mod *= 10;
    uint32_t value = bin % mod;
    for (int i = digits - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
    out[digits] = '\0';
    sodium_memzero(mac, sizeof mac);
    return TOTP_OK;
}

int totp_code(const uint8_t *key, size_t key_len, int64_t unix_time, char *out, size_t out_size)
{
    if (unix_time < 0) {
        if (out != NULL && out_size > 0)
            out[0] = '\0';
        return TOTP_ERANGE;
    }
    return totp_hotp(key, key_len, (uint64_t)totp_step(unix_time), TOTP_DIGITS, out, out_size);
}

int totp_verify(const uint8_t *key, size_t key_len, const char *code, size_t code_len,
                int64_t now, int64_t last_step, int64_t *matched_step)
{
    if (matched_step == NULL || key == NULL || key_len == 0 || key_len > TOTP_KEY_MAX)
        return TOTP_EINVAL;
    *matched_step = -1;
    if (code == NULL || code_len != TOTP_DIGITS)
        return TOTP_EFORMAT;
    for (size_t i = 0; i < code_len; i++)
        if (code[i] < '0' || code[i] > '9')
            return TOTP_EFORMAT;
    if (now < 0)
        return TOTP_ERANGE;
    int64_t step = totp_step(now);
    int64_t found = -1;
    for (int64_t s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
        if (s < 0)
            continue;
        char expect[TOTP_DIGITS + 1];
        if (totp_hotp(key, key_len, (uint64_t)s, TOTP_DIGITS, expect, sizeof expect) != 0)
            return TOTP_ECRYPTO;
        /* Every candidate is compared; s rises, so the latest match wins. */
        bool hit = sodium_memcmp(expect, code, TOTP_DIGITS) == 0;
        if (hit && s > last_step)
            found = s;
    }
    if (found < 0)
        return TOTP_EMISMATCH;
    *matched_step = found;
    return TOTP_OK;
}

/* ------------------------------------------------------------------ */
/* otpauth:// URI                                                     */
/* ------------------------------------------------------------------ */

static bool totp_label_ok(const char *s, size_t *len)
{
    size_t n = strnlen(s, TOTP_LABEL_MAX + 1);
    if (n > TOTP_LABEL_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F || c == ':')
            return false;
    }
    *len = n;
    return true;
}

/* Appends s[0..len) percent-encoded at out + *p. */
static void totp_pct_append(char *out, size_t *p, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out[(*p)++] = (char)c;
        } else {
            out[(*p)++] = '%';
            out[(*p)++] = hex[c >> 4];
            out[(*p)++] = hex[c & 15];
        }
    }
}

int totp_uri(const char *issuer, const char *account, const uint8_t *secret,
             size_t secret_len, char **out)
{
    if (out == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    size_t ilen = 0, alen = 0;
    if (account == NULL || secret == NULL || secret_len == 0 || secret_len > TOTP_KEY_MAX ||
        !totp_label_ok(account, &alen) || alen == 0 ||
        (issuer != NULL && !totp_label_ok(issuer, &ilen)))
        return TOTP_EINVAL;
    char b32[TOTP_BASE32_LEN(TOTP_KEY_MAX) + 1];
    int blen = totp_base32_encode(secret, secret_len, b32, sizeof b32);
    if (blen < 0)
        return TOTP_EINVAL;
    static const char tail[] = "&algorithm=SHA1&digits=6&period=30";
    /* Fixed text plus worst case 3 bytes per label byte, issuer twice. */
    size_t cap = 64 + sizeof tail + (size_t)blen + 3 * (2 * ilen + alen);
    char *uri = malloc(cap);
    if (uri == NULL)
        return TOTP_ENOMEM;
    size_t p = 0;
    memcpy(uri, "otpauth://totp/", 15);
    p = 15;
    if (ilen > 0) {
        totp_pct_append(uri, &p, issuer, ilen);
        uri[p++] = ':';
    }
    totp_pct_append(uri, &p, account, alen);
    memcpy(uri + p, "?secret=", 8);
    p += 8;
    memcpy(uri + p, b32, (size_t)blen);
    p += (size_t)blen;
    if (ilen > 0) {
        memcpy(uri + p, "&issuer=", 8);
        p += 8;
        totp_pct_append(uri, &p, issuer, ilen);
    }
    memcpy(uri + p, tail, sizeof tail);  /* includes the NUL */
    *out = uri;
    return TOTP_OK;
}

/* ------------------------------------------------------------------ */
/* Recovery codes                                                     */
/* ------------------------------------------------------------------ */

int totp_recovery_generate(char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN + 1])
{
    if (codes == NULL)
        return TOTP_EINVAL;
    if (sodium_init() < 0)
        return TOTP_ECRYPTO;
    for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
        uint8_t raw[8];
        randombytes_buf(raw, sizeof raw);
        char *c = codes[i];
        for (int k = 0, p = 0; k < 8; k++) {
            if (k == 4)
                c[p++] = '-';
            c[p++] = totp_recovery_alphabet[raw[k] & 31];  /* 32 | 256: no bias */
        }
        c[TOTP_RECOVERY_LEN] = '\0';
        sodium_memzero(raw, sizeof raw);
    }
    return TOTP_OK;
}

/* Normalises a typed recovery code to 8 alphabet characters. */
static int totp_recovery_normalize(const char *code, size_t len, char norm[8])
{
    if (code == NULL || len > 32)
        return TOTP_EFORMAT;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)code[i];
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (c == 'i' || c == 'l')
            c = '1';
        else if (c == 'o')
            c = '0';
        if (c == 0 || strchr(totp_recovery_alphabet, c) == NULL || n == 8)
            return TOTP_EFORMAT;
        norm[n++] = (char)c;
    }
    return n == 8 ? TOTP_OK : TOTP_EFORMAT;
}

int totp_recovery_hash(const uint8_t *pepper, size_t pepper_len, const char *code,
                       size_t code_len, char *out, size_t out_size)
{
    if (out == NULL || out_size < TOTP_RECOVERY_HASH_LEN + 1)
        return TOTP_EINVAL;
    out[0] = '\0';
    if (pepper == NULL || pepper_len < TOTP_PEPPER_MIN)
        return TOTP_EINVAL;
    char norm[8];
    int rc = totp_recovery_normalize(code, code_len, norm);
    if (rc != TOTP_OK)
        return rc;
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, pepper, pepper_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)norm, sizeof norm);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, out_size, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(norm, sizeof norm);
    return TOTP_OK;
}

int totp_recovery_verify(const uint8_t *pepper, size_t pepper_len, const char *code,
                         size_t code_len, const char *const *hashes, size_t n)
{
    if (hashes == NULL && n > 0)
        return TOTP_EINVAL;
    char mine[TOTP_RECOVERY_HASH_LEN + 1];
    int rc = totp_recovery_hash(pepper, pepper_len, code, code_len, mine, sizeof mine);
    if (rc != TOTP_OK)
        return rc;
    int found = TOTP_EMISMATCH;
    for (size_t i = 0; i < n && i < (size_t)INT32_MAX; i++) {
        if (hashes[i] == NULL || strnlen(hashes[i], TOTP_RECOVERY_HASH_LEN + 1) != TOTP_RECOVERY_HASH_LEN)
            continue;
        if (sodium_memcmp(mine, hashes[i], TOTP_RECOVERY_HASH_LEN) == 0 && found < 0)
            found = (int)i;
    }
    return found;
}

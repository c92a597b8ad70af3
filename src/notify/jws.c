/*
 * jws.c - compact JWS signing for the push providers (ES256 for VAPID and
 * APNs provider tokens, RS256 for the FCM service-account assertion) with
 * OpenSSL, base64url, and small file reads. Keys arrive as PEM text and
 * are parsed per call; nothing is kept. Every returned string is heap
 * memory the caller frees.
 */
#include "notify/notify_int.h"

#include "core/loopctx.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *notify__b64url(const void *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const uint8_t *s = p;
    char *out = malloc(n / 3 * 4 + 5);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        out[o++] = al[v >> 6 & 63];
        out[o++] = al[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        out[o++] = al[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

int notify_b64url_decode(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (int)o;
}

typedef struct {
    const char *path;
    char *text;
} read_t;

static void read_job(void *arg)
{
    read_t *r = arg;
    FILE *f = fopen(r->path, "rb");
    if (!f)
        return;
    buf_t b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 1 << 20)
        buf_append(&b, chunk, n);
    fclose(f);
    r->text = b.data ? buf_steal(&b) : NULL;
}

char *notify__read_file(const char *path)
{
    read_t r = {path, NULL};
    if (!path || !*path || loop_run_blocking(read_job, &r) < 0)
        return NULL;
    return r.text;
}

static char *b64_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        return NULL;
    char *out = notify__b64url(s, strlen(s));
    free(s);
    return out;
}

/* DER ECDSA signature -> raw r||s (64 bytes). */
static int der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64])
{
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!sig)
        return -1;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

char *notify__jws(const char *alg, json_t *header, json_t *claims, const char *pem)
{
    bool es = strcmp(alg, "ES256") == 0;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key || EVP_PKEY_get_base_id(key) != (es ? EVP_PKEY_EC : EVP_PKEY_RSA)) {
        EVP_PKEY_free(key);
        return NULL;
    }
    char *h = b64_json(header), *c = b64_json(claims), *out = NULL;
    buf_t input = BUF_INIT;
    if (h && c)
        buf_printf(&input, "%s.%s", h, c);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    uint8_t *sig = NULL;
    if (input.data && md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(md, NULL, &siglen, (const uint8_t *)input.data, input.len) == 1 &&
        (sig = malloc(siglen)) &&
        EVP_DigestSign(md, sig, &siglen, (const uint8_t *)input.data, input.len) == 1) {
        uint8_t raw[64];
        char *s = NULL;
        if (!es)
            s = notify__b64url(sig, siglen);
        else if (der_to_raw(sig, siglen, raw) == 0)
            s = notify__b64url(raw, 64);
        if (s) {
            buf_printf(&input, ".%s", s);
            out = buf_steal(&input);
        }
        free(s);
    }
    free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    buf_free(&input);
    free(h);
    free(c);
    return out;
}

/*
 * jwt.c - signing and verification of access tokens (see jwt.h).
 *
 * Verification is a fixed pipeline over the compact form
 * "header.payload.signature": split on exactly two dots, decode the header
 * (strict base64url, JSON object without duplicate keys), refuse "none",
 * find the kid, require the kid's alg, verify the signature over the
 * first two segments, and only then decode and check the claims. Each
 * stage has its own error code. Nothing here touches global state; the
 * ring's read lock is held from the key lookup to the end of the
 * signature check.
 */
#include "auth/jwt_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JWT_HEADER_MAX 1024                     /* decoded header bytes */
#define JWT_PAYLOAD_MAX (JWT_TOKEN_MAX / 4 * 3) /* decoded payload bytes */
#define JWT_MAX_TTL (10LL * 365 * 24 * 3600)

typedef struct {
    const char *p;
    size_t n;
} jwt_seg_t;

const char *jwt_alg_name(jwt_alg_t alg)
{
    switch (alg) {
    case JWT_ALG_HS256: return "HS256";
    case JWT_ALG_RS256: return "RS256";
    case JWT_ALG_ES256: return "ES256";
    }
    return NULL;
}

static jwa_alg jwt_rhn_alg(jwt_alg_t alg)
{
    switch (alg) {
    case JWT_ALG_HS256: return R_JWA_ALG_HS256;
    case JWT_ALG_RS256: return R_JWA_ALG_RS256;
    case JWT_ALG_ES256: return R_JWA_ALG_ES256;
    }
    return R_JWA_ALG_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* Signing                                                            */
/* ------------------------------------------------------------------ */

static bool jwt_claim_str_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strnlen(s, JWT_CLAIM_MAX + 1);
    return n > 0 && n <= JWT_CLAIM_MAX;
}

/* Builds the claims object; NULL on a bad parameter or no memory. */
static json_t *jwt_build_claims(const jwt_sign_params_t *p)
{
    char jti[32];
    const char *use_jti = p->jti;
    if (use_jti == NULL) {
        unsigned char raw[16];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(jti, sizeof jti, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        use_jti = jti;
    }
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}",
                               "sub", p->sub, "sid", p->sid, "role", p->role,
                               "iat", (json_int_t)p->iat, "exp", (json_int_t)(p->iat + p->ttl),
                               "jti", use_jti);
    if (claims != NULL && p->extra != NULL &&
        json_object_set_new(claims, "ext", json_deep_copy(p->extra)) != 0) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}

/* Signs claims with key through librhonabwy. Caller holds the lock. */
static int jwt_sign_with(const jwt_key_t *key, json_t *claims, char **out)
{
    jwt_t *jwt = NULL;
    if (r_jwt_init(&jwt) != RHN_OK)
        return JWT_ENOMEM;
    int rc = JWT_ECRYPTO;
    if (r_jwt_set_sign_alg(jwt, jwt_rhn_alg(key->alg)) == RHN_OK &&
        r_jwt_set_header_str_value(jwt, "kid", key->kid) == RHN_OK &&
        r_jwt_set_full_claims_json_t(jwt, claims) == RHN_OK) {
        char *token = r_jwt_serialize_signed(jwt, key->priv, R_FLAG_IGNORE_REMOTE);
        if (token != NULL) {
            *out = strdup(token);
            rc = *out != NULL ? JWT_OK : JWT_ENOMEM;
            r_free(token);
        }
    }
    r_jwt_free(jwt);
    return rc;
}

int jwt_sign(jwt_keyring_t *ring, const jwt_sign_params_t *params, char **out_token)
{
    if (out_token == NULL)
        return JWT_EINVAL;
    *out_token = NULL;
    if (ring == NULL || params == NULL || !jwt_claim_str_ok(params->sub) ||
        !jwt_claim_str_ok(params->sid) || !jwt_claim_str_ok(params->role) ||
        (params->jti != NULL && !jwt_claim_str_ok(params->jti)) ||
        params->iat < 0 || params->ttl <= 0 || params->ttl > JWT_MAX_TTL ||
        params->iat > INT64_MAX / 2 ||
        (params->extra != NULL && !json_is_object(params->extra)))
        return JWT_EINVAL;
    if (sodium_init() < 0)
        return JWT_ECRYPTO;
    json_t *claims = jwt_build_claims(params);
    if (claims == NULL)
        return JWT_ENOMEM;
    pthread_rwlock_rdlock(&ring->lock);
    int rc = ring->active != NULL ? jwt_sign_with(ring->active, claims, out_token)
                                  : JWT_ENO_SIGNING_KEY;
    pthread_rwlock_unlock(&ring->lock);
    json_decref(claims);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Verification: parsing                                              */
/* ------------------------------------------------------------------ */

/* Splits into exactly three segments; header and payload non-empty. */
static int jwt_split(const char *token, size_t len, jwt_seg_t seg[3])
{
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && token[i] != '.')
            continue;
        if (k == 3)
            return JWT_EMALFORMED;  /* a third dot */
        seg[k].p = token + start;
        seg[k].n = i - start;
        k++;
        start = i + 1;
    }
    if (k != 3 || seg[0].n == 0 || seg[1].n == 0)
        return JWT_EMALFORMED;
    return JWT_OK;
}

/* Strict base64url without padding: alphabet [A-Za-z0-9_-] only, a length
 * that is not 1 mod 4, and zero leftover bits (so every byte string has
 * exactly one accepted spelling). The data is not secret, so a table
 * lookup is fine; it is several times faster than libsodium's
 * constant-time decoder, which showed up first in profiles. */
static int jwt_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap,
                             size_t *out_len)
{
    static const signed char tab[256] = {
        ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
        ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
        ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
        ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
        ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
        ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
        ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
        ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
        ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63,
        ['_'] = 64,
    }; /* value + 1; 0 marks a character outside the alphabet */
    if (n % 4 == 1 || n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > cap)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int v = tab[(unsigned char)in[i]] - 1;
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(acc >> bits);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    *out_len = k;
    return 0;
}

/* Decodes a base64url segment into a JSON object (no duplicate keys). */
static int jwt_decode_json(const jwt_seg_t *seg, size_t max_bytes, json_t **out)
{
    *out = NULL;
    unsigned char buf[JWT_PAYLOAD_MAX];
    size_t bin_len = 0;
    if (max_bytes > sizeof buf)
        max_bytes = sizeof buf;
    if (jwt_b64url_decode(seg->p, seg->n, buf, max_bytes, &bin_len) != 0)
        return JWT_EMALFORMED;
    json_error_t err;
    json_t *obj = json_loadb((const char *)buf, bin_len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return JWT_EMALFORMED;
    }
    *out = obj;
    return JWT_OK;
}

/* Header rules; on success *alg and *kid point into hdr. */
static int jwt_check_header(json_t *hdr, const char **alg, json_t **kid)
{
    json_t *a = json_object_get(hdr, "alg");
    if (!json_is_string(a))
        return JWT_EMALFORMED;
    *alg = json_string_value(a);
    if (strcasecmp(*alg, "none") == 0)
        return JWT_EALG_NONE;
    if (json_object_get(hdr, "crit") != NULL)
        return JWT_EMALFORMED;  /* no extensions are understood */
    json_t *typ = json_object_get(hdr, "typ");
    if (typ != NULL && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
        return JWT_EMALFORMED;
    *kid = json_object_get(hdr, "kid");
    if (!json_is_string(*kid) || json_string_length(*kid) == 0)
        return JWT_EUNKNOWN_KID;
    return JWT_OK;
}

/* ------------------------------------------------------------------ */
/* Verification: signatures                                           */
/* ------------------------------------------------------------------ */

/* HMAC-SHA256 over the signing input, compared in constant time. */
static int jwt_verify_hs256(const jwt_key_t *key, const char *input, size_t input_len,
                            const jwt_seg_t *sig)
{
    unsigned char got[crypto_auth_hmacsha256_BYTES];
    size_t bin_len = 0;
    /* Strict decoding: exactly 43 canonical characters for 32 bytes. */
    if (sig->n != 43 || jwt_b64url_decode(sig->p, sig->n, got, sizeof got, &bin_len) != 0 ||
        bin_len != sizeof got)
        return JWT_EBAD_SIGNATURE;
    crypto_auth_hmacsha256_state st = key->hmac;  /* keyed, precomputed */
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)input, input_len);
    crypto_auth_hmacsha256_final(&st, mac);
    int ok = crypto_verify_32(mac, got) == 0;
    sodium_memzero(&st, sizeof st);
    return ok ? JWT_OK : JWT_EBAD_SIGNATURE;
}

/* RS256 / ES256 through librhonabwy, header extensions disabled. */
static int jwt_verify_asym(const jwt_key_t *key, const char *token, size_t len)
{
    jwt_t *jwt = NULL;
    if (r_jwt_init(&jwt) != RHN_OK)
        return JWT_ENOMEM;
    int rc = JWT_EBAD_SIGNATURE;
    if (r_jwt_advanced_parsen(jwt, token, len, R_PARSE_NONE, R_FLAG_IGNORE_REMOTE) == RHN_OK &&
        r_jwt_get_sign_alg(jwt) == jwt_rhn_alg(key->alg) &&
        r_jwt_verify_signature(jwt, key->pub, R_FLAG_IGNORE_REMOTE) == RHN_OK)
        rc = JWT_OK;
    r_jwt_free(jwt);
    return rc;
}

/* Looks the key up and checks alg and signature under the read lock. */
static int jwt_check_signature(jwt_keyring_t *ring, const char *alg, json_t *kid,
                               const char *token, size_t len, const jwt_seg_t seg[3],
                               jwt_claims_t *out, int *leeway)
{
    pthread_rwlock_rdlock(&ring->lock);
    *leeway = ring->leeway;
    int rc;
    const jwt_key_t *key = jwt__find_key(ring, json_string_value(kid), json_string_length(kid));
    if (key == NULL) {
        rc = JWT_EUNKNOWN_KID;
    } else if (strcmp(alg, jwt_alg_name(key->alg)) != 0) {
        rc = JWT_EWRONG_ALG;
    } else if (key->alg == JWT_ALG_HS256) {
        size_t input_len = seg[0].n + 1 + seg[1].n;
        rc = jwt_verify_hs256(key, token, input_len, &seg[2]);
    } else {
        rc = jwt_verify_asym(key, token, len);
    }
    if (rc == JWT_OK)
        strcpy(out->kid, key->kid);
    pthread_rwlock_unlock(&ring->lock);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Verification: claims                                               */
/* ------------------------------------------------------------------ */

/* Copies a required string claim of 1..JWT_CLAIM_MAX bytes, no NUL. */
static int jwt_claim_str(json_t *claims, const char *name, char dst[JWT_CLAIM_MAX + 1])
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v))
        return JWT_EMALFORMED;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > JWT_CLAIM_MAX || memchr(s, '\0', n) != NULL)
        return JWT_EMALFORMED;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return JWT_OK;
}

static int jwt_claim_int(json_t *claims, const char *name, bool required, int64_t *dst)
{
    json_t *v = json_object_get(claims, name);
    if (v == NULL && !required) {
        *dst = 0;
        return JWT_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return JWT_EMALFORMED;
    *dst = (int64_t)json_integer_value(v);
    return JWT_OK;
}

static int jwt_read_claims(json_t *claims, jwt_claims_t *out)
{
    int rc = jwt_claim_str(claims, "sub", out->sub);
    if (rc == JWT_OK) rc = jwt_claim_str(claims, "sid", out->sid);
    if (rc == JWT_OK) rc = jwt_claim_str(claims, "role", out->role);
    if (rc == JWT_OK) rc = jwt_claim_str(claims, "jti", out->jti);
    if (rc == JWT_OK) rc = jwt_claim_int(claims, "iat", true, &out->iat);
    if (rc == JWT_OK) rc = jwt_claim_int(claims, "exp", true, &out->exp);
    if (rc == JWT_OK) rc = jwt_claim_int(claims, "nbf", false, &out->nbf);
    if (rc != JWT_OK)
        return rc;
    json_t *ext = json_object_get(claims, "ext");
    if (ext != NULL && !json_is_object(ext))
        return JWT_EMALFORMED;
    out->extra = json_incref(ext);
    return JWT_OK;
}

static int jwt_check_times(const jwt_claims_t *c, int64_t now, int leeway)
{
    if (c->exp <= now - leeway)
        return JWT_EEXPIRED;
    if (c->nbf > now + leeway || c->iat > now + leeway)
        return JWT_ENOT_YET_VALID;
    return JWT_OK;
}

int jwt_verify(jwt_keyring_t *ring, const char *token, size_t len, int64_t now,
               jwt_claims_t *out)
{
    if (out == NULL)
        return JWT_EINVAL;
    memset(out, 0, sizeof *out);
    if (ring == NULL || token == NULL || now < 0 || now > INT64_MAX / 2)
        return JWT_EINVAL;
    if (len > JWT_TOKEN_MAX)
        return JWT_EMALFORMED;
    jwt_seg_t seg[3];
    json_t *hdr = NULL, *claims = NULL;
    const char *alg = NULL;
    json_t *kid = NULL;
    int leeway = 0;
    int rc = jwt_split(token, len, seg);
    if (rc == JWT_OK)
        rc = jwt_decode_json(&seg[0], JWT_HEADER_MAX, &hdr);
    if (rc == JWT_OK)
        rc = jwt_check_header(hdr, &alg, &kid);
    if (rc == JWT_OK)
        rc = jwt_check_signature(ring, alg, kid, token, len, seg, out, &leeway);
    if (rc == JWT_OK)
        rc = jwt_decode_json(&seg[1], JWT_PAYLOAD_MAX, &claims);
    if (rc == JWT_OK)
        rc = jwt_read_claims(claims, out);
    if (rc == JWT_OK)
        rc = jwt_check_times(out, now, leeway);
    json_decref(hdr);
    json_decref(claims);
    if (rc != JWT_OK)
        jwt_claims_clear(out);
    return rc;
}

void jwt_claims_clear(jwt_claims_t *claims)
{
    if (claims == NULL)
        return;
    json_decref(claims->extra);
    memset(claims, 0, sizeof *claims);
}

const char *jwt_strerror(int code)
{
    switch (code) {
    case JWT_OK: return "ok";
    case JWT_EINVAL: return "invalid argument";
    case JWT_ENOMEM: return "out of memory";
    case JWT_EKEY: return "unusable key";
    case JWT_EEXISTS: return "key id already in the ring";
    case JWT_ENOKEY: return "no such key id";
    case JWT_ENO_SIGNING_KEY: return "no active signing key";
    case JWT_ECRYPTO: return "signing failed";
    case JWT_EMALFORMED: return "malformed token";
    case JWT_EALG_NONE: return "unsigned token";
    case JWT_EWRONG_ALG: return "wrong algorithm";
    case JWT_EUNKNOWN_KID: return "unknown key id";
    case JWT_EBAD_SIGNATURE: return "bad signature";
    case JWT_EEXPIRED: return "token expired";
    case JWT_ENOT_YET_VALID: return "token not yet valid";
    default: return "unknown error";
    }
}

/*
 * test_jwt.c - access tokens: round trips for HS256/RS256/ES256, every
 * verification error, tampering, expiry, key rotation, thread safety.
 *
 * Tokens are also built by hand here with GnuTLS's HMAC (an implementation
 * independent of the module's libsodium path) and checked against
 * librhonabwy's own verifier, so the fast HS256 path is cross-checked.
 * RSA and EC keys are generated at run time; no key is committed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include <rhonabwy.h>
#include <sodium.h>

#include "auth/jwt.h"

#define S(x) (x), strlen(x)
#define NOW 1800000000LL
#define SECRET1 "k1-secret-0123456789abcdef-0123456789"
#define SECRET2 "k2-secret-fedcba9876543210-fedcba9876"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char *b64url(const void *data, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    assert_non_null(out);
    sodium_bin2base64(out, cap, data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* header.payload, both base64url-encoded from JSON text. */
static char *signing_input(const char *header, const char *payload)
{
    char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
    char *out = malloc(strlen(h) + strlen(p) + 2);
    assert_non_null(out);
    sprintf(out, "%s.%s", h, p);
    free(h);
    free(p);
    return out;
}

/* A complete HS256 token signed with GnuTLS's HMAC-SHA256. */
static char *make_hs256(const char *secret, const char *header, const char *payload)
{
    char *in = signing_input(header, payload);
    unsigned char mac[32];
    assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), in, strlen(in), mac), 0);
    char *sig = b64url(mac, sizeof mac);
    char *tok = malloc(strlen(in) + strlen(sig) + 2);
    assert_non_null(tok);
    sprintf(tok, "%s.%s", in, sig);
    free(in);
    free(sig);
    return tok;
}

static const char *good_payload =
    "{\"sub\":\"u-1\",\"sid\":\"s-1\",\"role\":\"traveller\",\"iat\":1800000000,"
    "\"exp\":1800000900,\"jti\":\"j-1\"}";
static const char *k1_header = "{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}";

static jwt_keyring_t *hs_ring(void)
{
    jwt_keyring_t *ring = NULL;
    assert_int_equal(jwt_keyring_new(&ring), JWT_OK);
    assert_int_equal(jwt_keyring_add_hs256(ring, "k1", S(SECRET1)), JWT_OK);
    assert_int_equal(jwt_keyring_add_hs256(ring, "k2", S(SECRET2)), JWT_OK);
    return ring;
}

static int verify_str(jwt_keyring_t *ring, const char *tok, int64_t now)
{
    jwt_claims_t c;
    int rc = jwt_verify(ring, tok, strlen(tok), now, &c);
    jwt_claims_clear(&c);
    return rc;
}

static char *sign_basic(jwt_keyring_t *ring, int64_t iat, int64_t ttl)
{
    jwt_sign_params_t p = {.sub = "u-1", .sid = "s-1", .role = "traveller", .iat = iat, .ttl = ttl};
    char *tok = NULL;
    assert_int_equal(jwt_sign(ring, &p, &tok), JWT_OK);
    return tok;
}

/* Replaces the segment idx (0 header, 1 payload, 2 signature). */
static char *replace_segment(const char *tok, int idx, const char *seg)
{
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    const char *parts[3][2] = {{tok, d1}, {d1 + 1, d2}, {d2 + 1, tok + strlen(tok)}};
    char *out = malloc(strlen(tok) + strlen(seg) + 3);
    assert_non_null(out);
    out[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (i == idx)
            strcat(out, seg);
        else
            strncat(out, parts[i][0], (size_t)(parts[i][1] - parts[i][0]));
        if (i < 2)
            strcat(out, ".");
    }
    return out;
}

/* Verifies tok with segment idx replaced by the base64url of json. */
static int verify_with_segment(jwt_keyring_t *ring, const char *tok, int idx, const char *json)
{
    char *enc = b64url(json, strlen(json));
    char *t = replace_segment(tok, idx, enc);
    int rc = verify_str(ring, t, NOW);
    free(t);
    free(enc);
    return rc;
}

/* ------------------------------------------------------------------ */
/* HS256                                                              */
/* ------------------------------------------------------------------ */

static void test_helper_matches_rfc7515(void **state)
{
    (void)state;
    /* RFC 7515 appendix A.1: the helper's HMAC and encoding are right. */
    static const unsigned char key[] = {
        3, 35, 53, 75, 43, 15, 165, 188, 131, 126, 6, 101, 119, 123, 166, 143, 90, 179, 40,
        230, 240, 84, 201, 40, 169, 15, 132, 178, 210, 80, 46, 191, 211, 251, 90, 146, 210,
        6, 71, 239, 150, 138, 180, 195, 119, 98, 61, 34, 61, 46, 33, 114, 5, 46, 79, 8, 192,
        205, 154, 245, 103, 208, 128, 163};
    const char *input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    unsigned char mac[32];
    assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, sizeof key, input, strlen(input), mac), 0);
    char *sig = b64url(mac, sizeof mac);
    assert_string_equal(sig, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    free(sig);
}

static void test_hs256_roundtrip(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    json_t *extra = json_pack("{s:s, s:[i,i]}", "lang", "fr", "trips", 1, 2);
    jwt_sign_params_t p = {.sub = "0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b", .sid = "sess-9",
                           .role = "guide", .iat = NOW, .ttl = 900, .jti = "jti-42", .extra = extra};
    char *tok = NULL;
    assert_int_equal(jwt_sign(ring, &p, &tok), JWT_OK);
    jwt_claims_t c;
    assert_int_equal(jwt_verify(ring, tok, strlen(tok), NOW + 10, &c), JWT_OK);
    assert_string_equal(c.kid, "k1");  /* first key added is active */
    assert_string_equal(c.sub, p.sub);
    assert_string_equal(c.sid, "sess-9");
    assert_string_equal(c.role, "guide");
    assert_string_equal(c.jti, "jti-42");
    assert_int_equal(c.iat, NOW);
    assert_int_equal(c.exp, NOW + 900);
    assert_int_equal(c.nbf, 0);
    assert_true(json_equal(c.extra, extra));
    jwt_claims_clear(&c);
    /* Generated jti: 128 random bits, distinct per token. */
    char *t1 = sign_basic(ring, NOW, 60), *t2 = sign_basic(ring, NOW, 60);
    assert_string_not_equal(t1, t2);
    assert_int_equal(jwt_verify(ring, t1, strlen(t1), NOW, &c), JWT_OK);
    assert_int_equal(strlen(c.jti), 22);
    assert_null(c.extra);
    jwt_claims_clear(&c);
    free(t1);
    free(t2);
    free(tok);
    json_decref(extra);
    jwt_keyring_free(ring);
}

static void test_hs256_cross_check(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    /* Our token verifies with librhonabwy's own verifier. */
    char *tok = sign_basic(ring, NOW, 900);
    jwk_t *jwk = NULL;
    jwt_t *jwt = NULL;
    assert_int_equal(r_jwk_init(&jwk), RHN_OK);
    assert_int_equal(r_jwk_import_from_symmetric_key(jwk, (const unsigned char *)SECRET1, strlen(SECRET1)), RHN_OK);
    assert_int_equal(r_jwt_init(&jwt), RHN_OK);
    assert_int_equal(r_jwt_parse(jwt, tok, 0), RHN_OK);
    assert_int_equal(r_jwt_verify_signature(jwt, jwk, 0), RHN_OK);
    assert_string_equal(r_jwt_get_header_str_value(jwt, "kid"), "k1");
    assert_string_equal(r_jwt_get_claim_str_value(jwt, "sub"), "u-1");
    r_jwt_free(jwt);
    r_jwk_free(jwk);
    /* A token built with GnuTLS's HMAC verifies with ours. */
    char *hand = make_hs256(SECRET1, k1_header, good_payload);
    jwt_claims_t c;
    assert_int_equal(jwt_verify(ring, hand, strlen(hand), NOW, &c), JWT_OK);
    assert_string_equal(c.sub, "u-1");
    assert_int_equal(c.exp, 1800000900);
    jwt_claims_clear(&c);
    free(hand);
    free(tok);
    jwt_keyring_free(ring);
}

static void test_tampering(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    char *tok = make_hs256(SECRET1, k1_header, good_payload);
    assert_int_equal(verify_str(ring, tok, NOW), JWT_OK);
    /* Changed payload, original signature. */
    const char *evil = "{\"sub\":\"admin\",\"sid\":\"s-1\",\"role\":\"admin\",\"iat\":1800000000,"
                       "\"exp\":1800000900,\"jti\":\"j-1\"}";
    assert_int_equal(verify_with_segment(ring, tok, 1, evil), JWT_EBAD_SIGNATURE);
    /* Header switched to alg none, with and without a signature. */
    const char *nones[] = {"{\"alg\":\"none\",\"kid\":\"k1\",\"typ\":\"JWT\"}", "{\"alg\":\"None\"}",
                           "{\"alg\":\"NONE\",\"kid\":\"k1\"}"};
    char *unsigned_tok = replace_segment(tok, 2, "");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(verify_with_segment(ring, tok, 0, nones[i]), JWT_EALG_NONE);
        assert_int_equal(verify_with_segment(ring, unsigned_tok, 0, nones[i]), JWT_EALG_NONE);
    }
    free(unsigned_tok);
    /* Swapped kid: k2 exists, but the signature is k1's. */
    const char *k2h = "{\"alg\":\"HS256\",\"kid\":\"k2\",\"typ\":\"JWT\"}";
    assert_int_equal(verify_with_segment(ring, tok, 0, k2h), JWT_EBAD_SIGNATURE);
    /* Signature bit flip, empty signature, non-canonical last char. */
    char *t = strdup(tok);
    size_t n = strlen(t);
    t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_str(ring, t, NOW), JWT_EBAD_SIGNATURE);
    free(t);
    t = replace_segment(tok, 2, "");
    assert_int_equal(verify_str(ring, t, NOW), JWT_EBAD_SIGNATURE);
    free(t);
    /* Same MAC bytes spelt differently: the last of 43 characters carries
     * 4 bits and 2 zero bits; setting a spare bit must not verify. */
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    t = strdup(tok);
    n = strlen(t);
    t[n - 1] = alpha[(strchr(alpha, t[n - 1]) - alpha) ^ 1];
    assert_int_equal(verify_str(ring, t, NOW), JWT_EBAD_SIGNATURE);
    /* A trailing padding character is not base64url either. */
    free(t);
    t = malloc(n + 2);
    assert_non_null(t);
    assert_int_equal(verify_str(ring, strcat(strcpy(t, tok), "="), NOW), JWT_EBAD_SIGNATURE);
    free(t);
    free(tok);
    jwt_keyring_free(ring);
}

static void test_structure_errors(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    char *tok = make_hs256(SECRET1, k1_header, good_payload);
    size_t n = strlen(tok);
    char *buf = malloc(n + 16);
    assert_non_null(buf);
    /* Truncated: one char, whole signature, to the header only. */
    assert_int_equal(jwt_verify(ring, tok, n - 1, NOW, &(jwt_claims_t){0}), JWT_EBAD_SIGNATURE);
    assert_int_equal(verify_str(ring, "", NOW), JWT_EMALFORMED);
    snprintf(buf, n + 16, "%.*s", (int)(strchr(tok, '.') - tok), tok);
    assert_int_equal(verify_str(ring, buf, NOW), JWT_EMALFORMED);
    /* Extra dots anywhere. */
    snprintf(buf, n + 16, "%s.", tok);
    assert_int_equal(verify_str(ring, buf, NOW), JWT_EMALFORMED);
    snprintf(buf, n + 16, "%s.xyz", tok);
    assert_int_equal(verify_str(ring, buf, NOW), JWT_EMALFORMED);
    snprintf(buf, n + 16, ".%s", tok);
    assert_int_equal(verify_str(ring, buf, NOW), JWT_EMALFORMED);
    assert_int_equal(verify_str(ring, "..", NOW), JWT_EMALFORMED);
    assert_int_equal(verify_str(ring, "a.b.c", NOW), JWT_EMALFORMED);
    /* Padding or a bad character in the header segment. */
    char *t = replace_segment(tok, 0, "eyJhbGciOiJIUzI1NiJ9==");
    assert_int_equal(verify_str(ring, t, NOW), JWT_EMALFORMED);
    free(t);
    t = replace_segment(tok, 0, "eyJhbGciOiJIUz+1NiJ9");
    assert_int_equal(verify_str(ring, t, NOW), JWT_EMALFORMED);
    free(t);
    /* A huge token is refused without being read. */
    char *huge = calloc(1, JWT_TOKEN_MAX + 2);
    assert_non_null(huge);
    memset(huge, 'A', JWT_TOKEN_MAX + 1);
    memcpy(huge, tok, n);
    assert_int_equal(verify_str(ring, huge, NOW), JWT_EMALFORMED);
    free(huge);
    /* NULL and bad arguments. */
    jwt_claims_t c;
    assert_int_equal(jwt_verify(ring, NULL, 5, NOW, &c), JWT_EINVAL);
    assert_int_equal(jwt_verify(NULL, tok, n, NOW, &c), JWT_EINVAL);
    assert_int_equal(jwt_verify(ring, tok, n, NOW, NULL), JWT_EINVAL);
    assert_int_equal(jwt_verify(ring, tok, n, -1, &c), JWT_EINVAL);
    free(buf);
    free(tok);
    jwt_keyring_free(ring);
}

/* Header-level refusals, each with a valid k1 signature. */
static void test_header_errors(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    static const struct {
        const char *header;
        int want;
    } cases[] = {
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", JWT_EUNKNOWN_KID},
        {"{\"alg\":\"HS256\",\"kid\":\"k9\"}", JWT_EUNKNOWN_KID},
        {"{\"alg\":\"HS256\",\"kid\":\"\"}", JWT_EUNKNOWN_KID},
        {"{\"alg\":\"HS256\",\"kid\":7}", JWT_EUNKNOWN_KID},
        {"{\"alg\":\"HS512\",\"kid\":\"k1\"}", JWT_EWRONG_ALG},
        {"{\"alg\":\"hs256\",\"kid\":\"k1\"}", JWT_EWRONG_ALG},
        {"{\"alg\":\"RS256\",\"kid\":\"k1\"}", JWT_EWRONG_ALG},
        {"{\"kid\":\"k1\"}", JWT_EMALFORMED},
        {"{\"alg\":256,\"kid\":\"k1\"}", JWT_EMALFORMED},
        {"{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}", JWT_EMALFORMED},
        {"{\"alg\":\"HS256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}", JWT_EMALFORMED},
        {"{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWE\"}", JWT_EMALFORMED},
        {"[\"HS256\"]", JWT_EMALFORMED},
        {"not json", JWT_EMALFORMED},
        {"{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"jwt\"}", JWT_OK},
        {"{\"alg\":\"HS256\",\"kid\":\"k1\"}", JWT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tok = make_hs256(SECRET1, cases[i].header, good_payload);
        int rc = verify_str(ring, tok, NOW);
        if (rc != cases[i].want)
            fail_msg("header %s: got %d (%s), want %d", cases[i].header, rc, jwt_strerror(rc),
                     cases[i].want);
        free(tok);
    }
    jwt_keyring_free(ring);
}

/* Claim-level refusals, each with a valid k1 signature. */
static void test_claim_errors(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    static const char *bad[] = {
        "{\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":\"\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":\"u\\u0000x\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":7,\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":\"1800000000\",\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1.8e9,\"jti\":\"j\"}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"jti\":\"j\"}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"ext\":[1]}",
        "{\"sub\":\"u\",\"sub\":\"v\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
        "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":-5,\"exp\":1800000900,\"jti\":\"j\"}",
        "[1,2,3]",
        "{\"sub\":",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *tok = make_hs256(SECRET1, k1_header, bad[i]);
        int rc = verify_str(ring, tok, NOW);
        if (rc != JWT_EMALFORMED)
            fail_msg("payload #%zu: got %d (%s)", i, rc, jwt_strerror(rc));
        free(tok);
    }
    /* A sub of JWT_CLAIM_MAX + 1 bytes. */
    char payload[512], sub[JWT_CLAIM_MAX + 2];
    memset(sub, 'x', JWT_CLAIM_MAX + 1);
    sub[JWT_CLAIM_MAX + 1] = '\0';
    snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,"
             "\"exp\":1800000900,\"jti\":\"j\"}", sub);
    char *tok = make_hs256(SECRET1, k1_header, payload);
    assert_int_equal(verify_str(ring, tok, NOW), JWT_EMALFORMED);
    free(tok);
    jwt_keyring_free(ring);
}

static void test_expiry_and_nbf(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    assert_int_equal(jwt_keyring_set_leeway(ring, 30), JWT_OK);
    char *tok = sign_basic(ring, NOW, 900);  /* exp = NOW + 900 */
    assert_int_equal(verify_str(ring, tok, NOW + 900 + 29), JWT_OK);
    assert_int_equal(verify_str(ring, tok, NOW + 900 + 30), JWT_EEXPIRED);
    assert_int_equal(verify_str(ring, tok, NOW + 86400), JWT_EEXPIRED);
    /* Issued in the future: fine within the leeway, refused beyond. */
    assert_int_equal(verify_str(ring, tok, NOW - 30), JWT_OK);
    assert_int_equal(verify_str(ring, tok, NOW - 31), JWT_ENOT_YET_VALID);
    assert_int_equal(jwt_keyring_set_leeway(ring, 0), JWT_OK);
    assert_int_equal(verify_str(ring, tok, NOW + 900), JWT_EEXPIRED);
    assert_int_equal(verify_str(ring, tok, NOW + 899), JWT_OK);
    assert_int_equal(verify_str(ring, tok, NOW - 1), JWT_ENOT_YET_VALID);
    assert_int_equal(jwt_keyring_set_leeway(ring, -1), JWT_EINVAL);
    assert_int_equal(jwt_keyring_set_leeway(ring, 601), JWT_EINVAL);
    free(tok);
    /* nbf later than iat. */
    const char *nbf = "{\"sub\":\"u\",\"sid\":\"s\",\"role\":\"r\",\"iat\":1800000000,"
                      "\"nbf\":1800000100,\"exp\":1800000900,\"jti\":\"j\"}";
    tok = make_hs256(SECRET1, k1_header, nbf);
    assert_int_equal(verify_str(ring, tok, NOW + 99), JWT_ENOT_YET_VALID);
    jwt_claims_t c;
    assert_int_equal(jwt_verify(ring, tok, strlen(tok), NOW + 100, &c), JWT_OK);
    assert_int_equal(c.nbf, 1800000100);
    jwt_claims_clear(&c);
    free(tok);
    jwt_keyring_free(ring);
}

static void test_rotation(void **state)
{
    (void)state;
    jwt_keyring_t *ring = NULL;
    assert_int_equal(jwt_keyring_new(&ring), JWT_OK);
    jwt_sign_params_t p = {.sub = "u", .sid = "s", .role = "r", .iat = NOW, .ttl = 600};
    char *t = NULL;
    assert_int_equal(jwt_sign(ring, &p, &t), JWT_ENO_SIGNING_KEY);
    assert_null(t);
    assert_int_equal(jwt_keyring_add_hs256(ring, "2026-01", S(SECRET1)), JWT_OK);
    char *old_tok = sign_basic(ring, NOW, 600);
    /* Publish a new key and switch signing to it. */
    assert_int_equal(jwt_keyring_add_hs256(ring, "2026-02", S(SECRET2)), JWT_OK);
    assert_int_equal(jwt_keyring_set_active(ring, "2026-02"), JWT_OK);
    char *new_tok = sign_basic(ring, NOW, 600);
    jwt_claims_t c;
    assert_int_equal(jwt_verify(ring, new_tok, strlen(new_tok), NOW, &c), JWT_OK);
    assert_string_equal(c.kid, "2026-02");
    jwt_claims_clear(&c);
    assert_int_equal(jwt_verify(ring, old_tok, strlen(old_tok), NOW, &c), JWT_OK);
    assert_string_equal(c.kid, "2026-01");
    jwt_claims_clear(&c);
    /* Retire the old key: its tokens stop working, new ones do not. */
    assert_int_equal(jwt_keyring_remove(ring, "2026-01"), JWT_OK);
    assert_int_equal(jwt_keyring_count(ring), 1);
    assert_int_equal(verify_str(ring, old_tok, NOW), JWT_EUNKNOWN_KID);
    assert_int_equal(verify_str(ring, new_tok, NOW), JWT_OK);
    assert_int_equal(jwt_keyring_remove(ring, "2026-01"), JWT_ENOKEY);
    assert_int_equal(jwt_keyring_set_active(ring, "nope"), JWT_ENOKEY);
    /* Removing the active key leaves nothing to sign with. */
    assert_int_equal(jwt_keyring_remove(ring, "2026-02"), JWT_OK);
    assert_int_equal(jwt_sign(ring, &p, &t), JWT_ENO_SIGNING_KEY);
    free(old_tok);
    free(new_tok);
    jwt_keyring_free(ring);
}

static void test_key_and_sign_arguments(void **state)
{
    (void)state;
    jwt_keyring_t *ring = hs_ring();
    assert_int_equal(jwt_keyring_add_hs256(ring, "short", S("only-31-bytes-long-secret-12345")), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_hs256(ring, "k1", S(SECRET2)), JWT_EEXISTS);
    assert_int_equal(jwt_keyring_add_hs256(ring, "", S(SECRET2)), JWT_EINVAL);
    assert_int_equal(jwt_keyring_add_hs256(ring, "has space", S(SECRET2)), JWT_EINVAL);
    char longkid[JWT_KID_MAX + 2];
    memset(longkid, 'k', sizeof longkid - 1);
    longkid[sizeof longkid - 1] = '\0';
    assert_int_equal(jwt_keyring_add_hs256(ring, longkid, S(SECRET2)), JWT_EINVAL);
    assert_int_equal(jwt_keyring_add_jwk(ring, "j1", "{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}"), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_jwk(ring, "j1", "{not json"), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_pem(ring, "p1", JWT_ALG_RS256, S("-----BEGIN NOTHING-----")), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_pem(ring, "p1", JWT_ALG_HS256, S("x")), JWT_EINVAL);
    /* An oct JWK with a long enough secret works and keeps its own kid. */
    char *k = b64url(SECRET2 "-jwk", strlen(SECRET2) + 4);
    char jwk[256];
    snprintf(jwk, sizeof jwk, "{\"kty\":\"oct\",\"kid\":\"j2\",\"alg\":\"HS256\",\"k\":\"%s\"}", k);
    assert_int_equal(jwt_keyring_add_jwk(ring, NULL, jwk), JWT_OK);
    snprintf(jwk, sizeof jwk, "{\"kty\":\"oct\",\"alg\":\"HS512\",\"k\":\"%s\"}", k);
    assert_int_equal(jwt_keyring_add_jwk(ring, "j3", jwk), JWT_EKEY);
    free(k);
    assert_int_equal(jwt_keyring_count(ring), 3);
    /* Sign parameter checks. */
    char *t = NULL;
    json_t *arr = json_array();
    jwt_sign_params_t bad[] = {
        {.sid = "s", .role = "r", .iat = NOW, .ttl = 60},
        {.sub = "", .sid = "s", .role = "r", .iat = NOW, .ttl = 60},
        {.sub = "u", .sid = "s", .iat = NOW, .ttl = 60},
        {.sub = "u", .sid = "s", .role = "r", .iat = NOW, .ttl = 0},
        {.sub = "u", .sid = "s", .role = "r", .iat = -1, .ttl = 60},
        {.sub = "u", .sid = "s", .role = "r", .iat = NOW, .ttl = 60, .extra = arr},
        {.sub = "u", .sid = "s", .role = "r", .iat = NOW, .ttl = 60, .jti = ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(jwt_sign(ring, &bad[i], &t), JWT_EINVAL);
        assert_null(t);
    }
    json_decref(arr);
    assert_int_equal(jwt_sign(ring, NULL, &t), JWT_EINVAL);
    assert_string_equal(jwt_strerror(JWT_EALG_NONE), "unsigned token");
    assert_string_equal(jwt_alg_name(JWT_ALG_ES256), "ES256");
    jwt_keyring_free(ring);
}

/* ------------------------------------------------------------------ */
/* RS256 / ES256 (keys generated by the group setup)                  */
/* ------------------------------------------------------------------ */

typedef struct {
    char *rsa_priv_pem, *rsa_pub_pem, *rsa_pub_jwk;
    char *ec_priv_pem, *ec_priv_jwk, *ec_pub_jwk;
    char *ec384_priv_pem, *rsa1024_priv_pem;
} keys_t;

static char *export_pem(jwk_t *jwk)
{
    unsigned char buf[8192];
    size_t len = sizeof buf;
    assert_int_equal(r_jwk_export_to_pem_der(jwk, R_FORMAT_PEM, buf, &len, 0), RHN_OK);
    return strndup((const char *)buf, len);
}

static char *export_json(jwk_t *jwk)
{
    char *s = r_jwk_export_to_json_str(jwk, 0), *out = strdup(s);
    r_free(s);
    return out;
}

/* Generates a pair; sets *priv_pem and optionally the public PEM/JWK. */
static void gen_pair(int type, unsigned bits, const char *kid, char **priv_pem,
                     char **pub_pem, char **pub_jwk, char **priv_jwk)
{
    jwk_t *priv = NULL, *pub = NULL;
    assert_int_equal(r_jwk_init(&priv), RHN_OK);
    assert_int_equal(r_jwk_init(&pub), RHN_OK);
    assert_int_equal(r_jwk_generate_key_pair(priv, pub, type, bits, kid), RHN_OK);
    *priv_pem = export_pem(priv);
    if (pub_pem != NULL) *pub_pem = export_pem(pub);
    if (pub_jwk != NULL) *pub_jwk = export_json(pub);
    if (priv_jwk != NULL) *priv_jwk = export_json(priv);
    r_jwk_free(priv);
    r_jwk_free(pub);
}

static int group_setup(void **state)
{
    keys_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return -1;
    gen_pair(R_KEY_TYPE_RSA, 2048, "r1", &k->rsa_priv_pem, &k->rsa_pub_pem, &k->rsa_pub_jwk, NULL);
    gen_pair(R_KEY_TYPE_EC, 256, "e1", &k->ec_priv_pem, NULL, &k->ec_pub_jwk, &k->ec_priv_jwk);
    gen_pair(R_KEY_TYPE_EC, 384, "e384", &k->ec384_priv_pem, NULL, NULL, NULL);
    gen_pair(R_KEY_TYPE_RSA, 1024, "r1024", &k->rsa1024_priv_pem, NULL, NULL, NULL);
    *state = k;
    return 0;
}

static int group_teardown(void **state)
{
    keys_t *k = *state;
    char *all[] = {k->rsa_priv_pem, k->rsa_pub_pem, k->rsa_pub_jwk, k->ec_priv_pem,
                   k->ec_priv_jwk, k->ec_pub_jwk, k->ec384_priv_pem, k->rsa1024_priv_pem};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    free(k);
    return 0;
}

/* Signer ring (private keys) and verifier ring (public JWKs only). */
static void asym_rings(const keys_t *k, jwt_keyring_t **signer, jwt_keyring_t **verifier)
{
    assert_int_equal(jwt_keyring_new(signer), JWT_OK);
    assert_int_equal(jwt_keyring_add_pem(*signer, "r1", JWT_ALG_RS256, S(k->rsa_priv_pem)), JWT_OK);
    assert_int_equal(jwt_keyring_add_pem(*signer, "e1", JWT_ALG_ES256, S(k->ec_priv_pem)), JWT_OK);
    assert_int_equal(jwt_keyring_new(verifier), JWT_OK);
    assert_int_equal(jwt_keyring_add_jwk(*verifier, NULL, k->rsa_pub_jwk), JWT_OK);
    assert_int_equal(jwt_keyring_add_jwk(*verifier, NULL, k->ec_pub_jwk), JWT_OK);
}

static void test_asym_roundtrip(void **state)
{
    const keys_t *k = *state;
    jwt_keyring_t *signer, *verifier;
    asym_rings(k, &signer, &verifier);
    const char *kids[] = {"r1", "e1"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(jwt_keyring_set_active(signer, kids[i]), JWT_OK);
        char *tok = sign_basic(signer, NOW, 300);
        jwt_claims_t c;
        assert_int_equal(jwt_verify(verifier, tok, strlen(tok), NOW, &c), JWT_OK);
        assert_string_equal(c.kid, kids[i]);
        assert_string_equal(c.sub, "u-1");
        jwt_claims_clear(&c);
        assert_int_equal(verify_str(signer, tok, NOW), JWT_OK);
        assert_int_equal(verify_str(verifier, tok, NOW + 301 + 30), JWT_EEXPIRED);
        /* Changed payload under the original signature. */
        const char *evil = "{\"sub\":\"root\",\"sid\":\"s-1\",\"role\":\"admin\",\"iat\":1800000000,"
                           "\"exp\":1800000300,\"jti\":\"x\"}";
        assert_int_equal(verify_with_segment(verifier, tok, 1, evil), JWT_EBAD_SIGNATURE);
        /* Truncated signature. */
        char *t = strdup(tok);
        t[strlen(t) - 4] = '\0';
        assert_int_equal(verify_str(verifier, t, NOW), JWT_EBAD_SIGNATURE);
        free(t);
        free(tok);
    }
    /* A public-only key cannot be made the signing key. */
    assert_int_equal(jwt_keyring_set_active(verifier, "r1"), JWT_ENO_SIGNING_KEY);
    char *t = NULL;
    jwt_sign_params_t p = {.sub = "u", .sid = "s", .role = "r", .iat = NOW, .ttl = 60};
    assert_int_equal(jwt_sign(verifier, &p, &t), JWT_ENO_SIGNING_KEY);
    jwt_keyring_free(signer);
    jwt_keyring_free(verifier);
}

static void test_alg_confusion(void **state)
{
    const keys_t *k = *state;
    jwt_keyring_t *signer, *verifier;
    asym_rings(k, &signer, &verifier);
    /* HS256 "signed" with the RSA public key text as the HMAC secret. */
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"r1\",\"typ\":\"JWT\"}";
    char *tok = make_hs256(k->rsa_pub_pem, h, good_payload);
    assert_int_equal(verify_str(verifier, tok, NOW), JWT_EWRONG_ALG);
    free(tok);
    /* An ES256 token relabelled with the RSA key's kid. */
    assert_int_equal(jwt_keyring_set_active(signer, "e1"), JWT_OK);
    char *es = sign_basic(signer, NOW, 300);
    const char *es_as_r1 = "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"kid\":\"r1\"}";
    assert_int_equal(verify_with_segment(verifier, es, 0, es_as_r1), JWT_EWRONG_ALG);
    /* An RS256 token whose header claims PS256 / RS512. */
    assert_int_equal(jwt_keyring_set_active(signer, "r1"), JWT_OK);
    char *rs = sign_basic(signer, NOW, 300);
    const char *other[] = {"{\"typ\":\"JWT\",\"alg\":\"PS256\",\"kid\":\"r1\"}",
                           "{\"typ\":\"JWT\",\"alg\":\"RS512\",\"kid\":\"r1\"}"};
    for (int i = 0; i < 2; i++)
        assert_int_equal(verify_with_segment(verifier, rs, 0, other[i]), JWT_EWRONG_ALG);
    /* The ES256 signature pasted onto the RS256 token. */
    size_t es_len = strlen(es), sig_at = es_len;
    while (sig_at > 0 && es[sig_at - 1] != '.')
        sig_at--;
    char *t = replace_segment(rs, 2, es + sig_at);
    assert_int_equal(verify_str(verifier, t, NOW), JWT_EBAD_SIGNATURE);
    free(t);
    free(rs);
    free(es);
    jwt_keyring_free(signer);
    jwt_keyring_free(verifier);
}

static void test_asym_key_checks(void **state)
{
    const keys_t *k = *state;
    jwt_keyring_t *ring = NULL;
    assert_int_equal(jwt_keyring_new(&ring), JWT_OK);
    assert_int_equal(jwt_keyring_add_pem(ring, "x", JWT_ALG_ES256, S(k->rsa_priv_pem)), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_pem(ring, "x", JWT_ALG_RS256, S(k->ec_priv_pem)), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_pem(ring, "x", JWT_ALG_ES256, S(k->ec384_priv_pem)), JWT_EKEY);
    assert_int_equal(jwt_keyring_add_pem(ring, "x", JWT_ALG_RS256, S(k->rsa1024_priv_pem)), JWT_EKEY);
    /* A public PEM is accepted as a verify-only key. */
    assert_int_equal(jwt_keyring_add_pem(ring, "rp", JWT_ALG_RS256, S(k->rsa_pub_pem)), JWT_OK);
    assert_int_equal(jwt_keyring_set_active(ring, "rp"), JWT_ENO_SIGNING_KEY);
    /* A JWK whose "alg" disagrees with its key type. */
    char txt[4096];
    snprintf(txt, sizeof txt, "%.*s,\"alg\":\"ES256\"}", (int)strlen(k->rsa_pub_jwk) - 1, k->rsa_pub_jwk);
    assert_int_equal(jwt_keyring_add_jwk(ring, "ry", txt), JWT_EKEY);
    snprintf(txt, sizeof txt, "%.*s,\"alg\":\"RS256\"}", (int)strlen(k->rsa_pub_jwk) - 1, k->rsa_pub_jwk);
    assert_int_equal(jwt_keyring_add_jwk(ring, "ry", txt), JWT_OK);
    assert_int_equal(jwt_keyring_count(ring), 2);
    /* A private JWK can sign; its tokens verify against the public JWK. */
    assert_int_equal(jwt_keyring_add_jwk(ring, "ep", k->ec_priv_jwk), JWT_OK);
    assert_int_equal(jwt_keyring_set_active(ring, "ep"), JWT_OK);
    char *tok = sign_basic(ring, NOW, 60);
    jwt_keyring_t *pub = NULL;
    assert_int_equal(jwt_keyring_new(&pub), JWT_OK);
    assert_int_equal(jwt_keyring_add_jwk(pub, "ep", k->ec_pub_jwk), JWT_OK);
    assert_int_equal(verify_str(pub, tok, NOW), JWT_OK);
    free(tok);
    jwt_keyring_free(pub);
    jwt_keyring_free(ring);
}

static void test_export_jwks(void **state)
{
    const keys_t *k = *state;
    jwt_keyring_t *signer, *verifier;
    asym_rings(k, &signer, &verifier);
    assert_int_equal(jwt_keyring_add_hs256(signer, "k1", S(SECRET1)), JWT_OK);
    char *text = NULL;
    assert_int_equal(jwt_keyring_export_jwks(signer, &text), JWT_OK);
    json_t *doc = json_loads(text, 0, NULL);
    json_t *keys = json_object_get(doc, "keys");
    assert_int_equal(json_array_size(keys), 2);  /* r1 and e1, never k1 */
    for (size_t i = 0; i < 2; i++) {
        json_t *key = json_array_get(keys, i);
        const char *kid = json_string_value(json_object_get(key, "kid"));
        assert_true(strcmp(kid, "r1") == 0 || strcmp(kid, "e1") == 0);
        assert_null(json_object_get(key, "d"));  /* no private part */
        assert_null(json_object_get(key, "k"));
    }
    /* The exported set verifies the signer's tokens. */
    jwt_keyring_t *third = NULL;
    assert_int_equal(jwt_keyring_new(&third), JWT_OK);
    for (size_t i = 0; i < 2; i++) {
        char *one = json_dumps(json_array_get(keys, i), JSON_COMPACT);
        assert_int_equal(jwt_keyring_add_jwk(third, NULL, one), JWT_OK);
        free(one);
    }
    char *tok = sign_basic(signer, NOW, 60);
    assert_int_equal(verify_str(third, tok, NOW), JWT_OK);
    free(tok);
    json_decref(doc);
    free(text);
    jwt_keyring_free(third);
    jwt_keyring_free(signer);
    jwt_keyring_free(verifier);
}

/* ------------------------------------------------------------------ */
/* Threads: verifiers run while the ring is rotated                   */
/* ------------------------------------------------------------------ */

typedef struct {
    jwt_keyring_t *ring;
    const char *token;
    int iterations, ok;
} worker_t;

static void *verify_worker(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < w->iterations; i++) {
        jwt_claims_t c;
        if (jwt_verify(w->ring, w->token, strlen(w->token), NOW, &c) == JWT_OK &&
            strcmp(c.sub, "u-1") == 0)
            w->ok++;
        jwt_claims_clear(&c);
    }
    return NULL;
}

static void test_threads_with_rotation(void **state)
{
    const keys_t *k = *state;
    jwt_keyring_t *ring = hs_ring();
    assert_int_equal(jwt_keyring_add_pem(ring, "e1", JWT_ALG_ES256, S(k->ec_priv_pem)), JWT_OK);
    assert_int_equal(jwt_keyring_set_active(ring, "e1"), JWT_OK);
    char *es_tok = sign_basic(ring, NOW, 600);
    assert_int_equal(jwt_keyring_set_active(ring, "k1"), JWT_OK);
    char *tok = sign_basic(ring, NOW, 600);  /* k1 and e1 are never removed */
    enum { WORKERS = 3, ITER = 20000, ES_ITER = 1500, ROTATIONS = 2000 };
    worker_t w[WORKERS];
    pthread_t th[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (worker_t){.ring = ring, .token = i == 2 ? es_tok : tok,
                          .iterations = i == 2 ? ES_ITER : ITER};
        assert_int_equal(pthread_create(&th[i], NULL, verify_worker, &w[i]), 0);
    }
    int signed_ok = 0;
    for (int r = 0; r < ROTATIONS; r++) {
        assert_int_equal(jwt_keyring_add_hs256(ring, "k3", S(SECRET2 "-k3")), JWT_OK);
        assert_int_equal(jwt_keyring_set_active(ring, r % 2 ? "k3" : "k2"), JWT_OK);
        char *t = sign_basic(ring, NOW, 60);
        signed_ok += verify_str(ring, t, NOW) == JWT_OK;
        free(t);
        assert_int_equal(jwt_keyring_remove(ring, "k3"), JWT_OK);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, w[i].iterations);
    }
    assert_int_equal(signed_ok, ROTATIONS);
    free(es_tok);
    free(tok);
    jwt_keyring_free(ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper_matches_rfc7515),
        cmocka_unit_test(test_hs256_roundtrip),
        cmocka_unit_test(test_hs256_cross_check),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_claim_errors),
        cmocka_unit_test(test_expiry_and_nbf),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_key_and_sign_arguments),
        cmocka_unit_test(test_asym_roundtrip),
        cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_asym_key_checks),
        cmocka_unit_test(test_export_jwks),
        cmocka_unit_test(test_threads_with_rotation),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

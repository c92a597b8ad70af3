/*
 * test_totp.c - RFC 6238 / RFC 4226 vectors, base32 (RFC 4648 vectors),
 * verification window and replay refusal, otpauth URIs, recovery codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/totp.h"

#define S(x) (x), strlen(x)

static const uint8_t rfc_key[] = "12345678901234567890"; /* RFC 4226/6238 SHA1 seed */
#define RFC_KEY_LEN 20

/* ---- Base32 ---- */

static void test_base32_rfc4648_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *padded, *unpadded;
    } v[] = {
        {"", "", ""},
        {"f", "MY======", "MY"},
        {"fo", "MZXQ====", "MZXQ"},
        {"foo", "MZXW6===", "MZXW6"},
        {"foob", "MZXW6YQ=", "MZXW6YQ"},
        {"fooba", "MZXW6YTB", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI======", "MZXW6YTBOI"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char enc[32];
        uint8_t dec[16];
        size_t n = 99;
        size_t len = strlen(v[i].in);
        assert_int_equal(totp_base32_encode((const uint8_t *)v[i].in, len, enc, sizeof enc),
                         (int)strlen(v[i].unpadded));
        assert_string_equal(enc, v[i].unpadded);
        assert_int_equal(totp_base32_decode(S(v[i].padded), dec, sizeof dec, &n), TOTP_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, v[i].in, len);
        assert_int_equal(totp_base32_decode(S(v[i].unpadded), dec, sizeof dec, &n), TOTP_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, v[i].in, len);
    }
}

static void test_base32_lenient_and_strict(void **state)
{
    (void)state;
    uint8_t dec[32];
    size_t n = 0;
    /* Lower case and spaces (as typed from a screen) are fine. */
    assert_int_equal(totp_base32_decode(S("mzxw 6ytb oi"), dec, sizeof dec, &n), TOTP_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(dec, "foobar", 6);
    /* Invalid characters, impossible lengths, misplaced or wrong padding,
     * non-zero leftover bits. */
    const char *bad[] = {"MZXW1", "MZXW8", "M", "MZX", "MZXW6Y", "MZ=XW6", "MZXQ===",
                         "MZXQ=====", "MZ", "MZXW6YTBOI=", "========", "MZXW6YTB!"};
    /* "MZ" decodes to 'f' plus 2 spare bits, Z sets them: not canonical. */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = totp_base32_decode(S(bad[i]), dec, sizeof dec, &n);
        if (rc != TOTP_EFORMAT)
            fail_msg("accepted \"%s\" (rc %d)", bad[i], rc);
    }
    /* Output buffer too small. */
    assert_int_equal(totp_base32_decode(S("MZXW6YTBOI"), dec, 3, &n), TOTP_EINVAL);
    char enc[4];
    assert_int_equal(totp_base32_encode((const uint8_t *)"foo", 3, enc, sizeof enc), TOTP_EINVAL);
}

static void test_base32_roundtrip_random(void **state)
{
    (void)state;
    for (size_t len = 0; len <= 40; len++) {
        uint8_t raw[40], back[40];
        char enc[TOTP_BASE32_LEN(40) + 1];
        for (size_t i = 0; i < len; i++)
            raw[i] = (uint8_t)(i * 37 + len * 11 + 5);
        int elen = totp_base32_encode(raw, len, enc, sizeof enc);
        assert_int_equal(elen, (int)TOTP_BASE32_LEN(len));
        size_t n = 0;
        assert_int_equal(totp_base32_decode(enc, (size_t)elen, back, sizeof back, &n), TOTP_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, raw, len);
    }
}

/* ---- HOTP / TOTP ---- */

static void test_hotp_rfc4226_vectors(void **state)
{
    (void)state;
    static const char *expect[10] = {"755224", "287082", "359152", "969429", "338314",
                                     "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t c = 0; c < 10; c++) {
        char code[9];
        assert_int_equal(totp_hotp(rfc_key, RFC_KEY_LEN, c, 6, code, sizeof code), TOTP_OK);
        assert_string_equal(code, expect[c]);
    }
}

static void test_totp_rfc6238_sha1_vectors(void **state)
{
    (void)state;
    /* RFC 6238 appendix B, SHA1 rows: 8 digits, 30 s steps. */
    static const struct {
        int64_t t;
        const char *code;
    } v[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char code[9];
        assert_int_equal(totp_hotp(rfc_key, RFC_KEY_LEN, (uint64_t)totp_step(v[i].t), 8, code,
                                   sizeof code), TOTP_OK);
        assert_string_equal(code, v[i].code);
        /* The 6-digit profile is the same value mod 10^6. */
        char six[7];
        assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, v[i].t, six, sizeof six), TOTP_OK);
        assert_string_equal(six, v[i].code + 2);
    }
}

static void test_hotp_args(void **state)
{
    (void)state;
    char code[9];
    assert_int_equal(totp_hotp(rfc_key, RFC_KEY_LEN, 0, 5, code, sizeof code), TOTP_EINVAL);
    assert_int_equal(totp_hotp(rfc_key, RFC_KEY_LEN, 0, 9, code, sizeof code), TOTP_EINVAL);
    assert_int_equal(totp_hotp(rfc_key, RFC_KEY_LEN, 0, 8, code, 8), TOTP_EINVAL);
    assert_int_equal(totp_hotp(NULL, 20, 0, 6, code, sizeof code), TOTP_EINVAL);
    assert_int_equal(totp_hotp(rfc_key, 0, 0, 6, code, sizeof code), TOTP_EINVAL);
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, -1, code, sizeof code), TOTP_ERANGE);
    assert_int_equal(totp_step(-5), -1);
    assert_int_equal(totp_step(29), 0);
    assert_int_equal(totp_step(30), 1);
}

static void test_verify_window(void **state)
{
    (void)state;
    const int64_t now = 1234567890;  /* the first second of step 41152263 */
    const int64_t step = totp_step(now);
    char prev[7], cur[7], next[7], far[7];
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now - 30, prev, sizeof prev), TOTP_OK);
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now, cur, sizeof cur), TOTP_OK);
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now + 30, next, sizeof next), TOTP_OK);
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now + 90, far, sizeof far), TOTP_OK);
    int64_t matched = 0;
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(cur), now, -1, &matched), TOTP_OK);
    assert_int_equal(matched, step);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(prev), now, -1, &matched), TOTP_OK);
    assert_int_equal(matched, step - 1);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(next), now, -1, &matched), TOTP_OK);
    assert_int_equal(matched, step + 1);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(far), now, -1, &matched), TOTP_EMISMATCH);
    assert_int_equal(matched, -1);
}

static void test_verify_refuses_reuse(void **state)
{
    (void)state;
    const int64_t now = 2000000000;
    char cur[7], prev[7];
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now, cur, sizeof cur), TOTP_OK);
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now - 30, prev, sizeof prev), TOTP_OK);
    int64_t used = -1, matched = -1;
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(cur), now, used, &matched), TOTP_OK);
    used = matched;
    /* Same code again, even 10 s later in the same step: refused. */
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(cur), now + 10, used, &matched),
                     TOTP_EMISMATCH);
    /* An older code (previous step) after a newer one: refused. */
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(prev), now, used, &matched),
                     TOTP_EMISMATCH);
    /* The next step's code is fine. */
    char next[7];
    assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, now + 30, next, sizeof next), TOTP_OK);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(next), now + 30, used, &matched), TOTP_OK);
    assert_true(matched > used);
}

static void test_verify_bad_input(void **state)
{
    (void)state;
    int64_t m;
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S("12345"), 100, -1, &m), TOTP_EFORMAT);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S("1234567"), 100, -1, &m), TOTP_EFORMAT);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S("12a456"), 100, -1, &m), TOTP_EFORMAT);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S(" 23456"), 100, -1, &m), TOTP_EFORMAT);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, NULL, 6, 100, -1, &m), TOTP_EFORMAT);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S("123456"), -100, -1, &m), TOTP_ERANGE);
    assert_int_equal(totp_verify(NULL, 0, S("123456"), 100, -1, &m), TOTP_EINVAL);
    assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, S("123456"), 100, -1, NULL), TOTP_EINVAL);
}

static void test_secret_generate(void **state)
{
    (void)state;
    uint8_t a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
    assert_int_equal(totp_secret_generate(a), TOTP_OK);
    assert_int_equal(totp_secret_generate(b), TOTP_OK);
    assert_memory_not_equal(a, b, sizeof a);
    char enc[TOTP_BASE32_LEN(TOTP_SECRET_BYTES) + 1];
    assert_int_equal(totp_base32_encode(a, sizeof a, enc, sizeof enc), 32);
}

/* ---- URI ---- */

static void test_uri(void **state)
{
    (void)state;
    char *uri = NULL;
    assert_int_equal(totp_uri("Travloc", "alice@example.com", rfc_key, RFC_KEY_LEN, &uri), TOTP_OK);
    assert_string_equal(uri, "otpauth://totp/Travloc:alice%40example.com"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Travloc"
                             "&algorithm=SHA1&digits=6&period=30");
    free(uri);
    assert_int_equal(totp_uri("Trav & Loc", "Zoë Smith", rfc_key, 5, &uri), TOTP_OK);
    assert_string_equal(uri, "otpauth://totp/Trav%20%26%20Loc:Zo%C3%AB%20Smith"
                             "?secret=GEZDGNBV&issuer=Trav%20%26%20Loc"
                             "&algorithm=SHA1&digits=6&period=30");
    free(uri);
    assert_int_equal(totp_uri(NULL, "bob", rfc_key, 5, &uri), TOTP_OK);
    assert_string_equal(uri, "otpauth://totp/bob?secret=GEZDGNBV&algorithm=SHA1&digits=6&period=30");
    free(uri);
    assert_int_equal(totp_uri("A:B", "bob", rfc_key, 5, &uri), TOTP_EINVAL);
    assert_null(uri);
    assert_int_equal(totp_uri("Travloc", "bo\nb", rfc_key, 5, &uri), TOTP_EINVAL);
    assert_int_equal(totp_uri("Travloc", "", rfc_key, 5, &uri), TOTP_EINVAL);
    assert_int_equal(totp_uri("Travloc", "bob", NULL, 5, &uri), TOTP_EINVAL);
    char longname[TOTP_LABEL_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(totp_uri("Travloc", longname, rfc_key, 5, &uri), TOTP_EINVAL);
    /* Worst case: every byte percent-encoded, at the maximum length. */
    char worst[TOTP_LABEL_MAX + 1];
    memset(worst, '%', TOTP_LABEL_MAX);
    worst[TOTP_LABEL_MAX] = '\0';
    assert_int_equal(totp_uri(worst, worst, rfc_key, RFC_KEY_LEN, &uri), TOTP_OK);
    assert_true(strlen(uri) > 3 * 3 * TOTP_LABEL_MAX);
    free(uri);
}

/* ---- Recovery codes ---- */

static const uint8_t pepper[32] = "0123456789abcdef0123456789abcdef";

static void test_recovery_generate(void **state)
{
    (void)state;
    char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN + 1];
    assert_int_equal(totp_recovery_generate(codes), TOTP_OK);
    for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
        assert_int_equal(strlen(codes[i]), TOTP_RECOVERY_LEN);
        assert_int_equal(codes[i][4], '-');
        for (int k = 0; k < TOTP_RECOVERY_LEN; k++) {
            if (k == 4)
                continue;
            char c = codes[i][k];
            assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'));
            assert_true(c != 'i' && c != 'l' && c != 'o' && c != 'u');
        }
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
}

static void test_recovery_hash_verify(void **state)
{
    (void)state;
    char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN + 1];
    char hashes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_HASH_LEN + 1];
    const char *ptrs[TOTP_RECOVERY_COUNT];
    assert_int_equal(totp_recovery_generate(codes), TOTP_OK);
    for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
        assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S(codes[i]), hashes[i],
                                            sizeof hashes[i]), TOTP_OK);
        assert_int_equal(strlen(hashes[i]), 64);
        ptrs[i] = hashes[i];
    }
    assert_int_equal(totp_recovery_verify(pepper, sizeof pepper, S(codes[7]), ptrs,
                                          TOTP_RECOVERY_COUNT), 7);
    /* Typed differently: upper case, no dash, spaces. */
    char typed[16];
    snprintf(typed, sizeof typed, " %.4s %.4s ", codes[3], codes[3] + 5);
    for (char *p = typed; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    assert_int_equal(totp_recovery_verify(pepper, sizeof pepper, S(typed), ptrs,
                                          TOTP_RECOVERY_COUNT), 3);
    /* Used code blanked by the caller: no longer accepted. */
    ptrs[7] = NULL;
    assert_int_equal(totp_recovery_verify(pepper, sizeof pepper, S(codes[7]), ptrs,
                                          TOTP_RECOVERY_COUNT), TOTP_EMISMATCH);
    /* Another pepper gives other hashes. */
    uint8_t other[32];
    memcpy(other, pepper, sizeof other);
    other[0] ^= 1;
    assert_int_equal(totp_recovery_verify(other, sizeof other, S(codes[3]), ptrs,
                                          TOTP_RECOVERY_COUNT), TOTP_EMISMATCH);
}

static void test_recovery_normalisation(void **state)
{
    (void)state;
    char a[65], b[65];
    /* o -> 0 and i/l -> 1, as Crockford's alphabet prescribes. */
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("10ab-cd01"), a, sizeof a), TOTP_OK);
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("lOAB-CDoI"), b, sizeof b), TOTP_OK);
    assert_string_equal(a, b);
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("10ab-cd0"), a, sizeof a), TOTP_EFORMAT);
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("10ab-cd011"), a, sizeof a), TOTP_EFORMAT);
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("10ab-cdu1"), a, sizeof a), TOTP_EFORMAT);
    assert_int_equal(totp_recovery_hash(pepper, 16, S("10ab-cd01"), a, sizeof a), TOTP_EINVAL);
    assert_int_equal(totp_recovery_hash(pepper, sizeof pepper, S("10ab-cd01"), a, 64), TOTP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base32_rfc4648_vectors),
        cmocka_unit_test(test_base32_lenient_and_strict),
        cmocka_unit_test(test_base32_roundtrip_random),
        cmocka_unit_test(test_hotp_rfc4226_vectors),
        cmocka_unit_test(test_totp_rfc6238_sha1_vectors),
        cmocka_unit_test(test_hotp_args),
        cmocka_unit_test(test_verify_window),
        cmocka_unit_test(test_verify_refuses_reuse),
        cmocka_unit_test(test_verify_bad_input),
        cmocka_unit_test(test_secret_generate),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_recovery_generate),
        cmocka_unit_test(test_recovery_hash_verify),
        cmocka_unit_test(test_recovery_normalisation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

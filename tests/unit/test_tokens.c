/*
 * test_tokens.c - opaque random tokens: shape, uniqueness, hashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "auth/tokens.h"

static void test_generate_shape(void **state)
{
    (void)state;
    char tok[TOKENS_LEN + 1];
    assert_int_equal(tokens_generate(tok, sizeof tok), TOKENS_OK);
    assert_int_equal(strlen(tok), TOKENS_LEN);
    for (size_t i = 0; i < TOKENS_LEN; i++) {
        char c = tok[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_';
        assert_true(ok);
    }
    assert_true(tokens_is_well_formed(tok, strlen(tok)));
}

static void test_generate_unique(void **state)
{
    (void)state;
    enum { N = 200 };
    static char toks[N][TOKENS_LEN + 1];
    for (int i = 0; i < N; i++)
        assert_int_equal(tokens_generate(toks[i], sizeof toks[i]), TOKENS_OK);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(toks[i], toks[j]);
}

static void test_generate_small_buffer(void **state)
{
    (void)state;
    char small[TOKENS_LEN];
    assert_int_equal(tokens_generate(small, sizeof small), TOKENS_EINVAL);
    assert_string_equal(small, "");
    assert_int_equal(tokens_generate(NULL, 100), TOKENS_EINVAL);
}

static void test_well_formed_rejects(void **state)
{
    (void)state;
    char tok[TOKENS_LEN + 1];
    assert_int_equal(tokens_generate(tok, sizeof tok), TOKENS_OK);
    assert_false(tokens_is_well_formed(tok, TOKENS_LEN - 1));   /* truncated */
    assert_false(tokens_is_well_formed(NULL, TOKENS_LEN));
    char bad[TOKENS_LEN + 1];
    memcpy(bad, tok, sizeof bad);
    bad[5] = '+';                                               /* not base64url */
    assert_false(tokens_is_well_formed(bad, TOKENS_LEN));
    memcpy(bad, tok, sizeof bad);
    bad[10] = '=';
    assert_false(tokens_is_well_formed(bad, TOKENS_LEN));
    /* 32 bytes leave 2 spare bits in the last character: "B" sets one. */
    const char *noncanon = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
    assert_false(tokens_is_well_formed(noncanon, strlen(noncanon)));
    const char *canon = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE";
    assert_true(tokens_is_well_formed(canon, strlen(canon)));
}

static void test_hash_known_vector(void **state)
{
    (void)state;
    char hex[TOKENS_HASH_LEN + 1];
    /* SHA-256("abc"), FIPS 180-2 appendix B.1. */
    assert_int_equal(tokens_hash("abc", 3, hex, sizeof hex), TOKENS_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(tokens_hash("", 0, hex, sizeof hex), TOKENS_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(tokens_hash("abc", 3, hex, TOKENS_HASH_LEN), TOKENS_EINVAL);
    assert_int_equal(tokens_hash(NULL, 3, hex, sizeof hex), TOKENS_EINVAL);
}

static void test_verify_roundtrip(void **state)
{
    (void)state;
    char tok[TOKENS_LEN + 1], hex[TOKENS_HASH_LEN + 1];
    assert_int_equal(tokens_generate(tok, sizeof tok), TOKENS_OK);
    assert_int_equal(tokens_hash(tok, strlen(tok), hex, sizeof hex), TOKENS_OK);
    assert_true(tokens_verify(tok, strlen(tok), hex));
    tok[0] = tok[0] == 'A' ? 'B' : 'A';
    assert_false(tokens_verify(tok, strlen(tok), hex));
    assert_false(tokens_verify(tok, strlen(tok), NULL));
    assert_false(tokens_verify(tok, strlen(tok), "abc"));
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(tokens_equal("abc", 3, "abc", 3));
    assert_false(tokens_equal("abc", 3, "abd", 3));
    assert_false(tokens_equal("abc", 3, "abcd", 4));
    assert_true(tokens_equal("", 0, "", 0));
    assert_false(tokens_equal(NULL, 0, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape),
        cmocka_unit_test(test_generate_unique),
        cmocka_unit_test(test_generate_small_buffer),
        cmocka_unit_test(test_well_formed_rejects),
        cmocka_unit_test(test_hash_known_vector),
        cmocka_unit_test(test_verify_roundtrip),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_password.c - Argon2id hashing and the password policy.
 *
 * Needs $TRAVLOC_DATA_DIR/passwords/common-10k.txt (TRAVLOC_DATA_DIR
 * defaults to "data", relative to the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"

#define S(x) (x), strlen(x)

static void data_path(char *buf, size_t n, const char *rel)
{
    const char *dir = getenv("TRAVLOC_DATA_DIR");
    snprintf(buf, n, "%s/%s", dir != NULL && dir[0] != '\0' ? dir : "data", rel);
}

/* ---- Hashing ---- */

static void test_hash_verify_roundtrip(void **state)
{
    (void)state;
    password_params_t p = password_params_min();
    char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(S("correct horse battery"), &p, h1), PASSWORD_OK);
    assert_int_equal(strncmp(h1, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
    assert_int_equal(password_hash(S("correct horse battery"), &p, h2), PASSWORD_OK);
    assert_string_not_equal(h1, h2);  /* fresh salt each time */
    assert_int_equal(password_verify(h1, S("correct horse battery")), PASSWORD_OK);
    assert_int_equal(password_verify(h2, S("correct horse battery")), PASSWORD_OK);
    assert_int_equal(password_verify(h1, S("correct horse batterY")), PASSWORD_EMISMATCH);
    assert_int_equal(password_verify(h1, S("")), PASSWORD_EMISMATCH);
    /* Length matters: a NUL-extended password is another password. */
    assert_int_equal(password_verify(h1, "correct horse battery\0", 22), PASSWORD_EMISMATCH);
}

static void test_hash_interactive_default(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(S("a default-cost password"), NULL, h), PASSWORD_OK);
    assert_int_equal(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31), 0);
    assert_int_equal(password_verify(h, S("a default-cost password")), PASSWORD_OK);
    assert_int_equal(password_needs_rehash(h, NULL), 0);
    password_params_t p = password_params_min();
    assert_int_equal(password_needs_rehash(h, &p), 1);
}

static void test_hash_rejects(void **state)
{
    (void)state;
    password_params_t p = password_params_min();
    char h[PASSWORD_HASH_MAX];
    char big[PASSWORD_MAX_BYTES + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(password_hash(big, sizeof big, &p, h), PASSWORD_ETOO_LONG);
    assert_string_equal(h, "");
    assert_int_equal(password_hash(big, PASSWORD_MAX_BYTES, &p, h), PASSWORD_OK);
    assert_int_equal(password_verify(h, big, PASSWORD_MAX_BYTES), PASSWORD_OK);
    assert_int_equal(password_verify(h, big, sizeof big), PASSWORD_ETOO_LONG);
    assert_int_equal(password_hash(NULL, 3, &p, h), PASSWORD_EINVAL);
    password_params_t weak = {.opslimit = 0, .memlimit = 8192};
    assert_int_equal(password_hash(S("whatever123"), &weak, h), PASSWORD_EINVAL);
}

static void test_verify_malformed_stored(void **state)
{
    (void)state;
    password_params_t p = password_params_min();
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(S("tamper with me"), &p, h), PASSWORD_OK);
    assert_int_equal(password_verify(NULL, S("x")), PASSWORD_EINVAL);
    assert_int_equal(password_verify("", S("x")), PASSWORD_EINVAL);
    assert_int_equal(password_verify("$2b$10$abcdefghijklmnopqrstuv", S("x")), PASSWORD_EINVAL);
    /* Unterminated buffer of exactly PASSWORD_HASH_MAX bytes. */
    char unterminated[PASSWORD_HASH_MAX];
    memset(unterminated, 'a', sizeof unterminated);
    memcpy(unterminated, "$argon2id$", 10);
    assert_int_equal(password_verify(unterminated, S("x")), PASSWORD_EINVAL);
    /* Truncated and bit-flipped hashes never verify. */
    char cut[PASSWORD_HASH_MAX];
    strcpy(cut, h);
    cut[strlen(cut) - 5] = '\0';
    assert_int_equal(password_verify(cut, S("tamper with me")), PASSWORD_EMISMATCH);
    strcpy(cut, h);
    cut[strlen(cut) - 2] = cut[strlen(cut) - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(password_verify(cut, S("tamper with me")), PASSWORD_EMISMATCH);
    assert_int_equal(password_needs_rehash("garbage", NULL), PASSWORD_EINVAL);
    assert_int_equal(password_needs_rehash(h, &p), 0);
}

/* ---- Policy list ---- */

static void test_policy_load_real_list(void **state)
{
    (void)state;
    char path[512];
    data_path(path, sizeof path, "passwords/common-10k.txt");
    password_policy_t *pol = NULL;
    assert_int_equal(password_policy_load(path, &pol), PASSWORD_OK);
    assert_non_null(pol);
    assert_int_equal(password_policy_count(pol), 10000);
    assert_true(password_policy_is_common(pol, S("password")));
    assert_true(password_policy_is_common(pol, S("PassWord")));
    assert_true(password_policy_is_common(pol, S("123456")));
    assert_true(password_policy_is_common(pol, S("qwertyuiop")));
    assert_false(password_policy_is_common(pol, S("vT9#qL2!mZ8@wR")));
    assert_false(password_policy_is_common(pol, S("")));
    assert_false(password_policy_is_common(pol, "password\0", 9));
    /* Whole-policy checks against the real list. */
    assert_int_equal(password_policy_check(pol, S("qwertyuiop"), NULL, 0), PASSWORD_ECOMMON);
    assert_int_equal(password_policy_check(pol, S("1234567890"), NULL, 0), PASSWORD_ECOMMON);
    assert_int_equal(password_policy_check(pol, S("QWERTYUIOP"), NULL, 0), PASSWORD_ECOMMON);
    assert_int_equal(password_policy_check(pol, S("password"), NULL, 0), PASSWORD_ETOO_SHORT);
    assert_int_equal(password_policy_check(pol, S("blue-canyon-42-otter"), S("sam@example.com")),
                     PASSWORD_OK);
    password_policy_free(pol);
    password_policy_free(NULL);
}

static char *write_temp(const char *content, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/travloc-pwlist-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_policy_load_format(void **state)
{
    (void)state;
    const char text[] = "Alpha\r\nbeta\n\n\nALPHA\ngamma delta\r\n\r\nbeta";
    char *path = write_temp(text, sizeof text - 1);
    password_policy_t *pol = NULL;
    assert_int_equal(password_policy_load(path, &pol), PASSWORD_OK);
    assert_int_equal(password_policy_count(pol), 3);  /* alpha, beta, gamma delta */
    assert_true(password_policy_is_common(pol, S("alpha")));
    assert_true(password_policy_is_common(pol, S("Gamma Delta")));
    assert_true(password_policy_is_common(pol, S("BETA")));
    assert_false(password_policy_is_common(pol, S("gamma")));
    assert_false(password_policy_is_common(pol, S("alpha\r")));
    password_policy_free(pol);
    unlink(path);

    path = write_temp("\n\r\n\n", 4);
    assert_int_equal(password_policy_load(path, &pol), PASSWORD_EFORMAT);
    assert_null(pol);
    unlink(path);
    path = write_temp("", 0);
    assert_int_equal(password_policy_load(path, &pol), PASSWORD_EFORMAT);
    unlink(path);
    assert_int_equal(password_policy_load("/nonexistent/dir/list.txt", &pol), PASSWORD_EIO);
    assert_null(pol);
    assert_int_equal(password_policy_load(NULL, &pol), PASSWORD_EINVAL);
    assert_int_equal(password_policy_load("x", NULL), PASSWORD_EINVAL);
}

/* ---- Policy rules ---- */

static void test_policy_length_and_encoding(void **state)
{
    (void)state;
    assert_int_equal(password_policy_check(NULL, S("short"), NULL, 0), PASSWORD_ETOO_SHORT);
    assert_int_equal(password_policy_check(NULL, S("123456789"), NULL, 0), PASSWORD_ETOO_SHORT);
    assert_int_equal(password_policy_check(NULL, S("1234567x90"), NULL, 0), PASSWORD_OK);
    /* Code points, not bytes: 9 x "é" is 18 bytes but too short. */
    assert_int_equal(password_policy_check(NULL, S("ééééééééé"), NULL, 0), PASSWORD_ETOO_SHORT);
    assert_int_equal(password_policy_check(NULL, S("éééééééééé"), NULL, 0), PASSWORD_OK);
    assert_int_equal(password_policy_check(NULL, S("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"), NULL, 0), PASSWORD_OK);
    assert_int_equal(password_policy_check(NULL, S("abcdefghi\xC3"), NULL, 0), PASSWORD_EENCODING);
    assert_int_equal(password_policy_check(NULL, S("abcdefghij\xC0\xAF"), NULL, 0), PASSWORD_EENCODING);
    assert_int_equal(password_policy_check(NULL, "abcdefghij\0klm", 14, NULL, 0), PASSWORD_EENCODING);
    char big[PASSWORD_MAX_BYTES + 2];
    memset(big, 'k', sizeof big);
    assert_int_equal(password_policy_check(NULL, big, PASSWORD_MAX_BYTES, NULL, 0), PASSWORD_OK);
    assert_int_equal(password_policy_check(NULL, big, PASSWORD_MAX_BYTES + 1, NULL, 0), PASSWORD_ETOO_LONG);
    assert_int_equal(password_policy_check(NULL, NULL, 10, NULL, 0), PASSWORD_EINVAL);
}

static void test_policy_personal(void **state)
{
    (void)state;
    const char *email = "Alice.Smith@Example.com";
    assert_int_equal(password_policy_check(NULL, S("alice.smith"), S(email)), PASSWORD_EPERSONAL);
    assert_int_equal(password_policy_check(NULL, S("ALICE.SMITH"), S(email)), PASSWORD_EPERSONAL);
    assert_int_equal(password_policy_check(NULL, S("my-alice.smith!"), S(email)), PASSWORD_EPERSONAL);
    assert_int_equal(password_policy_check(NULL, S("alicesmith-2024"), S(email)), PASSWORD_OK);
    /* Domain parts do not count; only the local part. */
    assert_int_equal(password_policy_check(NULL, S("example.com!!"), S(email)), PASSWORD_OK);
    /* Very short local parts are ignored, or "a@x.io" would ban "a". */
    assert_int_equal(password_policy_check(NULL, S("banana bread"), S("an@x.io")), PASSWORD_OK);
    assert_int_equal(password_policy_check(NULL, S("banana bread"), S("nan@x.io")), PASSWORD_EPERSONAL);
    /* Without '@' the whole string is the name. */
    assert_int_equal(password_policy_check(NULL, S("xx-traveller-xx"), S("Traveller")), PASSWORD_EPERSONAL);
    /* The local part is longer than the password: cannot be contained. */
    assert_int_equal(password_policy_check(NULL, S("shortpass1"), S("averyverylongname@x.io")), PASSWORD_OK);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(password_strerror(PASSWORD_ECOMMON), "password is too common");
    assert_string_equal(password_strerror(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify_roundtrip),
        cmocka_unit_test(test_hash_interactive_default),
        cmocka_unit_test(test_hash_rejects),
        cmocka_unit_test(test_verify_malformed_stored),
        cmocka_unit_test(test_policy_load_real_list),
        cmocka_unit_test(test_policy_load_format),
        cmocka_unit_test(test_policy_length_and_encoding),
        cmocka_unit_test(test_policy_personal),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

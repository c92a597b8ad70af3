/*
 * test_accounts_crypto.c - the pure parts added for sealed MFA secrets and
 * the HTTP SMS provider: MFA_KEY parsing, seal/open round trips and the
 * ways opening must fail (wrong key, another user, damaged text), legacy
 * plaintext rows, and the JSON body the SMS provider receives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/mfa_secret.h"
#include "accounts/sms.h"

static const char *B32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
static const char *UID = "0190aaaa-0000-7000-8000-000000000001";

static void test_key_parse(void **state)
{
    (void)state;
    uint8_t raw[32], key[MFA_KEY_BYTES];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)(i * 7 + 1);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, raw, 32, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(mfa_key_parse(b64, key), 0);
    assert_memory_equal(key, raw, 32);
    sodium_bin2base64(b64, sizeof b64, raw, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(mfa_key_parse(b64, key), 0);
    assert_memory_equal(key, raw, 32);
    sodium_bin2base64(b64, sizeof b64, raw, 16, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(mfa_key_parse(b64, key), -1);
    sodium_bin2base64(b64, sizeof b64, raw, 31, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(mfa_key_parse(b64, key), -1);
    assert_int_equal(mfa_key_parse("not base64 at all!", key), -1);
    assert_int_equal(mfa_key_parse("", key), -1);
    assert_int_equal(mfa_key_parse(NULL, key), -1);
}

static void test_seal_open(void **state)
{
    (void)state;
    uint8_t k1[MFA_KEY_BYTES], k2[MFA_KEY_BYTES];
    randombytes_buf(k1, sizeof k1);
    randombytes_buf(k2, sizeof k2);
    char *a = mfa_secret_seal_with(k1, UID, B32), *b = mfa_secret_seal_with(k1, UID, B32);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strncmp(a, "v1:", 3), 0);
    assert_null(strstr(a, B32));
    assert_string_not_equal(a, b); /* a fresh nonce each time */
    char out[64];
    bool legacy = true;
    assert_int_equal(mfa_secret_open_with(k1, UID, a, out, sizeof out, &legacy), 0);
    assert_string_equal(out, B32);
    assert_false(legacy);
    /* Wrong key, another user, a flipped character, a truncation. */
    assert_int_equal(mfa_secret_open_with(k2, UID, a, out, sizeof out, &legacy), -1);
    assert_int_equal(mfa_secret_open_with(k1, "0190aaaa-0000-7000-8000-000000000002", a, out,
                                          sizeof out, &legacy), -1);
    char *bad = strdup(a);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(mfa_secret_open_with(k1, UID, bad, out, sizeof out, &legacy), -1);
    bad[20] = '\0';
    assert_int_equal(mfa_secret_open_with(k1, UID, bad, out, sizeof out, &legacy), -1);
    assert_int_equal(mfa_secret_open_with(k1, UID, "v1:", out, sizeof out, &legacy), -1);
    assert_int_equal(mfa_secret_open_with(k1, UID, "v1:@@@", out, sizeof out, &legacy), -1);
    /* Too small an output buffer fails rather than truncating. */
    assert_int_equal(mfa_secret_open_with(k1, UID, a, out, 8, &legacy), -1);
    free(bad);
    free(a);
    free(b);
}

static void test_legacy_plaintext(void **state)
{
    (void)state;
    uint8_t k[MFA_KEY_BYTES];
    randombytes_buf(k, sizeof k);
    char out[64];
    bool legacy = false;
    assert_int_equal(mfa_secret_open_with(k, UID, B32, out, sizeof out, &legacy), 0);
    assert_true(legacy);
    assert_string_equal(out, B32);
    assert_int_equal(mfa_secret_open_with(k, UID, "v2:xyz", out, sizeof out, &legacy), -1);
    assert_int_equal(mfa_secret_open_with(k, UID, "lower-case", out, sizeof out, &legacy), -1);
    assert_int_equal(mfa_secret_open_with(k, UID, "", out, sizeof out, &legacy), -1);
}

static void test_sms_body(void **state)
{
    (void)state;
    char *j = sms_http_body("+4915112345678", "Code \"1\"\n", "Travloc");
    json_error_t e;
    json_t *doc = json_loads(j, 0, &e);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "to")), "+4915112345678");
    assert_string_equal(json_string_value(json_object_get(doc, "body")), "Code \"1\"\n");
    assert_string_equal(json_string_value(json_object_get(doc, "from")), "Travloc");
    json_decref(doc);
    free(j);
    j = sms_http_body("+1", "x", "");
    assert_string_equal(j, "{\"to\":\"+1\",\"body\":\"x\"}");
    free(j);
    j = sms_http_body("+1", "x", NULL);
    assert_string_equal(j, "{\"to\":\"+1\",\"body\":\"x\"}");
    free(j);
}

static void test_sms_init(void **state)
{
    (void)state;
    config_t c = {0};
    char err[200];
    assert_int_equal(sms_init(&c, err, sizeof err), 0);
    assert_string_equal(sms_current()->name, "outbox");
    c.sms_url = "https://sms.example/v1/messages";
    assert_int_equal(sms_init(&c, err, sizeof err), 0);
    assert_string_equal(sms_current()->name, "http");
    c.sms_url = "ftp://sms.example/";
    assert_int_equal(sms_init(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "SMS_URL"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_seal_open),
        cmocka_unit_test(test_legacy_plaintext),
        cmocka_unit_test(test_sms_body),
        cmocka_unit_test(test_sms_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

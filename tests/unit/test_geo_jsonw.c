/* Unit tests for api/jsonw.c, the JSON writer of the places/map hot paths:
 * escaping against jansson's parser, UTF-8 repair, and number text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonw.h"

static char *write_str(const char *s)
{
    buf_t b = BUF_INIT;
    jsonw_t w = {.b = &b};
    jw_str(&w, s);
    assert_false(w.failed);
    return buf_steal(&b);
}

static char *write_fixed(double v, int d)
{
    buf_t b = BUF_INIT;
    jsonw_t w = {.b = &b};
    jw_fixed(&w, v, d);
    return buf_steal(&b);
}

static void check_fixed(double v, int d, const char *want)
{
    char *got = write_fixed(v, d);
    assert_string_equal(got, want);
    free(got);
}

static void test_escapes(void **state)
{
    (void)state;
    char *s = write_str("a\"b\\c\n\t\r\x01/é");
    assert_string_equal(s, "\"a\\\"b\\\\c\\n\\t\\r\\u0001/é\"");
    free(s);
    s = write_str(NULL);
    assert_string_equal(s, "null");
    free(s);
    s = write_str("");
    assert_string_equal(s, "\"\"");
    free(s);
}

static void test_bad_utf8_is_replaced(void **state)
{
    (void)state;
    /* lone continuation, overlong '/', surrogate, truncated 3-byte, > U+10FFFF */
    const char *bad[] = {"a\x80z", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *s = write_str(bad[i]);
        json_error_t e;
        json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
        assert_non_null(v);
        assert_non_null(strstr(json_string_value(v), "\xef\xbf\xbd"));
        json_decref(v);
        free(s);
    }
    char *s = write_str("\xf0\x9f\x97\xba Monaco \xe4\xb8\xad"); /* valid 4- and 3-byte */
    assert_string_equal(s, "\"\xf0\x9f\x97\xba Monaco \xe4\xb8\xad\"");
    free(s);
}

/* Random byte strings: the output always parses, and valid UTF-8 input
 * comes back unchanged. */
static void test_random_strings_roundtrip(void **state)
{
    (void)state;
    srand(6);
    for (int round = 0; round < 5000; round++) {
        char in[64];
        size_t n = (size_t)(rand() % 63);
        for (size_t i = 0; i < n; i++) {
            int r = rand() % 10;
            in[i] = (char)(r < 6 ? 32 + rand() % 95 : r < 8 ? rand() % 32 + 1 : 128 + rand() % 128);
        }
        in[n] = '\0';
        char *s = write_str(in);
        json_error_t e;
        json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
        assert_non_null(v);
        json_t *ref = json_string(in); /* NULL when in is not valid UTF-8 */
        if (ref)
            assert_string_equal(json_string_value(v), in);
        json_decref(ref);
        json_decref(v);
        free(s);
    }
}

static void test_fixed(void **state)
{
    (void)state;
    check_fixed(43.7308123, 7, "43.7308123");
    check_fixed(-9.14, 7, "-9.14");
    check_fixed(7.0, 7, "7.0");
    check_fixed(0.0, 7, "0.0");
    check_fixed(-0.00000001, 7, "0.0");
    check_fixed(123.45, 1, "123.5");
    check_fixed(999.96, 1, "1000.0");
    check_fixed(12.0, 1, "12.0");
    check_fixed(-179.99999995, 7, "-180.0");
    check_fixed(5, 0, "5.0");
    check_fixed(NAN, 3, "null");
    check_fixed(INFINITY, 3, "null");
    check_fixed(1e12, 3, "null");
    /* Parsed back, 7 decimals are within half a unit of the input. */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        double v = ((double)rand() / RAND_MAX * 2 - 1) * 180;
        char *s = write_fixed(v, 7);
        assert_true(fabs(strtod(s, NULL) - v) <= 0.5e-7 + 1e-12);
        free(s);
    }
}

static void test_int_and_lit(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    jsonw_t w = {.b = &b};
    JW_LIT(&w, "[");
    jw_int(&w, 0);
    JW_LIT(&w, ",");
    jw_int(&w, -42);
    JW_LIT(&w, ",");
    jw_int(&w, INT64_MIN);
    JW_LIT(&w, "]");
    assert_string_equal(b.data, "[0,-42,-9223372036854775808]");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_bad_utf8_is_replaced),
        cmocka_unit_test(test_random_strings_roundtrip),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_int_and_lit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/buf.h"
#include "core/pool.h"

static void test_append_printf(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "-%d-", 42), 0);
    assert_string_equal(b.data, "abc-42-");
    assert_int_equal(b.len, 7);
    for (int i = 0; i < 1000; i++)
        buf_puts(&b, "x");
    assert_int_equal(b.len, 1007);
    buf_free(&b);
    assert_null(b.data);
}

static void test_json_escape(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    const char s[] = "a\"b\\c\n\x01";
    buf_json_str(&b, s, sizeof s - 1);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    buf_free(&b);
}

static void test_pool(void **state)
{
    (void)state;
    pool_t p;
    pool_init(&p);
    char *a = pool_strdup(&p, "hello");
    char *big = pool_alloc(&p, 100000);
    memset(big, 1, 100000);
    char *c = pool_strndup(&p, "worldwide", 5);
    assert_string_equal(a, "hello");
    assert_string_equal(c, "world");
    pool_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_printf),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

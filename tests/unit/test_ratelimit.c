#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/ratelimit.h"

static void test_bucket_refills(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(3, 60); /* 3 per minute: one token per 20 s */
    rl_result_t r;
    int64_t t = 1000000;
    assert_true(ratelimit_take(rl, "a", t, &r));
    assert_int_equal(r.remaining, 2);
    assert_true(ratelimit_take(rl, "a", t, &r));
    assert_true(ratelimit_take(rl, "a", t, &r));
    assert_int_equal(r.remaining, 0);
    assert_false(ratelimit_take(rl, "a", t, &r));
    assert_int_equal(r.retry_after_s, 20);
    assert_int_equal(r.reset_s, 60);
    assert_true(ratelimit_take(rl, "b", t, &r)); /* keys are independent */
    assert_false(ratelimit_take(rl, "a", t + 19000, &r));
    assert_true(ratelimit_take(rl, "a", t + 20000, &r)); /* one token back */
    assert_false(ratelimit_take(rl, "a", t + 20001, &r));
    ratelimit_free(rl);
}

static void test_many_keys_and_long_keys(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(2, 1);
    rl_result_t r;
    char key[200];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "ip:10.0.%d.%d", i / 256, i % 256);
        assert_true(ratelimit_take(rl, key, 5000 + i, &r));
    }
    /* Keys longer than the stored width still map to one bucket each. */
    memset(key, 'x', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_true(ratelimit_take(rl, key, 1, &r));
    assert_true(ratelimit_take(rl, key, 1, &r));
    assert_false(ratelimit_take(rl, key, 1, &r));
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_refills),
        cmocka_unit_test(test_many_keys_and_long_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

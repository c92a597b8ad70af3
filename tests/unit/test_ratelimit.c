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

typedef struct {
    int calls, taken;
    char key[80];
} seen_t;

static void on_collect(ratelimit_t *rl, const char *key, int taken, void *arg)
{
    (void)rl;
    seen_t *s = arg;
    s->calls++;
    s->taken += taken;
    snprintf(s->key, sizeof s->key, "%s", key);
}

/* Cluster sync: what was taken is collected once; the cluster's level
 * replaces the bucket, less what was taken here since. */
static void test_cluster_sync(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(10, 600);
    rl_result_t r;
    int64_t t = 1000000;
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_take(rl, "ip:a", t, &r));
    seen_t s = {0};
    ratelimit_collect(t, 1000, on_collect, &s);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.taken, 3);
    assert_string_equal(s.key, "ip:a");
    memset(&s, 0, sizeof s);
    ratelimit_collect(t + 10, 1000, on_collect, &s); /* nothing new, refreshed */
    assert_int_equal(s.calls, 0);
    ratelimit_collect(t + 2000, 1000, on_collect, &s); /* not full, stale: refresh */
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.taken, 0);
    assert_true(ratelimit_take(rl, "ip:a", t + 2000, &r)); /* taken after the collect */
    ratelimit_apply(rl, "ip:a", 8.0, t + 2000);           /* the cluster took 8 */
    assert_true(ratelimit_take(rl, "ip:a", t + 2000, &r)); /* 10 - 8 - 1 = 1 left */
    assert_false(ratelimit_take(rl, "ip:a", t + 2000, &r));
    ratelimit_apply(rl, "ip:a", 2.0, t + 2000); /* 10 - 2 - 2 taken here since */
    assert_true(ratelimit_take(rl, "ip:a", t + 2000, &r));
    assert_int_equal(r.remaining, 5);
    ratelimit_apply(rl, "ip:unknown", 5.0, t); /* no bucket: nothing happens */
    ratelimit_free(rl);
    ratelimit_apply(rl, "ip:a", 1.0, t); /* freed: ignored */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_refills),
        cmocka_unit_test(test_many_keys_and_long_keys),
        cmocka_unit_test(test_cluster_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

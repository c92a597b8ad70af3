/* Unit tests for queue/policy.c: backoff, failure outcomes, claim budget
 * under concurrency and rate limits, and job spec validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "queue/policy.h"

static void test_backoff_fixed(void **state)
{
    (void)state;
    for (int a = 1; a < 10; a++)
        assert_int_equal(queue_backoff_delay(QUEUE_BACKOFF_FIXED, 1500, a, 12345), 1500);
    assert_int_equal(queue_backoff_delay(QUEUE_BACKOFF_FIXED, 0, 3, 1), 0);
    assert_int_equal(queue_backoff_delay(QUEUE_BACKOFF_FIXED, -5, 3, 1), 0);
}

static void test_backoff_exponential_bounds(void **state)
{
    (void)state;
    /* attempt a: base * 2^(a-1), half fixed and half jitter. */
    for (int a = 1; a <= 8; a++) {
        int64_t full = 1000LL << (a - 1);
        int64_t lo = full - full / 2;
        uint32_t rnds[] = {0, 1, 7, 499, 500, 65535, 0xffffffffu};
        for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
            int64_t d = queue_backoff_delay(QUEUE_BACKOFF_EXPONENTIAL, 1000, a, rnds[i]);
            assert_true(d >= lo);
            assert_true(d <= full);
        }
        assert_int_equal(queue_backoff_delay(QUEUE_BACKOFF_EXPONENTIAL, 1000, a, 0), lo);
    }
}

static void test_backoff_jitter_varies_and_caps(void **state)
{
    (void)state;
    int64_t a = queue_backoff_delay(QUEUE_BACKOFF_EXPONENTIAL, 1000, 5, 17);
    int64_t b = queue_backoff_delay(QUEUE_BACKOFF_EXPONENTIAL, 1000, 5, 4000);
    assert_true(a != b);
    /* Huge attempt numbers never overflow and stay at the cap. */
    int64_t d = queue_backoff_delay(QUEUE_BACKOFF_EXPONENTIAL, 1000, 200, 0xffffffffu);
    assert_true(d <= QUEUE_BACKOFF_CAP_MS);
    assert_true(d >= QUEUE_BACKOFF_CAP_MS / 2);
    assert_true(queue_backoff_delay(QUEUE_BACKOFF_FIXED, INT64_MAX / 2, 1, 0) <= QUEUE_BACKOFF_CAP_MS);
}

static void test_after_failure(void **state)
{
    (void)state;
    assert_int_equal(queue_after_failure(1, 3, false), QUEUE_NEXT_RETRY);
    assert_int_equal(queue_after_failure(2, 3, false), QUEUE_NEXT_RETRY);
    assert_int_equal(queue_after_failure(3, 3, false), QUEUE_NEXT_DEAD);
    assert_int_equal(queue_after_failure(1, 3, true), QUEUE_NEXT_DEAD);
    assert_int_equal(queue_after_failure(1, 1, false), QUEUE_NEXT_DEAD);
    assert_int_equal(queue_after_stall(0), QUEUE_NEXT_RETRY);
    assert_int_equal(queue_after_stall(QUEUE_MAX_STALLS - 2), QUEUE_NEXT_RETRY);
    assert_int_equal(queue_after_stall(QUEUE_MAX_STALLS - 1), QUEUE_NEXT_DEAD);
}

static void test_rate_window(void **state)
{
    (void)state;
    assert_int_equal(queue_rate_window(0, 1000), 0);
    assert_int_equal(queue_rate_window(999, 1000), 0);
    assert_int_equal(queue_rate_window(1000, 1000), 1);
    assert_int_equal(queue_rate_window(-1, 1000), -1);
    assert_int_equal(queue_rate_window(5, 0), 5);
}

static void test_budget(void **state)
{
    (void)state;
    queue_budget_in_t in = {.want = 8};
    assert_int_equal(queue_claim_budget(&in), 8);
    in.concurrency = 3;
    in.active = 1;
    assert_int_equal(queue_claim_budget(&in), 2);
    in.active = 5; /* over the limit (e.g. lowered): nothing, never negative */
    assert_int_equal(queue_claim_budget(&in), 0);
    in = (queue_budget_in_t){.want = 8, .rate_max = 5, .rate_window = 10, .rate_count = 4,
                             .now_window = 10};
    assert_int_equal(queue_claim_budget(&in), 1);
    in.rate_count = 5;
    assert_int_equal(queue_claim_budget(&in), 0);
    in.now_window = 11; /* a new window starts from zero */
    assert_int_equal(queue_claim_budget(&in), 5);
    in.now_window = 9; /* another node's clock is ahead: wait */
    assert_int_equal(queue_claim_budget(&in), 0);
    in = (queue_budget_in_t){.want = 8, .concurrency = 2, .rate_max = 5, .now_window = 3};
    assert_int_equal(queue_claim_budget(&in), 2);
    in.want = -1;
    assert_int_equal(queue_claim_budget(&in), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(queue_name_valid("default"));
    assert_true(queue_name_valid("mail.out-1_x"));
    assert_false(queue_name_valid(""));
    assert_false(queue_name_valid(NULL));
    assert_false(queue_name_valid("Mail"));
    assert_false(queue_name_valid("a b"));
    assert_false(queue_name_valid("a,b"));
    char long_name[70];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    assert_false(queue_name_valid(long_name));
    assert_true(queue_type_valid("EMAIL_SEND"));
    assert_true(queue_type_valid("noop"));
    assert_false(queue_type_valid("x/y"));
}

static void expect_field(const job_spec_t *s, const char *field)
{
    char *text = NULL;
    apierr_t e = {0};
    assert_int_equal(queue_spec_check(s, &text, &e), -1);
    assert_null(text);
    assert_int_equal(e.status, 422);
    assert_string_equal(json_string_value(json_object_get(e.details, "field")), field);
    apierr_clear(&e);
}

static void test_spec_check(void **state)
{
    (void)state;
    json_t *p = json_pack("{s:i}", "ms", 5);
    job_spec_t ok = {.type = "noop", .payload = p, .queue = "q"};
    char *text = NULL;
    apierr_t e = {0};
    assert_int_equal(queue_spec_check(&ok, &text, &e), 0);
    assert_string_equal(text, "{\"ms\":5}");
    free(text);
    job_spec_t s = ok;
    s.type = NULL;
    expect_field(&s, "type");
    s = ok;
    s.queue = "Bad Queue";
    expect_field(&s, "queue");
    s = ok;
    s.priority = 1001;
    expect_field(&s, "priority");
    s = ok;
    s.max_attempts = 101;
    expect_field(&s, "maxAttempts");
    s = ok;
    s.delay_ms = -1;
    expect_field(&s, "delayMs");
    s = ok;
    s.dedupe_key = "";
    expect_field(&s, "dedupeKey");
    json_t *str = json_string("x");
    s = ok;
    s.payload = str;
    expect_field(&s, "payload");
    json_decref(str);
    json_decref(p);
    /* No payload serialises as {}. */
    job_spec_t bare = {.type = "noop"};
    assert_int_equal(queue_spec_check(&bare, &text, &e), 0);
    assert_string_equal(text, "{}");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_fixed),
        cmocka_unit_test(test_backoff_exponential_bounds),
        cmocka_unit_test(test_backoff_jitter_varies_and_caps),
        cmocka_unit_test(test_after_failure),
        cmocka_unit_test(test_rate_window),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_spec_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

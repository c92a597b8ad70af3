/* Unit tests for src/trips/logic.c: merge patch (RFC 7396 appendix A),
 * status rules, exact splitting, settling and the sync strategies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/clock.h"
#include "trips/logic.h"

#include <stdio.h>

static void patch_case(const char *target, const char *patch, const char *want)
{
    json_t *t = json_loads(target, JSON_DECODE_ANY, NULL);
    json_t *p = json_loads(patch, JSON_DECODE_ANY, NULL);
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    assert_non_null(t);
    assert_non_null(p);
    assert_non_null(w);
    json_t *got = trips_merge_patch(t, p);
    if (!json_equal(got, w)) {
        char *s = json_dumps(got, JSON_ENCODE_ANY);
        fail_msg("merge(%s, %s) = %s, want %s", target, patch, s, want);
    }
    json_t *again = json_loads(target, JSON_DECODE_ANY, NULL);
    assert_true(json_equal(t, again)); /* target untouched */
    json_decref(again);
    json_decref(got);
    json_decref(t);
    json_decref(p);
    json_decref(w);
}

static void test_merge_patch_rfc7396(void **state)
{
    (void)state;
    patch_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    patch_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    patch_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    patch_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    patch_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    patch_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    patch_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    patch_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    patch_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    patch_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    patch_case("{\"a\":\"foo\"}", "null", "null");
    patch_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    patch_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    patch_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    patch_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static void test_status(void **state)
{
    (void)state;
    assert_int_equal(trips_status_parse("ACTIVE"), TS_ACTIVE);
    assert_int_equal(trips_status_parse("active"), -1);
    assert_int_equal(trips_status_parse(NULL), -1);
    assert_true(trips_status_allowed(TS_PLANNING, TS_ACTIVE));
    assert_true(trips_status_allowed(TS_ACTIVE, TS_COMPLETED));
    assert_true(trips_status_allowed(TS_CANCELLED, TS_PLANNING));
    assert_true(trips_status_allowed(TS_COMPLETED, TS_COMPLETED));
    assert_false(trips_status_allowed(TS_COMPLETED, TS_PLANNING));
    assert_false(trips_status_allowed(TS_PLANNING, TS_COMPLETED));
    assert_false(trips_status_allowed(TS_CANCELLED, TS_ACTIVE));
}

static void test_split(void **state)
{
    (void)state;
    int64_t out[4];
    assert_int_equal(trips_split(100, NULL, 3, out), 0);
    assert_int_equal(out[0], 34); /* remainder 1 to the first */
    assert_int_equal(out[1], 33);
    assert_int_equal(out[2], 33);
    assert_int_equal(trips_split(101, NULL, 3, out), 0);
    assert_int_equal(out[0] + out[1] + out[2], 101);
    assert_int_equal(out[0], 34);
    assert_int_equal(out[1], 34);
    assert_int_equal(out[2], 33);
    int64_t w[] = {1, 2, 3};
    assert_int_equal(trips_split(1000, w, 3, out), 0);
    assert_int_equal(out[0], 167); /* 166.67, 333.33, 500 */
    assert_int_equal(out[1], 333);
    assert_int_equal(out[2], 500);
    int64_t big[] = {INT64_MAX / 2, INT64_MAX / 2};
    assert_int_equal(trips_split(INT64_MAX, big, 2, out), 0);
    assert_true(out[0] == INT64_MAX - out[1]);
    assert_true(out[0] - out[1] <= 1 && out[1] - out[0] <= 1);
    assert_int_equal(trips_split(5, NULL, 0, out), -1);
    assert_int_equal(trips_split(-1, NULL, 2, out), -1);
    int64_t zero[] = {0, 0};
    assert_int_equal(trips_split(5, zero, 2, out), -1);
    assert_int_equal(trips_split(0, NULL, 2, out), 0);
    assert_int_equal(out[0] + out[1], 0);
}

static void test_settle(void **state)
{
    (void)state;
    /* A paid 90 for A, B, C (30 each): B and C owe A 30 each. */
    int64_t net[] = {60, -30, -30};
    trips_transfer_t t[3];
    int n = trips_settle(net, 3, t);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].from, 1);
    assert_int_equal(t[0].to, 0);
    assert_int_equal(t[0].amount, 30);
    assert_int_equal(t[1].from, 2);
    assert_int_equal(t[1].amount, 30);
    int64_t bad[] = {1, 0};
    assert_int_equal(trips_settle(bad, 2, t), -1);
    int64_t even[] = {0, 0};
    assert_int_equal(trips_settle(even, 2, t), 0);
    int64_t mixed[] = {-50, 20, 45, -15};
    n = trips_settle(mixed, 4, t);
    int64_t check[4] = {-50, 20, 45, -15};
    for (int i = 0; i < n; i++) {
        check[t[i].from] += t[i].amount;
        check[t[i].to] -= t[i].amount;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(check[i], 0);
    assert_true(n <= 3);
}

static void test_strategies(void **state)
{
    (void)state;
    assert_int_equal(trips_strategy_parse("server-wins"), SYNC_SERVER_WINS);
    assert_int_equal(trips_strategy_parse("merge"), SYNC_MERGE);
    assert_int_equal(trips_strategy_parse("whatever"), -1);
    assert_true(trips_lww_client_wins(10, "a", 11, "a"));
    assert_false(trips_lww_client_wins(11, "a", 10, "z"));
    assert_true(trips_lww_client_wins(10, "a", 10, "b"));
    assert_false(trips_lww_client_wins(10, "b", 10, "a"));
    assert_false(trips_lww_client_wins(10, "b", 10, "b"));
}

static void test_merge_fields(void **state)
{
    (void)state;
    json_t *base = json_pack("{s:s, s:s, s:i}", "title", "T", "notes", "N", "budget", 5);
    json_t *cur = json_pack("{s:s, s:s, s:i}", "title", "T2", "notes", "N", "budget", 5);
    json_t *patch = json_pack("{s:s}", "notes", "N3");
    json_t *conf;
    json_t *m = trips_merge_fields(base, cur, patch, &conf);
    assert_string_equal(json_string_value(json_object_get(m, "title")), "T2");
    assert_string_equal(json_string_value(json_object_get(m, "notes")), "N3");
    assert_int_equal(json_array_size(conf), 0);
    json_decref(m);
    json_decref(conf);
    json_decref(patch);
    patch = json_pack("{s:s, s:i}", "title", "T9", "budget", 7);
    m = trips_merge_fields(base, cur, patch, &conf);
    assert_string_equal(json_string_value(json_object_get(m, "title")), "T2");
    assert_int_equal(json_integer_value(json_object_get(m, "budget")), 7);
    assert_int_equal(json_array_size(conf), 1);
    assert_string_equal(json_string_value(json_array_get(conf, 0)), "title");
    json_decref(m);
    json_decref(conf);
    json_decref(patch);
    /* Both made the same edit: no conflict. */
    patch = json_pack("{s:s}", "title", "T2");
    m = trips_merge_fields(base, cur, patch, &conf);
    assert_int_equal(json_array_size(conf), 0);
    json_decref(m);
    json_decref(conf);
    json_decref(patch);
    json_decref(base);
    json_decref(cur);
}

static void test_text(void **state)
{
    (void)state;
    char a[25], b[40];
    /* Every day from 1970 to 2100 at odd times, and edges. */
    for (int64_t ms = -86400000LL * 3; ms < 4102444800000LL; ms += 86399999LL + 7) {
        trips_rfc3339(ms, a);
        clock_rfc3339(ms, b, sizeof b);
        assert_string_equal(a, b);
    }
    const int64_t edges[] = {0, 1, 999, 1000, 951782400000LL /* 2000-02-29 */,
                             4107542399999LL /* 2100-02-28T23:59:59.999 */, 253402300799999LL};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        trips_rfc3339(edges[i], a);
        clock_rfc3339(edges[i], b, sizeof b);
        assert_string_equal(a, b);
    }
    const int64_t nums[] = {0, 7, -7, 100000, INT64_MAX, INT64_MIN, -1};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        snprintf(b, sizeof b, "%lld", (long long)nums[i]);
        assert_int_equal(trips_itoa(nums[i], a), strlen(b));
        assert_string_equal(a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_patch_rfc7396),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_settle),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_merge_fields),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for queue/cron.c and queue/cron_tz.c.
 *
 * Zones come from the system tz database (/usr/share/zoneinfo, Debian
 * package tzdata). Expected instants were cross-checked with Python's
 * zoneinfo module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/cron.h"
#include "queue/cron_tz.h"

static int64_t utc_s(int64_t y, int mo, int d, int h, int mi, int s)
{
    return cron_tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t utc_ms(int64_t y, int mo, int d, int h, int mi, int s)
{
    return utc_s(y, mo, d, h, mi, s) * 1000;
}

static cron_t must_parse(const char *expr)
{
    cron_t c;
    cron_error_t err = {0, NULL};
    int rc = cron_parse(expr, &c, &err);
    if (rc != 0)
        fail_msg("parse '%s' failed at %zu: %s", expr, err.pos, err.msg);
    return c;
}

static int64_t next_in(const char *expr, const cron_tz_t *tz, int64_t after)
{
    cron_t c = must_parse(expr);
    int64_t next = 0;
    int rc = cron_next_in(&c, tz, after, &next);
    if (rc != 0)
        fail_msg("next '%s' after %lld: rc %d", expr, (long long)after, rc);
    return next;
}

static cron_tz_t *load(const char *name)
{
    cron_tz_t *tz = NULL;
    int rc = cron_tz_load(name, &tz);
    if (rc != 0)
        fail_msg("cannot load zone %s: %d", name, rc);
    return tz;
}

/* ---- Parsing. ---- */

static bool same_cron(const cron_t *a, const cron_t *b)
{
    return a->sec == b->sec && a->min == b->min && a->hour == b->hour &&
           a->dom == b->dom && a->month == b->month && a->dow == b->dow &&
           a->flags == b->flags;
}

static void test_parse_bitsets(void **state)
{
    (void)state;
    cron_t c = must_parse("0 */5 * * * *"); /* the original design's */
    assert_int_equal(c.sec, 1);
    uint64_t every5 = 0;
    for (int m = 0; m < 60; m += 5)
        every5 |= UINT64_C(1) << m;
    assert_true(c.min == every5);
    assert_int_equal(c.hour, 0xffffff);
    assert_int_equal(c.flags, CRON_DOM_STAR | CRON_DOW_STAR);

    c = must_parse("10-40/10 * * * * *");
    assert_true(c.sec == (UINT64_C(1) << 10 | UINT64_C(1) << 20 |
                          UINT64_C(1) << 30 | UINT64_C(1) << 40));
    c = must_parse("5/15 0 0 1 * *");
    assert_true(c.sec == (UINT64_C(1) << 5 | UINT64_C(1) << 20 |
                          UINT64_C(1) << 35 | UINT64_C(1) << 50));
    assert_int_equal(c.dom, 1u << 1);
    assert_int_equal(c.flags, CRON_DOW_STAR);

    c = must_parse("0 0 12 * jan-Mar MON-FRI");
    assert_int_equal(c.month, 0xe);
    assert_int_equal(c.dow, 0x3e);
    c = must_parse("0 0 12 * * 7");
    assert_int_equal(c.dow, 1);
    c = must_parse("0 0 12 * * SUN,sat");
    assert_int_equal(c.dow, 0x41);
    c = must_parse("0 0 12 * * 5-7");
    assert_int_equal(c.dow, 0x61);
    c = must_parse("0 0 12 * * MON-SUN");
    assert_int_equal(c.dow, 0x7f);
    c = must_parse("0 0 12 ? * 1");
    assert_int_equal(c.flags, CRON_DOM_STAR);
    c = must_parse("1,2,3 4 5 6 7 *");
    assert_true(c.sec == 0xe && c.min == 1u << 4 && c.hour == 1u << 5);
    assert_true(c.dom == 1u << 6 && c.month == 1u << 7);

    /* Five fields: seconds are 0. */
    c = must_parse("  30 4 * * 1-5  ");
    assert_int_equal(c.sec, 1);
    assert_true(c.min == UINT64_C(1) << 30 && c.hour == 1u << 4);

    cron_t d = must_parse("@hourly");
    c = must_parse("0 0 * * * *");
    assert_true(same_cron(&c, &d));
    d = must_parse("@daily");
    c = must_parse("0 0 0 * * *");
    assert_true(same_cron(&c, &d));
    d = must_parse("@weekly");
    assert_int_equal(d.dow, 1);
    d = must_parse("@yearly");
    assert_true(d.month == 2 && d.dom == 2);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *expr;
        size_t pos;
    } bad[] = {
        {"", 0},
        {"* * * *", 7},
        {"* * * * * * *", 12},
        {"60 * * * * *", 0},
        {"* * 24 * * *", 4},
        {"* * * 0 * *", 6},
        {"* * * 32 * *", 6},
        {"* * * * 13 *", 8},
        {"* * * * * 8", 10},
        {"*/0 * * * * *", 2},
        {"*/61 * * * * *", 2},
        {"5-1 * * * * *", 0},
        {"* * * * FRI-MON *", 8},
        {"0 0 0 * * FRI-MON", 10},
        {"1,,2 * * * * *", 2},
        {",1 * * * * *", 0},
        {"1, * * * * *", 2},
        {"1- * * * * *", 2},
        {"a * * * * *", 0},
        {"1x * * * * *", 1},
        {"* * * * JANUARY *", 8},
        {"* * * * * MONDAY", 10},
        {"*/ * * * * *", 2},
        {"1/ * * * * *", 2},
        {"? * * * * *", 0},
        {"0 0 0 30 2 *", 6},
        {"0 0 0 31 4,6,9,11 *", 6},
        {"0 0 30 2 *", 4},
        {"99999999999 * * * * *", 0},
        {"@foo", 0},
        {"@daily x", 7},
        {"-1 * * * * *", 0},
        {"* * * * * * #", 12},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cron_t c;
        cron_error_t err = {999, NULL};
        int rc = cron_parse(bad[i].expr, &c, &err);
        if (rc != -EINVAL)
            fail_msg("'%s' accepted", bad[i].expr);
        assert_non_null(err.msg);
        if (err.pos != bad[i].pos)
            fail_msg("'%s': error at %zu (%s), expected %zu", bad[i].expr,
                     err.pos, err.msg, bad[i].pos);
    }
    cron_t c;
    assert_int_equal(cron_parse(NULL, &c, NULL), -EINVAL);
    char longexpr[CRON_MAX_EXPR + 10];
    memset(longexpr, ' ', sizeof longexpr - 1);
    longexpr[sizeof longexpr - 1] = 0;
    assert_int_equal(cron_parse(longexpr, &c, NULL), -EINVAL);
    /* Feb 29 only is valid (leap years); OR rule makes 30 Feb + weekday ok. */
    assert_int_equal(cron_parse("0 0 0 29 2 *", &c, NULL), 0);
    assert_int_equal(cron_parse("0 0 0 30 2 MON", &c, NULL), 0);
}

static void test_matches(void **state)
{
    (void)state;
    cron_t c = must_parse("0 30 9 13 * FRI"); /* 13th OR Friday */
    assert_true(cron_matches(&c, 2024, 1, 13, 9, 30, 0));  /* Saturday 13 */
    assert_true(cron_matches(&c, 2024, 1, 5, 9, 30, 0));   /* Friday 5 */
    assert_false(cron_matches(&c, 2024, 1, 6, 9, 30, 0));
    assert_false(cron_matches(&c, 2024, 1, 5, 9, 30, 1));
    c = must_parse("0 0 0 */2 * FRI"); /* star dom: AND rule */
    assert_true(cron_matches(&c, 2024, 1, 5, 0, 0, 0));    /* Fri, odd */
    assert_false(cron_matches(&c, 2024, 1, 12, 0, 0, 0));  /* Fri, even */
    assert_false(cron_matches(&c, 2024, 1, 7, 0, 0, 0));   /* Sun, odd */
    assert_false(cron_matches(&c, 2023, 2, 29, 0, 0, 0));  /* no such day */
    assert_false(cron_matches(&c, 2024, 13, 1, 0, 0, 0));
}

/* ---- Next tick, UTC. ---- */

static void test_next_utc(void **state)
{
    (void)state;
    /* Strictly after, at whole seconds. */
    assert_true(next_in("0 */5 * * * *", NULL, utc_ms(2024, 1, 1, 0, 0, 0)) ==
                utc_ms(2024, 1, 1, 0, 5, 0));
    assert_true(next_in("0 */5 * * * *", NULL,
                        utc_ms(2024, 1, 1, 0, 4, 59) + 999) ==
                utc_ms(2024, 1, 1, 0, 5, 0));
    assert_true(next_in("0 */5 * * * *", NULL, utc_ms(2024, 1, 1, 0, 5, 0)) ==
                utc_ms(2024, 1, 1, 0, 10, 0));
    assert_true(next_in("0 */5 * * * *", NULL,
                        utc_ms(2024, 1, 1, 0, 5, 0) + 500) ==
                utc_ms(2024, 1, 1, 0, 10, 0));
    assert_true(next_in("0 */5 * * * *", NULL, utc_ms(2024, 12, 31, 23, 59, 0)) ==
                utc_ms(2025, 1, 1, 0, 0, 0));
    assert_true(next_in("*/10 * * * * *", NULL, utc_ms(2024, 1, 1, 12, 0, 5)) ==
                utc_ms(2024, 1, 1, 12, 0, 10));
    assert_true(next_in("10-40/10 * * * * *", NULL, utc_ms(2024, 1, 1, 12, 0, 40)) ==
                utc_ms(2024, 1, 1, 12, 1, 10));
    /* Weekdays, weekends, months, years. */
    assert_true(next_in("0 30 9 * * MON-FRI", NULL, utc_ms(2024, 1, 5, 10, 0, 0)) ==
                utc_ms(2024, 1, 8, 9, 30, 0));
    assert_true(next_in("0 0 0 * * MON", NULL, utc_ms(2024, 1, 1, 0, 0, 0)) ==
                utc_ms(2024, 1, 8, 0, 0, 0));
    assert_true(next_in("0 0 0 1 1 *", NULL, utc_ms(2024, 6, 1, 0, 0, 0)) ==
                utc_ms(2025, 1, 1, 0, 0, 0));
    assert_true(next_in("0 0 0 1 JAN,JUL *", NULL, utc_ms(2024, 1, 1, 0, 0, 0)) ==
                utc_ms(2024, 7, 1, 0, 0, 0));
    assert_true(next_in("0 0 0 13 * FRI", NULL, utc_ms(2024, 1, 1, 0, 0, 0)) ==
                utc_ms(2024, 1, 5, 0, 0, 0));
    assert_true(next_in("0 0 0 31 * *", NULL, utc_ms(2024, 4, 1, 0, 0, 0)) ==
                utc_ms(2024, 5, 31, 0, 0, 0));
    assert_true(next_in("59 59 23 * * *", NULL, utc_ms(2024, 2, 28, 23, 59, 59)) ==
                utc_ms(2024, 2, 29, 23, 59, 59));
    assert_true(next_in("0 0 0 * * *", NULL, -1) == utc_ms(1970, 1, 1, 0, 0, 0));
    assert_true(next_in("0 0 0 * * *", NULL, -86400001) ==
                utc_ms(1969, 12, 31, 0, 0, 0));
    /* Five fields. */
    assert_true(next_in("15 14 1 * *", NULL, utc_ms(2024, 1, 1, 14, 15, 0)) ==
                utc_ms(2024, 2, 1, 14, 15, 0));
}

static void test_next_leap_years(void **state)
{
    (void)state;
    assert_true(next_in("0 0 0 29 2 *", NULL, utc_ms(2024, 3, 1, 0, 0, 0)) ==
                utc_ms(2028, 2, 29, 0, 0, 0));
    assert_true(next_in("0 0 0 29 2 *", NULL, utc_ms(2023, 6, 1, 0, 0, 0)) ==
                utc_ms(2024, 2, 29, 0, 0, 0));
    /* 2100 is not a leap year: eight years to wait. */
    assert_true(next_in("0 0 0 29 2 *", NULL, utc_ms(2096, 3, 1, 0, 0, 0)) ==
                utc_ms(2104, 2, 29, 0, 0, 0));
    /* 2000 is. */
    assert_true(next_in("0 0 0 29 FEB *", NULL, utc_ms(1997, 1, 1, 0, 0, 0)) ==
                utc_ms(2000, 2, 29, 0, 0, 0));
    assert_true(next_in("0 0 12 28-29 2 *", NULL, utc_ms(2023, 2, 28, 12, 0, 0)) ==
                utc_ms(2024, 2, 28, 12, 0, 0));
    assert_true(next_in("0 0 12 28-29 2 *", NULL, utc_ms(2024, 2, 28, 12, 0, 0)) ==
                utc_ms(2024, 2, 29, 12, 0, 0));
}

static void test_next_errors(void **state)
{
    (void)state;
    cron_t c = must_parse("* * * * * *");
    int64_t next = 0;
    assert_int_equal(cron_next_in(NULL, NULL, 0, &next), -EINVAL);
    assert_int_equal(cron_next_in(&c, NULL, 0, NULL), -EINVAL);
    assert_int_equal(cron_next_in(&c, NULL, INT64_MAX, &next), -ERANGE);
    assert_int_equal(cron_next_in(&c, NULL, INT64_MIN, &next), -ERANGE);
    assert_int_equal(cron_next(&c, "No/Such_Zone", 0, &next), -ENOENT);
    assert_int_equal(cron_next(&c, "../../etc/passwd", 0, &next), -EINVAL);
    /* A dom field starting with `*` selects the AND rule: days 1 and 30
     * of February that are Sundays, i.e. February 1st on a Sunday. */
    c = must_parse("0 0 0 */29 2 SUN");
    assert_int_equal(cron_next_in(&c, NULL, utc_ms(2024, 1, 1, 0, 0, 0), &next), 0);
    assert_true(next == utc_ms(2026, 2, 1, 0, 0, 0));
}

/* ---- Time zones and DST. ---- */

static void test_tz_offsets(void **state)
{
    (void)state;
    cron_tz_t *lis = load("Europe/Lisbon"), *ny = load("America/New_York");
    /* 2024-03-31 01:00Z Lisbon springs from WET (+0) to WEST (+1). */
    assert_int_equal(cron_tz_offset(lis, utc_s(2024, 3, 31, 0, 59, 59)), 0);
    assert_int_equal(cron_tz_offset(lis, utc_s(2024, 3, 31, 1, 0, 0)), 3600);
    assert_int_equal(cron_tz_offset(lis, utc_s(2024, 10, 27, 0, 59, 59)), 3600);
    assert_int_equal(cron_tz_offset(lis, utc_s(2024, 10, 27, 1, 0, 0)), 0);
    /* 1992-1996 Portugal was on CET/CEST (+1/+2). */
    assert_int_equal(cron_tz_offset(lis, utc_s(1993, 1, 15, 12, 0, 0)), 3600);
    assert_int_equal(cron_tz_offset(lis, utc_s(1993, 7, 15, 12, 0, 0)), 7200);
    /* Local mean time before 1912 (-0:36:45). */
    assert_int_equal(cron_tz_offset(lis, utc_s(1900, 1, 1, 0, 0, 0)), -2205);
    assert_int_equal(cron_tz_offset(ny, utc_s(2024, 3, 10, 6, 59, 59)), -5 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2024, 3, 10, 7, 0, 0)), -4 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2024, 11, 3, 5, 59, 59)), -4 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2024, 11, 3, 6, 0, 0)), -5 * 3600);
    /* Past the table (2037): the footer's POSIX rule takes over. */
    assert_int_equal(cron_tz_offset(ny, utc_s(2050, 3, 13, 6, 59, 59)), -5 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2050, 3, 13, 7, 0, 0)), -4 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2050, 11, 6, 5, 59, 59)), -4 * 3600);
    assert_int_equal(cron_tz_offset(ny, utc_s(2050, 11, 6, 6, 0, 0)), -5 * 3600);
    assert_int_equal(cron_tz_offset(lis, utc_s(2050, 3, 27, 1, 0, 0)), 3600);
    assert_int_equal(cron_tz_offset(lis, utc_s(2050, 10, 30, 1, 0, 0)), 0);
    assert_int_equal(cron_tz_offset(lis, utc_s(2400, 7, 1, 0, 0, 0)), 3600);
    (void)cron_tz_offset(lis, INT64_MAX);
    (void)cron_tz_offset(lis, INT64_MIN);

    int64_t u[4];
    /* Gap: 01:30 does not exist in Lisbon on 2024-03-31. */
    assert_int_equal(cron_tz_local_to_utc(lis, utc_s(2024, 3, 31, 1, 30, 0), u, 4), 0);
    /* Overlap: 01:30 happens at 00:30Z (WEST) and 01:30Z (WET). */
    assert_int_equal(cron_tz_local_to_utc(lis, utc_s(2024, 10, 27, 1, 30, 0), u, 4), 2);
    assert_true(u[0] == utc_s(2024, 10, 27, 0, 30, 0));
    assert_true(u[1] == utc_s(2024, 10, 27, 1, 30, 0));
    assert_int_equal(cron_tz_local_to_utc(ny, utc_s(2024, 7, 1, 12, 0, 0), u, 4), 1);
    assert_true(u[0] == utc_s(2024, 7, 1, 16, 0, 0));
    cron_tz_free(lis);
    cron_tz_free(ny);

    cron_tz_t *utc = load("UTC"), *fixed = NULL;
    assert_int_equal(cron_tz_offset(utc, utc_s(2024, 7, 1, 0, 0, 0)), 0);
    cron_tz_free(utc);
    assert_int_equal(cron_tz_fixed(5 * 3600 + 1800, &fixed), 0);
    assert_int_equal(cron_tz_offset(fixed, 0), 19800);
    assert_true(next_in("0 0 9 * * *", fixed, utc_ms(2024, 1, 1, 0, 0, 0)) ==
                utc_ms(2024, 1, 1, 3, 30, 0));
    cron_tz_free(fixed);
    assert_int_equal(cron_tz_fixed(30 * 3600, &fixed), -EINVAL);
    assert_null(fixed);
    cron_tz_free(NULL);
}

static void test_tz_names(void **state)
{
    (void)state;
    static const char *bad[] = {"", "/etc/passwd", "../etc/passwd",
                                "Europe/../../etc/passwd", ".hidden",
                                "Europe/Lis bon", "Europe/Lisbon\n",
                                "Europe//.x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cron_tz_t *tz = (cron_tz_t *)1;
        assert_int_equal(cron_tz_load(bad[i], &tz), -EINVAL);
        assert_null(tz);
    }
    cron_tz_t *tz = NULL;
    assert_int_equal(cron_tz_load("Mars/Olympus_Mons", &tz), -ENOENT);
    assert_int_equal(cron_tz_load("Europe", &tz), -ENOENT); /* a directory */
    assert_int_equal(cron_tz_load(NULL, &tz), -EINVAL);
    assert_int_equal(cron_tz_load_dir("/nonexistent", "UTC", &tz), -ENOENT);
}

static void test_dst_lisbon(void **state)
{
    (void)state;
    cron_tz_t *lis = load("Europe/Lisbon");
    /* Spring forward: 01:30 does not exist on 2024-03-31, so it is skipped. */
    assert_true(next_in("0 30 1 * * *", lis, utc_ms(2024, 3, 30, 12, 0, 0)) ==
                utc_ms(2024, 4, 1, 0, 30, 0));
    /* Hourly: 01:00 local is missing, 02:00 WEST comes at 01:00Z. */
    assert_true(next_in("0 0 * * * *", lis, utc_ms(2024, 3, 31, 0, 30, 0)) ==
                utc_ms(2024, 3, 31, 1, 0, 0));
    assert_true(next_in("0 0 * * * *", lis, utc_ms(2024, 3, 31, 1, 0, 0)) ==
                utc_ms(2024, 3, 31, 2, 0, 0));
    /* Fall back: 01:30 runs once, at its first occurrence (WEST). */
    assert_true(next_in("0 30 1 * * *", lis, utc_ms(2024, 10, 26, 12, 0, 0)) ==
                utc_ms(2024, 10, 27, 0, 30, 0));
    assert_true(next_in("0 30 1 * * *", lis, utc_ms(2024, 10, 27, 0, 30, 0)) ==
                utc_ms(2024, 10, 28, 1, 30, 0));
    /* Every 15 minutes: the repeated hour does not tick again. */
    assert_true(next_in("0 */15 * * * *", lis, utc_ms(2024, 10, 27, 0, 50, 0)) ==
                utc_ms(2024, 10, 27, 2, 0, 0));
    assert_true(next_in("0 */15 * * * *", lis, utc_ms(2024, 10, 27, 1, 10, 0)) ==
                utc_ms(2024, 10, 27, 2, 0, 0));
    assert_true(next_in("0 0 2 * * *", lis, utc_ms(2024, 10, 26, 12, 0, 0)) ==
                utc_ms(2024, 10, 27, 2, 0, 0));
    /* Beyond the table: 2050-03-27 is the last Sunday of March. */
    assert_true(next_in("0 0 * * * *", lis, utc_ms(2050, 3, 27, 0, 30, 0)) ==
                utc_ms(2050, 3, 27, 1, 0, 0));
    /* The name-based form agrees. */
    cron_t c = must_parse("0 30 1 * * *");
    int64_t next = 0;
    assert_int_equal(cron_next(&c, "Europe/Lisbon", utc_ms(2024, 3, 30, 12, 0, 0),
                               &next), 0);
    assert_true(next == utc_ms(2024, 4, 1, 0, 30, 0));
    assert_int_equal(cron_next(&c, "UTC", utc_ms(2024, 3, 30, 12, 0, 0), &next), 0);
    assert_true(next == utc_ms(2024, 3, 31, 1, 30, 0));
    cron_tz_free(lis);
}

static void test_dst_new_york(void **state)
{
    (void)state;
    cron_tz_t *ny = load("America/New_York");
    /* 2024-03-10: 02:30 does not exist. */
    assert_true(next_in("0 30 2 * * *", ny, utc_ms(2024, 3, 9, 12, 0, 0)) ==
                utc_ms(2024, 3, 11, 6, 30, 0));
    assert_true(next_in("0 0 9 * * MON-FRI", ny, utc_ms(2024, 3, 8, 15, 0, 0)) ==
                utc_ms(2024, 3, 11, 13, 0, 0));
    /* 2024-11-03: 01:00 happens twice; runs at 01:00 EDT only. */
    assert_true(next_in("0 0 1 * * *", ny, utc_ms(2024, 11, 2, 12, 0, 0)) ==
                utc_ms(2024, 11, 3, 5, 0, 0));
    assert_true(next_in("0 0 1 * * *", ny, utc_ms(2024, 11, 3, 5, 0, 0)) ==
                utc_ms(2024, 11, 4, 6, 0, 0));
    assert_true(next_in("0 30 1 * * *", ny, utc_ms(2024, 11, 3, 5, 45, 0)) ==
                utc_ms(2024, 11, 4, 6, 30, 0));
    /* Every second through the spring gap: 01:59:59 EST then 03:00:00 EDT. */
    assert_true(next_in("* * * * * *", ny, utc_ms(2024, 3, 10, 6, 59, 58)) ==
                utc_ms(2024, 3, 10, 6, 59, 59));
    assert_true(next_in("* * * * * *", ny, utc_ms(2024, 3, 10, 6, 59, 59)) ==
                utc_ms(2024, 3, 10, 7, 0, 0));
    /* Every second through the fall overlap: the repeated hour is skipped. */
    assert_true(next_in("* * * * * *", ny, utc_ms(2024, 11, 3, 5, 59, 59)) ==
                utc_ms(2024, 11, 3, 7, 0, 0));
    /* Past the table (2050-03-13 is the second Sunday of March). */
    assert_true(next_in("0 30 2 * * *", ny, utc_ms(2050, 3, 12, 12, 0, 0)) ==
                utc_ms(2050, 3, 14, 6, 30, 0));
    cron_tz_free(ny);
}

/* ---- Properties and robustness. ---- */

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* A tick is valid when its local time matches and it is the first instant
 * with that local time. */
static int valid_tick(const cron_t *c, const cron_tz_t *tz, int64_t u)
{
    int64_t l = u + cron_tz_offset(tz, u), y, first[4];
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    int m, d;
    cron_tz_civil_from_days(days, &y, &m, &d);
    if (!cron_matches(c, y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                      (int)(sod % 60)))
        return 0;
    return cron_tz_local_to_utc(tz, l, first, 4) > 0 && first[0] == u;
}

/* Brute force: no valid tick between `after` and the answer. */
static void test_next_matches_brute_force(void **state)
{
    (void)state;
    static const char *zones[] = {"Europe/Lisbon", "America/New_York",
                                  "Australia/Lord_Howe", "UTC"};
    static const char *exprs[] = {"*/7 * * * * *", "0 */5 * * * *",
                                  "30 15 * * * *", "0 0 * * * *",
                                  "0 0,30 1,2 * * *", "0 45 2 * * SUN"};
    static const int64_t around[] = {
        INT64_C(1711846800), INT64_C(1729990800), /* Lisbon 2024 */
        INT64_C(1710054000), INT64_C(1730613600), /* New York 2024 */
        INT64_C(1712415600), INT64_C(1728142200), /* Lord Howe 2024 */
    };
    uint64_t seed = 42;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        cron_tz_t *tz = load(zones[z]);
        for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
            cron_t c = must_parse(exprs[e]);
            for (int k = 0; k < 8; k++) {
                int64_t base = around[rng_next(&seed) % 6];
                int64_t after = (base - 3 * 3600 + (int64_t)(rng_next(&seed) % 21600)) *
                                    1000 + (int64_t)(rng_next(&seed) % 1000);
                int64_t next;
                assert_int_equal(cron_next_in(&c, tz, after, &next), 0);
                assert_true(next > after && next % 1000 == 0);
                assert_true(valid_tick(&c, tz, next / 1000));
                for (int64_t u = after / 1000 + 1; u < next / 1000; u++)
                    if (valid_tick(&c, tz, u))
                        fail_msg("%s %s: missed %lld before %lld", zones[z],
                                 exprs[e], (long long)u, (long long)(next / 1000));
            }
        }
        cron_tz_free(tz);
    }
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(CRON_TZ_MAX_FILE);
    assert_non_null(buf);
    *len = fread(buf, 1, CRON_TZ_MAX_FILE, f);
    fclose(f);
    return buf;
}

static void test_tzif_malformed_and_fuzz(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = slurp(CRON_TZ_DEFAULT_DIR "/Europe/Lisbon", &len);
    cron_tz_t *tz = NULL;
    assert_int_equal(cron_tz_parse(orig, len, &tz), 0);
    cron_tz_free(tz);
    /* Every truncation is rejected. */
    for (size_t n = 0; n < len; n++) {
        tz = (cron_tz_t *)1;
        assert_true(cron_tz_parse(orig, n, &tz) < 0);
        assert_null(tz);
    }
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, orig, len);
    buf[4] = 0; /* version 1 only */
    assert_int_equal(cron_tz_parse(buf, len, &tz), -ENOTSUP);
    memcpy(buf, orig, len);
    buf[0] = 'X';
    assert_int_equal(cron_tz_parse(buf, len, &tz), -EINVAL);
    assert_int_equal(cron_tz_parse(NULL, 10, &tz), -EINVAL);
    /* Mutations with a fixed seed: no crash, no leak, sane answers. */
    uint64_t seed = 7;
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)(rng_next(&seed) % 4);
        for (int f = 0; f < flips; f++)
            buf[rng_next(&seed) % len] = (uint8_t)rng_next(&seed);
        size_t n = iter % 5 == 0 ? rng_next(&seed) % len : len;
        if (cron_tz_parse(buf, n, &tz) == 0) {
            accepted++;
            int64_t u[4];
            for (int64_t t = -INT64_C(4000000000); t < INT64_C(4000000000);
                 t += INT64_C(123456789)) {
                int32_t off = cron_tz_offset(tz, t);
                assert_true(off > -26 * 3600 && off < 26 * 3600);
                assert_true(cron_tz_local_to_utc(tz, t, u, 4) <= 32);
            }
            cron_t c = must_parse("0 30 1 * * *");
            int64_t next;
            int rc = cron_next_in(&c, tz, 0, &next);
            assert_true(rc == 0 || rc == -ENOENT);
            cron_tz_free(tz);
        }
    }
    assert_true(accepted > 0); /* many flips hit names or unused bytes */
    free(buf);
    free(orig);
}

static void test_parse_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789*/-,?  JANFEBMONSUN@LW#x\t";
    uint64_t seed = 99;
    char expr[64];
    int ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rng_next(&seed) % (sizeof expr - 1);
        for (size_t i = 0; i < n; i++)
            expr[i] = alphabet[rng_next(&seed) % (sizeof alphabet - 1)];
        expr[n] = 0;
        cron_t c;
        cron_error_t err = {0, NULL};
        int rc = cron_parse(expr, &c, &err);
        if (rc == 0) {
            ok++;
            int64_t next;
            rc = cron_next_in(&c, NULL, utc_ms(2024, 1, 1, 0, 0, 0), &next);
            assert_true(rc == 0 || rc == -ENOENT);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_non_null(err.msg);
            assert_true(err.pos <= n);
        }
    }
    (void)ok;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bitsets),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_next_utc),
        cmocka_unit_test(test_next_leap_years),
        cmocka_unit_test(test_next_errors),
        cmocka_unit_test(test_tz_offsets),
        cmocka_unit_test(test_tz_names),
        cmocka_unit_test(test_dst_lisbon),
        cmocka_unit_test(test_dst_new_york),
        cmocka_unit_test(test_next_matches_brute_force),
        cmocka_unit_test(test_tzif_malformed_and_fuzz),
        cmocka_unit_test(test_parse_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

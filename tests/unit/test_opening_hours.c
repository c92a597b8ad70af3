/* Unit tests for geo/opening_hours.c and geo/opening_hours_eval.c.
 *
 * Most values are real: the ones marked "Monaco" were read from the
 * OpenStreetMap Monaco extract (c) OpenStreetMap contributors, ODbL
 * (see ../shared/data/osm-monaco/SOURCE.md); others come from the OSM wiki
 * and opening_hours.js examples. Windows are written "hh:mm-hh:mm", with a
 * leading '?' for UNKNOWN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/opening_hours.h"

static oh_t *must_parse(const char *v)
{
    oh_t *oh = NULL;
    oh_error_t err = {0, NULL};
    int rc = oh_parse(v, &oh, &err);
    if (rc != 0)
        fail_msg("'%s' rejected (%d) at %zu: %s", v, rc, err.pos, err.msg);
    return oh;
}

static void fmt_windows(const oh_window_t *w, int n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s%02d:%02d-%02d:%02d",
                                i ? " " : "", w[i].state == OH_UNKNOWN ? "?" : "",
                                w[i].start / 60, w[i].start % 60, w[i].end / 60,
                                w[i].end % 60);
}

static void check_windows(const char *v, int y, int m, int d, const char *want)
{
    oh_t *oh = must_parse(v);
    oh_window_t w[32];
    int n = oh_windows_for_day(oh, y, m, d, w, 32);
    assert_true(n >= 0 && n <= 32);
    char got[512];
    fmt_windows(w, n, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("'%s' on %04d-%02d-%02d: got '%s', want '%s'", v, y, m, d, got, want);
    oh_free(oh);
}

static struct tm at(int y, int m, int d, int h, int mi)
{
    struct tm t;
    memset(&t, 0, sizeof t);
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    return t;
}

static int state_at(const char *v, int y, int m, int d, int h, int mi)
{
    oh_t *oh = must_parse(v);
    struct tm t = at(y, m, d, h, mi);
    int s = oh_is_open(oh, &t);
    oh_free(oh);
    return s;
}

/* 2024-06-03 is a Monday; 06-08 Saturday; 06-09 Sunday. */
static const struct {
    const char *value;
    int y, m, d;
    const char *want;
} cases[] = {
    /* Monaco */
    {"24/7", 2024, 6, 3, "00:00-24:00"},
    {"Mo-Sa 10:00-19:00", 2024, 6, 3, "10:00-19:00"},
    {"Mo-Sa 10:00-19:00", 2024, 6, 9, ""},
    {"Tu-Sa 18:00-02:00", 2024, 6, 4, "18:00-24:00"},
    {"Tu-Sa 18:00-02:00", 2024, 6, 9, "00:00-02:00"},
    {"Tu-Sa 18:00-02:00", 2024, 6, 3, ""},
    {"Mo-Fr 08:00-19:00; Sa 08:00-13:00; PH off; 2024 May 20,2024 May 30 off",
     2024, 6, 3, "?08:00-19:00"},
    {"Mo-Fr 08:00-19:00; Sa 08:00-13:00; PH off; 2024 May 20,2024 May 30 off",
     2024, 5, 20, ""},
    {"Mo-Fr 08:00-19:00; Sa 08:00-13:00; PH off; 2024 May 20,2024 May 30 off",
     2025, 5, 20, "?08:00-19:00"},
    {"Mo-Fr 08:00-19:00; Sa 08:00-13:00; PH off; 2024 May 20,2024 May 30 off",
     2024, 6, 9, ""},
    {"Apr 1-Oct 31 09:00-18:45; Nov 1-Mar 31 09:00-17:45", 2024, 10, 31, "09:00-18:45"},
    {"Apr 1-Oct 31 09:00-18:45; Nov 1-Mar 31 09:00-17:45", 2024, 11, 1, "09:00-17:45"},
    {"Apr 1-Oct 31 09:00-18:45; Nov 1-Mar 31 09:00-17:45", 2025, 1, 15, "09:00-17:45"},
    {"19:00-02:00; Mo off", 2024, 6, 3, "00:00-02:00"},
    {"19:00-02:00; Mo off", 2024, 6, 4, "19:00-24:00"},
    {"10:00-18:00; Jul,Aug 10:00-19:00; Oct 17-Mar 25 off", 2024, 7, 14, "10:00-19:00"},
    {"10:00-18:00; Jul,Aug 10:00-19:00; Oct 17-Mar 25 off", 2024, 12, 25, ""},
    {"10:00-18:00; Jul,Aug 10:00-19:00; Oct 17-Mar 25 off", 2024, 3, 26, "10:00-18:00"},
    {"We-Su 23:30-05:30", 2024, 6, 3, "00:00-05:30"},
    {"We-Su 23:30-05:30", 2024, 6, 5, "23:30-24:00"},
    {"Tu-Th 12:00-00:00; Fr 12:00-01:00; Sa 18:00-01:00", 2024, 6, 8,
     "00:00-01:00 18:00-24:00"},
    {"Sa,Su 12:00-13:45, Th-Mo 19:30-21:45; Tu,We off", 2024, 6, 9,
     "12:00-13:45 19:30-21:45"},
    {"Sa,Su 12:00-13:45, Th-Mo 19:30-21:45; Tu,We off", 2024, 6, 4, ""},
    {"Oct-Mar 10:00-18:00; Apr-Jun,Sep 10:00-19:00; Jul-Aug 10:00-20:00; Dec 25 off",
     2024, 12, 25, ""},
    {"Oct-Mar 10:00-18:00; Apr-Jun,Sep 10:00-19:00; Jul-Aug 10:00-20:00; Dec 25 off",
     2024, 12, 24, "10:00-18:00"},
    {"Nov-Jan: 09:00-17:00; Feb-Apr,Oct: 09:00-18:00; May-Sep: 09:00-19:00; "
     "Nov 19,Dec 25 off", 2025, 1, 10, "09:00-17:00"},
    {"Nov-Jan: 09:00-17:00; Feb-Apr,Oct: 09:00-18:00; May-Sep: 09:00-19:00; "
     "Nov 19,Dec 25 off", 2024, 11, 19, ""},
    {"Mo-Tu, Th-Sa 12:00-13:30, 19:30-21:00", 2024, 6, 5, ""},
    {"Mo-Tu, Th-Sa 12:00-13:30, 19:30-21:00", 2024, 6, 6, "12:00-13:30 19:30-21:00"},
    {"Mo-Tu, Fr 09:00-18:00; Mo-Fr 20:15-22:00", 2024, 6, 3, "20:15-22:00"},
    {"Mo-Su 8:30-17:30", 2024, 6, 3, "08:30-17:30"},
    {"Mo-Su 14:30-24:00", 2024, 6, 3, "14:30-24:00"},
    {"Mo-Su 12:00-01:30", 2024, 6, 3, "00:00-01:30 12:00-24:00"},
    {"Mo-Sa 11:00-14:30, We,Th 19:00-22:00; Su off", 2024, 6, 5,
     "11:00-14:30 19:00-22:00"},
    {"Mo-Sa 10:00-19:00; Dec,May-Aug: Su 10:00-19:00; Jul,Aug: Mo-Sa 10:00-20:00",
     2024, 7, 3, "10:00-20:00"},
    {"Mo-Sa 10:00-19:00; Dec,May-Aug: Su 10:00-19:00; Jul,Aug: Mo-Sa 10:00-20:00",
     2024, 10, 6, ""},
    {"Mo-Sa 10:00-19:00; Dec,May-Aug: Su 10:00-19:00; Jul,Aug: Mo-Sa 10:00-20:00",
     2024, 12, 8, "10:00-19:00"},
    {"Mo-Sa 08:00-03:00, Su 11:00-03:00", 2024, 6, 9, "00:00-03:00 11:00-24:00"},
    {"Mo-Sa 07:30-18:45+", 2024, 6, 3, "07:30-18:45 ?18:45-24:00"},
    {"Mo-Sa 07:00-00:30, Su 07:00-24:00", 2024, 6, 3, "07:00-24:00"},
    {"Mo-Sa 07:00-00:30, Su 07:00-24:00", 2024, 6, 9, "00:00-00:30 07:00-24:00"},
    {"Mo-Fr 09:00\xe2\x80\x93" "12:30,14:30\xe2\x80\x93" "19:00", 2024, 6, 3,
     "09:00-12:30 14:30-19:00"},
    {"Mo-Fr 00:00-24:00", 2024, 6, 7, "00:00-24:00"},
    {"Mo off; Tu-Sa 06:00-13:00,16:00-19:00; Su 06:00-13:00", 2024, 6, 3, ""},
    {"May 17-Oct 01: 12:00-20:00", 2024, 10, 1, "12:00-20:00"},
    {"May 17-Oct 01: 12:00-20:00", 2024, 10, 2, ""},
    {"Mar 01-May 31: 10:00-12:00,14:00-18:00; Jun 01-Sep 30: 09:00-12:00,14:00-19:00; "
     "Oct 01-Feb 28: 10:00-12:00,14:00-17:00", 2024, 2, 29, ""},
    {"Jun 15-Jul 31: 20:45-24:00; Aug: 20:30-23:30; Sep 01-15: 20:00-23:00",
     2024, 9, 15, "20:00-23:00"},
    {"Jun 15-Jul 31: 20:45-24:00; Aug: 20:30-23:30; Sep 01-15: 20:00-23:00",
     2024, 9, 16, ""},
    {"Dec-Mar", 2024, 12, 1, "00:00-24:00"},
    {"Dec-Mar", 2024, 4, 1, ""},
    {"Aug-Feb: 15:00-24:00; Mo off", 2024, 8, 6, "15:00-24:00"},
    {"Apr 07-Oct 30: 09:00-02:00", 2024, 10, 31, "00:00-02:00"},
    {"18:30\xe2\x80\x93" "23:30; Tu,We off", 2024, 6, 4, ""},
    {"16:00-04:45", 2024, 6, 3, "00:00-04:45 16:00-24:00"},
    {"09:00-12:30; 14:30-19:00; Su off", 2024, 6, 3, "14:30-19:00"},
    {"08:30-18:00; May-Sep: 08:00-19:00", 2024, 4, 30, "08:30-18:00"},
    {"08:30-18:00; May-Sep: 08:00-19:00", 2024, 5, 1, "08:00-19:00"},
    {"08:00-18:00; Sa,Su \"On request\"", 2024, 6, 8, "?00:00-24:00"},
    {"08:00-18:00; Sa,Su \"On request\"", 2024, 6, 7, "08:00-18:00"},
    /* OSM wiki and opening_hours.js examples */
    {"Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00; PH off", 2024, 6, 8, "?08:00-12:00"},
    {"Mo,Tu,Th,Fr 12:00-18:00;Sa 12:00-17:00; Th[3] off; Th[-1] off", 2024, 6, 20, ""},
    {"Mo,Tu,Th,Fr 12:00-18:00;Sa 12:00-17:00; Th[3] off; Th[-1] off", 2024, 6, 13,
     "12:00-18:00"},
    {"Mo,Tu,Th,Fr 12:00-18:00;Sa 12:00-17:00; Th[3] off; Th[-1] off", 2024, 6, 27, ""},
    {"00:00-24:00; Tu-Su 8:30-9:00 off; Tu-Su 14:00-14:30 off; Mo 08:00-13:00 off",
     2024, 6, 4, "00:00-08:30 09:00-14:00 14:30-24:00"},
    {"00:00-24:00; Tu-Su 8:30-9:00 off; Tu-Su 14:00-14:30 off; Mo 08:00-13:00 off",
     2024, 6, 3, "00:00-08:00 13:00-24:00"},
    {"Mo-Fr 10:00-16:00; We 12:00-18:00", 2024, 6, 5, "12:00-18:00"},
    {"Mo-Fr 10:00-20:00; 12:00-14:00 off", 2024, 6, 3, "10:00-12:00 14:00-20:00"},
    {"Sa-Mo 10:00-12:00", 2024, 6, 3, "10:00-12:00"},
    {"Sa-Mo 10:00-12:00", 2024, 6, 4, ""},
    {"Mo-Fr 08:00-12:00 || \"by appointment\"", 2024, 6, 3,
     "?00:00-08:00 08:00-12:00 ?12:00-24:00"},
    {"Mo-Fr 08:00-12:00 || \"by appointment\"", 2024, 6, 8, "?00:00-24:00"},
    {"sunrise-sunset", 2024, 6, 3, "?00:00-24:00"},
    {"10:00-14:00 unknown", 2024, 6, 3, "?10:00-14:00"},
    {"Mo-Fr 17:00+", 2024, 6, 3, "?17:00-24:00"},
    {"Dec 24-26 off; 09:00-17:00", 2024, 12, 25, "09:00-17:00"},
    {"09:00-17:00; Dec 24-26 off", 2024, 12, 25, ""},
    {"09:00-17:00; Dec 24,26 off", 2024, 12, 26, ""},
    {"09:00-17:00; Dec 24,26 off", 2024, 12, 25, "09:00-17:00"},
    {"2023-2024 Mo 10:00-11:00", 2024, 6, 3, "10:00-11:00"},
    {"2023-2024 Mo 10:00-11:00", 2025, 6, 2, ""},
    {"10:00-11:00; 2024 Dec 30-2025 Jan 02 off", 2025, 1, 1, ""},
    {"10:00-11:00; 2024 Dec 30-2025 Jan 02 off", 2024, 12, 29, "10:00-11:00"},
    {"2024 Dec 30-2025 Jan 02 off; 10:00-11:00", 2025, 1, 1, "10:00-11:00"},
    {"Feb 29 10:00-12:00", 2024, 2, 29, "10:00-12:00"},
    {"22:00-26:00", 2024, 6, 3, "00:00-02:00 22:00-24:00"},
    {"10:00-10:00", 2024, 6, 3, "00:00-24:00"},
    {"Mo 10:00-10:00", 2024, 6, 4, "00:00-10:00"},
    {"Mo 10:00-12:00, Mo 11:00-13:00", 2024, 6, 3, "10:00-13:00"},
    {"SH Mo-Fr 09:00-10:00", 2024, 6, 8, ""},
    {"SH Mo-Fr 09:00-10:00", 2024, 6, 7, "?09:00-10:00"},
    {"Mo-Fr 09:00-17:00; PH,Sa 10:00-12:00", 2024, 6, 8, "10:00-12:00"},
    {"Mo-Fr 09:00-17:00; PH,Sa 10:00-12:00", 2024, 6, 3,
     "?09:00-10:00 10:00-12:00 ?12:00-17:00"},
    {"open", 2024, 6, 3, "00:00-24:00"},
    {"closed", 2024, 6, 3, ""},
    {"mo-fr 09:00-17:00 OPEN \"ring the bell\"", 2024, 6, 3, "09:00-17:00"},
};

static void test_windows_real_world(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_windows(cases[i].value, cases[i].y, cases[i].m, cases[i].d, cases[i].want);
}

static void test_is_open(void **state)
{
    (void)state;
    const char *v = "Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-13:00";
    assert_int_equal(state_at(v, 2024, 6, 3, 7, 59), OH_CLOSED);
    assert_int_equal(state_at(v, 2024, 6, 3, 8, 0), OH_OPEN);
    assert_int_equal(state_at(v, 2024, 6, 3, 11, 59), OH_OPEN);
    assert_int_equal(state_at(v, 2024, 6, 3, 12, 0), OH_CLOSED);
    assert_int_equal(state_at(v, 2024, 6, 8, 12, 59), OH_OPEN);
    assert_int_equal(state_at(v, 2024, 6, 9, 10, 0), OH_CLOSED);
    /* Over midnight, and 24:00 end. */
    assert_int_equal(state_at("Fr 22:00-02:00", 2024, 6, 8, 1, 59), OH_OPEN);
    assert_int_equal(state_at("Fr 22:00-02:00", 2024, 6, 8, 2, 0), OH_CLOSED);
    assert_int_equal(state_at("Mo-Su 09:00-24:00", 2024, 6, 3, 23, 59), OH_OPEN);
    assert_int_equal(state_at("Mo-Su 09:00-24:00", 2024, 6, 4, 0, 0), OH_CLOSED);
    /* PH: the answer depends on the holiday -> UNKNOWN, not a guess. */
    const char *ph = "Mo-Fr 08:00-19:00; PH off";
    assert_int_equal(state_at(ph, 2024, 6, 3, 10, 0), OH_UNKNOWN);
    assert_int_equal(state_at(ph, 2024, 6, 3, 20, 0), OH_CLOSED);
    assert_int_equal(state_at(ph, 2024, 6, 8, 10, 0), OH_CLOSED);
    oh_t *oh = must_parse(ph);
    assert_int_equal(oh_uses_holidays(oh), 1);
    struct tm t = at(2024, 6, 3, 10, 0);
    oh_holidays_t yes = {OH_HOL_YES, OH_HOL_UNKNOWN}, no = {OH_HOL_NO, OH_HOL_UNKNOWN};
    assert_int_equal(oh_is_open_hol(oh, &t, &yes), OH_CLOSED);
    assert_int_equal(oh_is_open_hol(oh, &t, &no), OH_OPEN);
    oh_window_t w[4];
    assert_int_equal(oh_windows_for_day_hol(oh, 2024, 6, 3, &no, w, 4), 1);
    assert_true(w[0].start == 480 && w[0].end == 1140 && w[0].state == OH_OPEN);
    assert_int_equal(oh_windows_for_day_hol(oh, 2024, 6, 3, &yes, w, 4), 0);
    oh_free(oh);
    oh = must_parse("Mo-Fr 10:00-12:00");
    assert_int_equal(oh_uses_holidays(oh), 0);
    oh_free(oh);
    /* "PH 10:00-12:00" on a Sunday: open if a holiday, else closed. */
    assert_int_equal(state_at("PH 10:00-12:00", 2024, 6, 9, 11, 0), OH_UNKNOWN);
    assert_int_equal(state_at("PH 10:00-12:00", 2024, 6, 9, 13, 0), OH_CLOSED);
    /* Weekday of the month. */
    assert_int_equal(state_at("Su[1] 10:00-12:00", 2024, 6, 2, 11, 0), OH_OPEN);
    assert_int_equal(state_at("Su[1] 10:00-12:00", 2024, 6, 9, 11, 0), OH_CLOSED);
    assert_int_equal(state_at("Su[-1] 10:00-12:00", 2024, 6, 30, 11, 0), OH_OPEN);
    assert_int_equal(state_at("Sa[1-2,-1] 10:00-12:00", 2024, 6, 15, 11, 0), OH_CLOSED);
    assert_int_equal(state_at("Sa[1-2,-1] 10:00-12:00", 2024, 6, 8, 11, 0), OH_OPEN);
    assert_int_equal(state_at("Sa[1-2,-1] 10:00-12:00", 2024, 6, 29, 11, 0), OH_OPEN);
}

static void test_windows_api(void **state)
{
    (void)state;
    oh_t *oh = must_parse("08:00-09:00,10:00-11:00,12:00-13:00");
    oh_window_t w[2];
    assert_int_equal(oh_windows_for_day(oh, 2024, 6, 3, w, 2), 3); /* needs 3 */
    assert_true(w[0].start == 480 && w[1].start == 600);
    assert_int_equal(oh_windows_for_day(oh, 2024, 6, 3, NULL, 0), 3);
    assert_int_equal(oh_windows_for_day(oh, 2024, 2, 30, w, 2), -EINVAL);
    assert_int_equal(oh_windows_for_day(oh, 2023, 2, 29, w, 2), -EINVAL);
    assert_int_equal(oh_windows_for_day(oh, 0, 1, 1, w, 2), -EINVAL);
    assert_int_equal(oh_windows_for_day(oh, 2024, 13, 1, w, 2), -EINVAL);
    assert_int_equal(oh_windows_for_day(oh, 2024, 6, 3, NULL, 2), -EINVAL);
    assert_int_equal(oh_windows_for_day(NULL, 2024, 6, 3, w, 2), -EINVAL);
    struct tm t = at(2024, 6, 3, 24, 0);
    assert_int_equal(oh_is_open(oh, &t), -EINVAL);
    t = at(2024, 6, 31, 10, 0);
    assert_int_equal(oh_is_open(oh, &t), -EINVAL);
    t.tm_year = 2147483647;
    assert_int_equal(oh_is_open(oh, &t), -EINVAL);
    assert_int_equal(oh_is_open(oh, NULL), -EINVAL);
    oh_free(oh);
    oh_free(NULL);
}

static void test_next_change(void **state)
{
    (void)state;
    oh_t *oh = must_parse("Mo-Fr 09:00-17:00");
    struct tm t = at(2024, 6, 7, 16, 30), n; /* Friday */
    assert_int_equal(oh_next_change(oh, &t, 7, &n), OH_CLOSED);
    assert_true(n.tm_mday == 7 && n.tm_hour == 17 && n.tm_min == 0);
    t = at(2024, 6, 7, 17, 0);
    assert_int_equal(oh_next_change(oh, &t, 7, &n), OH_OPEN);
    assert_true(n.tm_year == 124 && n.tm_mon == 5 && n.tm_mday == 10);
    assert_true(n.tm_hour == 9 && n.tm_min == 0 && n.tm_wday == 1);
    assert_int_equal(oh_next_change(oh, &t, 2, &n), -ENOENT);
    oh_free(oh);
    oh = must_parse("24/7");
    t = at(2024, 6, 7, 0, 0);
    assert_int_equal(oh_next_change(oh, &t, 30, &n), -ENOENT);
    assert_int_equal(oh_next_change(oh, &t, 801, &n), -EINVAL);
    oh_free(oh);
    /* Seasonal: closed in winter, opens on Apr 1 at 09:00. */
    oh = must_parse("Apr-Oct 09:00-18:00");
    t = at(2024, 12, 31, 12, 0);
    assert_int_equal(oh_next_change(oh, &t, 400, &n), OH_OPEN);
    assert_true(n.tm_year == 125 && n.tm_mon == 3 && n.tm_mday == 1 && n.tm_hour == 9);
    assert_int_equal(n.tm_yday, 90);
    oh_free(oh);
    oh = must_parse("Mo-Sa 09:00-19:00; PH off");
    t = at(2024, 6, 3, 8, 0); /* closed, then unknown from 09:00 */
    assert_int_equal(oh_next_change(oh, &t, 1, &n), OH_UNKNOWN);
    assert_int_equal(n.tm_hour, 9);
    oh_free(oh);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int rc;
    } bad[] = {
        {"", -EINVAL},
        {"   ", -EINVAL},
        {"Mo-Fr 09:00-1300 & 14:00-18:00", -EINVAL}, /* Monaco */
        {"Mo-Fr 09:00-12:00 & 14:00-18:00", -EINVAL},
        {"Mo-Fr 10:00-12:00 Sa", -EINVAL},
        {"Mo-Fr 25:00-26:00", -EINVAL},
        {"Mo-Fr 09:60-10:00", -EINVAL},
        {"Mo-Fr 09:00-49:00", -EINVAL},
        {"Mo-Fr 09:00-48:01", -EINVAL},
        {"Mo-Fr 9-17", -EINVAL},
        {"Mo-Fr 09:00", -EINVAL},
        {"Mo-Fr 09:00-", -EINVAL},
        {"Mo-Fr 09:00-17:00;;Sa 10:00-12:00", -EINVAL},
        {"Mo-Fr 09:00-17:00,", -EINVAL},
        {"Mo-Fr 09:00-17:00 ||", -EINVAL},
        {"Mon-Fri 09:00-17:00", -EINVAL},
        {"Mo-Fr 09:00-17:00 \"unterminated", -EINVAL},
        {"Feb 30 10:00-12:00", -EINVAL},
        {"Apr 31", -EINVAL},
        {"Jan 0", -EINVAL},
        {"Jan 32", -EINVAL},
        {"Mo[0] 10:00-12:00", -EINVAL},
        {"Mo[6] 10:00-12:00", -EINVAL},
        {"Mo[1 10:00-12:00", -EINVAL},
        {"2025-2024 10:00-12:00", -EINVAL},
        {"Jan-2024 Feb", -EINVAL},
        {"24/7x", -EINVAL},
        {"Mo-Fr 09:00-17:00 offf", -EINVAL},
        {"Mo-Fr 24:00-02:00", -EINVAL},
        {"10:00-12:00 foo", -EINVAL},
        {"\x01", -EINVAL},
        {"Mo-Fr 10:00\xe2\x80-12:00", -EINVAL},
        {"week 01-10 Mo 10:00-12:00", -ENOTSUP},
        {"easter off", -ENOTSUP},
        {"Su[-1] -1 day 10:00-12:00", -ENOTSUP},
        {"(sunrise+01:00)-18:00", -ENOTSUP},
        {"2020-2030/2 10:00-12:00", -ENOTSUP},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        oh_t *oh = (oh_t *)1;
        oh_error_t err = {9999, NULL};
        int rc = oh_parse(bad[i].v, &oh, &err);
        if (rc != bad[i].rc)
            fail_msg("'%s': rc %d, want %d", bad[i].v, rc, bad[i].rc);
        assert_null(oh);
        assert_non_null(err.msg);
        assert_true(err.pos <= strlen(bad[i].v));
    }
    char big[OH_MAX_INPUT + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    oh_t *oh;
    assert_int_equal(oh_parse(big, &oh, NULL), -EINVAL);
    assert_int_equal(oh_parse(NULL, &oh, NULL), -EINVAL);
    assert_int_equal(oh_parse("24/7", NULL, NULL), -EINVAL);
    /* Too many rules. */
    char many[OH_MAX_INPUT];
    size_t len = 0;
    for (int i = 0; i < OH_MAX_RULES + 1; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "%sMo", i ? ";" : "");
    assert_int_equal(oh_parse(many, &oh, NULL), -EINVAL);
    /* Trailing ';' is tolerated (common in OSM data). */
    oh = must_parse("Mo-Fr 10:00-12:00;");
    oh_free(oh);
}

/* ---- Robustness: random bytes and mutations, fixed seed. ---- */

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void exercise(const oh_t *oh)
{
    static const int dates[][3] = {{2024, 1, 1}, {2024, 2, 29}, {2024, 6, 3},
                                   {2024, 12, 25}, {2025, 3, 30}};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        oh_window_t w[64];
        int n = oh_windows_for_day(oh, dates[i][0], dates[i][1], dates[i][2], w, 64);
        assert_true(n >= 0 && n <= 720);
        for (int k = 0; k < n && k < 64; k++) {
            assert_true(w[k].start < w[k].end && w[k].end <= 1440);
            assert_true(w[k].state == OH_OPEN || w[k].state == OH_UNKNOWN);
            if (k > 0)
                assert_true(w[k].start >= w[k - 1].end);
        }
        struct tm t = at(dates[i][0], dates[i][1], dates[i][2], 12, 30), nx;
        int s = oh_is_open(oh, &t);
        assert_true(s == OH_OPEN || s == OH_CLOSED || s == OH_UNKNOWN);
        int rc = oh_next_change(oh, &t, 2, &nx);
        assert_true(rc == -ENOENT || (rc >= 0 && rc != s));
    }
}

static void test_fuzz(void **state)
{
    (void)state;
    uint64_t seed = 2024;
    char buf[300];
    int accepted = 0;
    /* Random bytes, biased towards the grammar's alphabet. */
    static const char alpha[] = "MoTuWeThFrSaSuPHSHJanDecoff0123456789:-,;+ \"[]|/";
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = rng(&seed) % 60;
        for (size_t i = 0; i < n; i++)
            buf[i] = iter % 4 == 0 ? (char)(rng(&seed) % 255 + 1)
                                   : alpha[rng(&seed) % (sizeof alpha - 1)];
        buf[n] = 0;
        oh_t *oh = NULL;
        oh_error_t err;
        if (oh_parse(buf, &oh, &err) == 0) {
            accepted++;
            exercise(oh);
            oh_free(oh);
        } else {
            assert_null(oh);
            assert_true(err.pos <= n);
        }
    }
    /* Mutations of the real-world values. */
    size_t ncases = sizeof cases / sizeof cases[0];
    for (int iter = 0; iter < 6000; iter++) {
        const char *src = cases[rng(&seed) % ncases].value;
        size_t n = strlen(src);
        memcpy(buf, src, n + 1);
        int edits = 1 + (int)(rng(&seed) % 3);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t pos = rng(&seed) % n;
            switch (rng(&seed) % 4) {
            case 0: buf[pos] = (char)(rng(&seed) % 255 + 1); break;
            case 1: memmove(buf + pos, buf + pos + 1, n - pos); n--; break;
            case 2:
                if (n + 1 < sizeof buf) {
                    memmove(buf + pos + 1, buf + pos, n - pos + 1);
                    buf[pos] = alpha[rng(&seed) % (sizeof alpha - 1)];
                    n++;
                }
                break;
            default: buf[pos] = 0; n = pos; break;
            }
        }
        oh_t *oh = NULL;
        if (oh_parse(buf, &oh, NULL) == 0) {
            accepted++;
            exercise(oh);
            oh_free(oh);
        }
    }
    assert_true(accepted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_real_world),
        cmocka_unit_test(test_is_open),
        cmocka_unit_test(test_windows_api),
        cmocka_unit_test(test_next_change),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

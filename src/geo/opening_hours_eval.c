/* geo/opening_hours_eval.c -- evaluating a parsed oh_t for local dates.
 *
 * A date is evaluated into a minute array covering that date and the next
 * (2880 minutes, so spans over midnight stay whole): rules are applied in
 * order (see opening_hours.h for the semantics). When the value mentions PH
 * or SH and the caller does not know whether the date is a holiday, every
 * possibility is evaluated and a minute whose state differs between them
 * becomes UNKNOWN. The final state of a date merges its own first 1440
 * minutes with the spill (minutes 1440..2879) of the day before.
 * No allocation; about 10 KiB of stack per call.
 */
#include "geo/opening_hours_int.h"

#include <errno.h>
#include <string.h>

/* ---- Calendar. ---- */

int64_t oh__days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void oh__civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

int oh__days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* ---- Does a rule select a date? ---- */

static bool drange_match(const oh__drange_t *r, int y, int m, int d)
{
    int k = m * 32 + d;
    int ka = r->a.month * 32 + (r->a.day ? r->a.day : 1);
    int kb = r->b.month * 32 + (r->b.day ? r->b.day : 31);
    if (r->a.year) {
        int64_t K = (int64_t)y * 512 + k;
        return K >= (int64_t)r->a.year * 512 + ka && K <= (int64_t)r->b.year * 512 + kb;
    }
    return ka <= kb ? (k >= ka && k <= kb) : (k >= ka || k <= kb);
}

static bool wide_match(const oh__rule_t *r, int y, int m, int d)
{
    if (r->nyears) {
        bool ok = false;
        for (int i = 0; i < r->nyears && !ok; i++)
            ok = y >= r->years[i].from && y <= r->years[i].to;
        if (!ok)
            return false;
    }
    if (r->ndates) {
        for (int i = 0; i < r->ndates; i++)
            if (drange_match(&r->dates[i], y, m, d))
                return true;
        return false;
    }
    return true;
}

/* wd: 0 = Monday .. 6 = Sunday. */
static bool small_match(const oh__rule_t *r, int wd, int d, int dim, bool ph, bool sh)
{
    uint16_t nth = r->nth[wd];
    bool has_wd = false;
    for (int i = 0; i < 7; i++)
        has_wd = has_wd || r->nth[i];
    if (!has_wd && !r->hol)
        return true;
    int k = (d - 1) / 7, e = (dim - d) / 7;
    bool wm = nth && ((nth >> k & 1) || (nth >> (5 + e) & 1));
    bool hm = ((r->hol & OH__HOL_PH) && ph) || ((r->hol & OH__HOL_SH) && sh);
    if (has_wd && r->hol)
        return r->hol_and ? (wm && hm) : (wm || hm);
    return has_wd ? wm : hm;
}

/* ---- Applying rules to a 2880-minute day. ---- */

static void fill(uint8_t *st, int a, int b, uint8_t v)
{
    if (a < 0)
        a = 0;
    if (b > OH__SPAN_MIN)
        b = OH__SPAN_MIN;
    if (a < b)
        memset(st + a, v, (size_t)(b - a));
}

static void apply_rule(const oh__rule_t *r, uint8_t *st)
{
    if (r->state == OH_CLOSED) {
        if (!r->nspans) {
            fill(st, 0, OH__SPAN_MIN, OH_CLOSED);
            return;
        }
        for (int i = 0; i < r->nspans; i++) {
            const oh__span_t *sp = &r->spans[i];
            if (sp->flags & OH__SPAN_VARIABLE) /* closed when? unknown */
                fill(st, sp->start, sp->end, OH_UNKNOWN);
            else
                fill(st, sp->start, sp->end, OH_CLOSED);
        }
        return;
    }
    if (r->sep != OH__SEP_ADDITIONAL)
        fill(st, 0, OH__SPAN_MIN, OH_CLOSED);
    if (!r->nspans) {
        fill(st, 0, OH__DAY_MIN, r->state);
        return;
    }
    for (int i = 0; i < r->nspans; i++) {
        const oh__span_t *sp = &r->spans[i];
        uint8_t v = sp->flags & (OH__SPAN_VARIABLE | OH__SPAN_UNKNOWN) ? OH_UNKNOWN : r->state;
        fill(st, sp->start, sp->end, v);
        if ((sp->flags & OH__SPAN_OPEN_END) && sp->end < OH__DAY_MIN)
            fill(st, sp->end, OH__DAY_MIN, OH_UNKNOWN);
    }
}

/* The state of date `days` (and its spill) under one holiday assumption. */
static void eval_own(const oh_t *oh, int64_t days, bool ph, bool sh, uint8_t *st)
{
    int y, m, d;
    oh__civil_from_days(days, &y, &m, &d);
    int64_t w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    int wd = (int)(w < 0 ? w + 7 : w), dim = oh__days_in_month(y, m);
    memset(st, OH_CLOSED, OH__SPAN_MIN);
    for (int i = 0; i < oh->nrules; i++) {
        const oh__rule_t *r = &oh->rules[i];
        if (r->sep == OH__SEP_FALLBACK)
            break;
        if (wide_match(r, y, m, d) && small_match(r, wd, d, dim, ph, sh))
            apply_rule(r, st);
    }
    if (oh->has_fallback) /* outside OPEN the fallback might apply */
        for (int i = 0; i < OH__DAY_MIN; i++)
            if (st[i] != OH_OPEN)
                st[i] = OH_UNKNOWN;
}

/* Per minute, the set (bit 1 << state) of states a date can have on its
 * own (own) and that it spills into the next date (spill). */
static void day_masks(const oh_t *oh, int64_t days, const oh_holidays_t *hol,
                      uint8_t *own, uint8_t *spill)
{
    uint8_t st[OH__SPAN_MIN];
    memset(own, 0, OH__DAY_MIN);
    memset(spill, 0, OH__DAY_MIN);
    oh_hol_t hph = OH_HOL_UNKNOWN, hsh = OH_HOL_UNKNOWN;
    if (hol) {
        hph = hol->ph;
        hsh = hol->sh;
    }
    for (int ph = 0; ph <= 1; ph++) {
        if (!oh->uses_holidays ? ph : (hph != OH_HOL_UNKNOWN && ph != (hph == OH_HOL_YES)))
            continue;
        for (int sh = 0; sh <= 1; sh++) {
            if (!oh->uses_holidays ? sh
                                   : (hsh != OH_HOL_UNKNOWN && sh != (hsh == OH_HOL_YES)))
                continue;
            eval_own(oh, days, ph, sh, st);
            for (int i = 0; i < OH__DAY_MIN; i++) {
                own[i] |= (uint8_t)(1u << st[i]);
                spill[i] |= (uint8_t)(1u << st[OH__DAY_MIN + i]);
            }
        }
    }
}

static int rank(int s)
{
    return s == OH_OPEN ? 2 : s == OH_UNKNOWN ? 1 : 0;
}

/* Final states of date `days`: its own minutes merged with yesterday's
 * spill (the stronger of the two: OPEN > UNKNOWN > CLOSED). */
static void final_day(const oh_t *oh, int64_t days, const oh_holidays_t *hol, uint8_t *out)
{
    uint8_t own[OH__DAY_MIN], spill[OH__DAY_MIN], prev_own[OH__DAY_MIN];
    day_masks(oh, days - 1, NULL, prev_own, spill);
    day_masks(oh, days, hol, own, prev_own); /* prev_own reused as scratch */
    /* merged[own set][spill set]: the state, or UNKNOWN if several. */
    uint8_t merged[8][8];
    for (int om = 0; om < 8; om++)
        for (int sm = 0; sm < 8; sm++) {
            uint8_t possible = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    if ((om >> a & 1) && (sm >> b & 1))
                        possible |= (uint8_t)(1u << (rank(a) >= rank(b) ? a : b));
            merged[om][sm] = possible == 1u << OH_OPEN     ? OH_OPEN
                             : possible == 1u << OH_CLOSED ? OH_CLOSED
                                                           : OH_UNKNOWN;
        }
    for (int i = 0; i < OH__DAY_MIN; i++)
        out[i] = merged[own[i] & 7][spill[i] & 7];
}

/* ---- Public queries. ---- */

static bool date_ok(int64_t y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
           d <= oh__days_in_month((int)y, m);
}

static bool tm_ok(const struct tm *t)
{
    return t && date_ok((int64_t)t->tm_year + 1900, t->tm_mon + 1, t->tm_mday) &&
           t->tm_hour >= 0 && t->tm_hour <= 23 && t->tm_min >= 0 && t->tm_min <= 59;
}

static int64_t tm_days(const struct tm *t)
{
    return oh__days_from_civil((int64_t)t->tm_year + 1900, t->tm_mon + 1, t->tm_mday);
}

int oh_is_open_hol(const oh_t *oh, const struct tm *local, const oh_holidays_t *hol)
{
    if (!oh || !tm_ok(local))
        return -EINVAL;
    uint8_t st[OH__DAY_MIN];
    final_day(oh, tm_days(local), hol, st);
    return st[local->tm_hour * 60 + local->tm_min];
}

int oh_is_open(const oh_t *oh, const struct tm *local)
{
    return oh_is_open_hol(oh, local, NULL);
}

int oh_windows_for_day_hol(const oh_t *oh, int year, int month, int day,
                           const oh_holidays_t *hol, oh_window_t *out, size_t max)
{
    if (!oh || !date_ok(year, month, day) || (max > 0 && !out))
        return -EINVAL;
    uint8_t st[OH__DAY_MIN];
    final_day(oh, oh__days_from_civil(year, month, day), hol, st);
    size_t n = 0;
    for (int i = 0; i < OH__DAY_MIN;) {
        int j = i + 1;
        while (j < OH__DAY_MIN && st[j] == st[i])
            j++;
        if (st[i] != OH_CLOSED) {
            if (n < max)
                out[n] = (oh_window_t){(uint16_t)i, (uint16_t)j, st[i]};
            n++;
        }
        i = j;
    }
    return (int)n;
}

int oh_windows_for_day(const oh_t *oh, int year, int month, int day,
                       oh_window_t *out, size_t max)
{
    return oh_windows_for_day_hol(oh, year, month, day, NULL, out, max);
}

int oh_next_change(const oh_t *oh, const struct tm *local, int max_days, struct tm *next)
{
    if (!oh || !tm_ok(local) || !next || max_days < 0 || max_days > 800)
        return -EINVAL;
    uint8_t st[OH__DAY_MIN];
    int64_t days = tm_days(local);
    int minute = local->tm_hour * 60 + local->tm_min;
    final_day(oh, days, NULL, st);
    uint8_t cur = st[minute];
    for (int k = 0; k <= max_days; k++) {
        if (k > 0) {
            int y, m, d;
            oh__civil_from_days(days + k, &y, &m, &d);
            if (!date_ok(y, m, d))
                return -ENOENT;
            final_day(oh, days + k, NULL, st);
        }
        for (int i = k == 0 ? minute + 1 : 0; i < OH__DAY_MIN; i++) {
            if (st[i] == cur)
                continue;
            int y, m, d;
            oh__civil_from_days(days + k, &y, &m, &d);
            memset(next, 0, sizeof *next);
            next->tm_year = y - 1900;
            next->tm_mon = m - 1;
            next->tm_mday = d;
            next->tm_hour = i / 60;
            next->tm_min = i % 60;
            next->tm_wday = (int)((days + k + 4) % 7 + 7) % 7;
            next->tm_yday = (int)(days + k - oh__days_from_civil(y, 1, 1));
            next->tm_isdst = -1;
            return st[i];
        }
    }
    return -ENOENT;
}

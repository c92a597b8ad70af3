/* queue/cron.c -- cron expression parser and next-tick search.
 *
 * Parsing turns each field into a bitset. The search walks wall-clock time
 * ("local seconds": local date and time counted as if they were UTC) field
 * by field, jumping whole months, days, hours and minutes, then maps each
 * candidate back to UTC with cron_tz_local_to_utc(), which reports DST gaps
 * (no instant) and overlaps (two instants). See cron.h for the semantics.
 */
#include "queue/cron.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* ---- Parsing. ---- */

typedef struct field_spec {
    int min, max;
    const char *const *names; /* 3-letter names, or NULL */
    int name_base;            /* value of names[0] */
    bool allow_question;      /* `?` accepted as `*` */
} field_spec_t;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR",
                                          "MAY", "JUN", "JUL", "AUG",
                                          "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED", "THU",
                                        "FRI", "SAT", NULL};

static const field_spec_t field_specs[6] = {
    {0, 59, NULL, 0, false},            /* seconds */
    {0, 59, NULL, 0, false},            /* minutes */
    {0, 23, NULL, 0, false},            /* hours */
    {1, 31, NULL, 0, true},             /* day of month */
    {1, 12, month_names, 1, false},     /* month */
    {0, 7, dow_names, 0, true},         /* day of week, 7 = Sunday */
};

typedef struct parser {
    const char *s;
    size_t pos, end; /* current field: s[pos..end) */
    cron_error_t *err;
} parser_t;

static int fail(parser_t *p, size_t pos, const char *msg)
{
    if (p->err) {
        p->err->pos = pos;
        p->err->msg = msg;
    }
    return -EINVAL;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int parse_value(parser_t *p, const field_spec_t *f, int *out)
{
    size_t start = p->pos;
    if (p->pos < p->end && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        int v = 0;
        while (p->pos < p->end && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            v = v * 10 + (p->s[p->pos++] - '0');
            if (v > 999)
                return fail(p, start, "number too large");
        }
        if (v < f->min || v > f->max)
            return fail(p, start, "value out of range");
        *out = v;
        return 0;
    }
    if (f->names && p->end - p->pos >= 3) {
        for (int i = 0; f->names[i]; i++) {
            const char *n = f->names[i];
            if (upper(p->s[p->pos]) == n[0] && upper(p->s[p->pos + 1]) == n[1] &&
                upper(p->s[p->pos + 2]) == n[2] &&
                (p->pos + 3 == p->end || !is_alpha(p->s[p->pos + 3]))) {
                p->pos += 3;
                *out = f->name_base + i;
                return 0;
            }
        }
        if (is_alpha(p->s[p->pos]))
            return fail(p, start, "unknown name");
    }
    return fail(p, start, "expected a number");
}

/* One list item: `*`, `?`, `v`, `a-b`, each optionally followed by `/n`. */
static int parse_item(parser_t *p, const field_spec_t *f, uint64_t *bits)
{
    size_t start = p->pos;
    int lo, hi, step = 1;
    bool star = false;
    char c = p->s[p->pos];
    if (c == '*' || (c == '?' && f->allow_question)) {
        p->pos++;
        lo = f->min;
        hi = f->max == 7 ? 6 : f->max; /* `*` in dow is SUN..SAT */
        star = true;
    } else {
        int rc = parse_value(p, f, &lo);
        if (rc < 0)
            return rc;
        hi = lo;
        if (p->pos < p->end && p->s[p->pos] == '-') {
            p->pos++;
            if ((rc = parse_value(p, f, &hi)) < 0)
                return rc;
            if (f->max == 7 && hi == 0 && lo > 0)
                hi = 7; /* MON-SUN */
            if (hi < lo)
                return fail(p, start, "range start is after its end");
        }
    }
    if (p->pos < p->end && p->s[p->pos] == '/') {
        size_t spos = ++p->pos;
        if (p->pos >= p->end || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return fail(p, spos, "expected a step");
        step = 0;
        while (p->pos < p->end && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            step = step * 10 + (p->s[p->pos++] - '0');
            if (step > 999)
                return fail(p, spos, "step too large");
        }
        if (step == 0 || step > f->max - f->min + 1)
            return fail(p, spos, "step out of range");
        if (!star && hi == lo)
            hi = f->max; /* `a/n` means a-max/n */
    }
    if (p->pos < p->end && p->s[p->pos] != ',')
        return fail(p, p->pos, "unexpected character");
    for (int v = lo; v <= hi; v += step)
        *bits |= UINT64_C(1) << v;
    return 0;
}

static int parse_field(parser_t *p, const field_spec_t *f, uint64_t *bits,
                       bool *star)
{
    *bits = 0;
    *star = p->s[p->pos] == '*' || (p->s[p->pos] == '?' && f->allow_question);
    for (;;) {
        if (p->pos >= p->end || p->s[p->pos] == ',')
            return fail(p, p->pos, "empty list item");
        int rc = parse_item(p, f, bits);
        if (rc < 0)
            return rc;
        if (p->pos >= p->end)
            break;
        p->pos++; /* ',' */
    }
    if (f->max == 7 && (*bits >> 7 & 1)) /* 7 is Sunday */
        *bits = (*bits & 0x7f) | 1;
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 0 1 1 *"},   {"@annually", "0 0 0 1 1 *"},
    {"@monthly", "0 0 0 1 * *"},  {"@weekly", "0 0 0 * * 0"},
    {"@daily", "0 0 0 * * *"},    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
};

/* With dom restricted and the day rule an AND, some month must have one of
 * the days (February counts 29 days). */
static bool dom_feasible(const cron_t *c)
{
    static const int maxd[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        if (c->month >> m & 1)
            for (int d = 1; d <= maxd[m]; d++)
                if (c->dom >> d & 1)
                    return true;
    return false;
}

static int parse_fields(parser_t *p, size_t len, cron_t *out)
{
    size_t starts[7], ends[7];
    int n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && is_space(p->s[i]))
            i++;
        if (i >= len)
            break;
        if (n == 6)
            return fail(p, i, "too many fields");
        starts[n] = i;
        while (i < len && !is_space(p->s[i]))
            i++;
        ends[n++] = i;
    }
    if (n != 5 && n != 6)
        return fail(p, len, "expected 5 or 6 fields");
    uint64_t bits[6];
    bool star[6];
    int first = 6 - n;
    bits[0] = 1; /* 5 fields: second 0 */
    for (int i = 0; i < n; i++) {
        p->pos = starts[i];
        p->end = ends[i];
        int rc = parse_field(p, &field_specs[first + i], &bits[first + i],
                             &star[first + i]);
        if (rc < 0)
            return rc;
    }
    cron_t c = {
        .sec = bits[0], .min = bits[1], .hour = (uint32_t)bits[2],
        .dom = (uint32_t)bits[3], .month = (uint16_t)bits[4],
        .dow = (uint8_t)bits[5],
        .flags = (star[3] ? CRON_DOM_STAR : 0) | (star[5] ? CRON_DOW_STAR : 0),
    };
    bool and_rule = star[3] || star[5];
    if (and_rule && !dom_feasible(&c))
        return fail(p, starts[3 - first],
                    "day of month never occurs in the selected months");
    *out = c;
    return 0;
}

int cron_parse(const char *expr, cron_t *out, cron_error_t *err)
{
    parser_t p = {.s = expr, .err = err};
    if (!expr || !out)
        return fail(&p, 0, "null argument");
    size_t len = strnlen(expr, CRON_MAX_EXPR + 1);
    if (len > CRON_MAX_EXPR)
        return fail(&p, CRON_MAX_EXPR, "expression too long");
    size_t i = 0;
    while (i < len && is_space(expr[i]))
        i++;
    if (i < len && expr[i] == '@') {
        size_t e = i;
        while (e < len && !is_space(expr[e]))
            e++;
        size_t t = e;
        while (t < len && is_space(expr[t]))
            t++;
        if (t != len)
            return fail(&p, t, "unexpected text after macro");
        for (size_t k = 0; k < sizeof macros / sizeof macros[0]; k++)
            if (strlen(macros[k].name) == e - i &&
                strncmp(macros[k].name, expr + i, e - i) == 0)
                return cron_parse(macros[k].expr, out, err);
        return fail(&p, i, "unknown macro");
    }
    return parse_fields(&p, len, out);
}

/* ---- Matching and search. ---- */

static bool day_ok(const cron_t *c, int dom, int wd)
{
    bool dm = c->dom >> dom & 1, wm = c->dow >> wd & 1;
    if (c->flags & (CRON_DOM_STAR | CRON_DOW_STAR))
        return dm && wm;
    return dm || wm;
}

int cron_matches(const cron_t *c, int64_t year, int month, int day, int hour,
                 int min, int sec)
{
    if (!c || month < 1 || month > 12 || day < 1 ||
        day > cron_tz_days_in_month(year, month) || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 59)
        return 0;
    int wd = cron_tz_weekday(cron_tz_days_from_civil(year, month, day));
    return (c->month >> month & 1) && day_ok(c, day, wd) &&
           (c->hour >> hour & 1) && (c->min >> min & 1) && (c->sec >> sec & 1);
}

/* Smallest set bit >= from, or -1. */
static int next_bit(uint64_t mask, int from)
{
    uint64_t x = from >= 64 ? 0 : mask & (~UINT64_C(0) << from);
    return x ? __builtin_ctzll(x) : -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A wall-clock position while searching. */
typedef struct lpos {
    int64_t days, year;
    int month, day, h, mi, s;
} lpos_t;

static void set_day(lpos_t *p, int64_t days)
{
    p->days = days;
    cron_tz_civil_from_days(days, &p->year, &p->month, &p->day);
    p->h = p->mi = p->s = 0;
}

/* First local second >= l matching c, not past day `limit_day`. */
static int next_local(const cron_t *c, int64_t l, int64_t limit_day,
                      int64_t *out)
{
    lpos_t p;
    int64_t days = floor_div(l, 86400), sod = l - days * 86400;
    set_day(&p, days);
    p.h = (int)(sod / 3600);
    p.mi = (int)(sod / 60 % 60);
    p.s = (int)(sod % 60);
    for (;;) {
        if (p.days > limit_day)
            return -ENOENT;
        if (!(c->month >> p.month & 1)) {
            int64_t y = p.year + (p.month == 12);
            int m = p.month == 12 ? 1 : p.month + 1;
            set_day(&p, cron_tz_days_from_civil(y, m, 1));
            continue;
        }
        int nh = day_ok(c, p.day, cron_tz_weekday(p.days))
                     ? next_bit(c->hour, p.h) : -1;
        if (nh < 0) {
            set_day(&p, p.days + 1);
            continue;
        }
        if (nh != p.h) {
            p.h = nh;
            p.mi = p.s = 0;
        }
        int nm = next_bit(c->min, p.mi);
        if (nm < 0) {
            if (++p.h == 24)
                set_day(&p, p.days + 1);
            p.mi = p.s = 0;
            continue;
        }
        if (nm != p.mi) {
            p.mi = nm;
            p.s = 0;
        }
        int ns = next_bit(c->sec, p.s);
        if (ns < 0) {
            p.s = 0;
            if (++p.mi == 60) {
                p.mi = 0;
                if (++p.h == 24)
                    set_day(&p, p.days + 1);
            }
            continue;
        }
        *out = p.days * 86400 + p.h * 3600 + p.mi * 60 + ns;
        return 0;
    }
}

#define CRON_MIN_MS INT64_C(-62135596800000) /* 0001-01-01T00:00:00Z */
#define CRON_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

int cron_next_in(const cron_t *c, const cron_tz_t *tz, int64_t after_unix_ms,
                 int64_t *next_unix_ms)
{
    if (!c || !next_unix_ms)
        return -EINVAL;
    if (after_unix_ms < CRON_MIN_MS || after_unix_ms > CRON_MAX_MS)
        return -ERANGE;
    int64_t t0 = floor_div(after_unix_ms, 1000) + 1;
    int64_t limit_day = floor_div(t0, 86400) + 366 * CRON_HORIZON_YEARS + 2;
    int64_t l = t0 + (tz ? cron_tz_offset(tz, t0) : 0);
    /* Each round either answers or steps past one candidate that falls in
     * a DST gap or in the second half of an overlap; a gap or overlap holds
     * at most a few thousand candidates, so the bound is never reached in
     * practice. */
    for (int guard = 0; guard < 1000000; guard++) {
        int64_t lc, u[4];
        int rc = next_local(c, l, limit_day, &lc);
        if (rc < 0)
            return rc;
        if (!tz) {
            *next_unix_ms = lc * 1000;
            return 0;
        }
        int n = cron_tz_local_to_utc(tz, lc, u, 4);
        if (n > 0 && u[0] >= t0) {
            *next_unix_ms = u[0] * 1000;
            return 0;
        }
        l = lc + 1; /* gap, or its first occurrence already passed */
    }
    return -ENOENT;
}

int cron_next(const cron_t *c, const char *tz, int64_t after_unix_ms,
              int64_t *next_unix_ms)
{
    if (!tz || strcmp(tz, "UTC") == 0)
        return cron_next_in(c, NULL, after_unix_ms, next_unix_ms);
    cron_tz_t *z;
    int rc = cron_tz_load(tz, &z);
    if (rc < 0)
        return rc;
    rc = cron_next_in(c, z, after_unix_ms, next_unix_ms);
    cron_tz_free(z);
    return rc;
}

/* geo/opening_hours.c -- parser for OSM opening_hours values.
 *
 * A hand-written recursive descent over bytes. Each list (years, dates,
 * weekdays, time spans) decides at a ',' whether the next element continues
 * it or whether the ',' separates an additional rule, by looking at what
 * follows. Evaluation lives in opening_hours_eval.c; see opening_hours.h
 * for the accepted syntax and the semantics.
 */
#include "geo/opening_hours_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct cur {
    const char *s;
    size_t len, pos;
    oh_error_t *err;
} cur_t;

static int fail_at(cur_t *c, size_t pos, int code, const char *msg)
{
    if (c->err) {
        c->err->pos = pos;
        c->err->msg = msg;
    }
    return code;
}

static int fail(cur_t *c, const char *msg)
{
    return fail_at(c, c->pos, -EINVAL, msg);
}

/* ---- Lexical helpers (all bounds-checked, none consume on failure). ---- */

static char at(const cur_t *c, size_t pos)
{
    return pos < c->len ? c->s[pos] : '\0';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_letter(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static size_t ws_after(const cur_t *c, size_t pos)
{
    while (at(c, pos) == ' ' || at(c, pos) == '\t')
        pos++;
    return pos;
}

static void skip_ws(cur_t *c)
{
    c->pos = ws_after(c, c->pos);
}

/* Case-insensitive keyword at pos, not followed by a letter. */
static bool word_at(const cur_t *c, size_t pos, const char *w)
{
    size_t n = strlen(w);
    if (pos + n > c->len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(c->s[pos + i]) != w[i])
            return false;
    return !is_letter(at(c, pos + n));
}

/* Length of a range dash at pos: '-' or the UTF-8 en dash; 0 if none. */
static size_t dash_at(const cur_t *c, size_t pos)
{
    if (at(c, pos) == '-')
        return 1;
    if ((unsigned char)at(c, pos) == 0xe2 && (unsigned char)at(c, pos + 1) == 0x80 &&
        (unsigned char)at(c, pos + 2) == 0x93)
        return 3;
    return 0;
}

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const wday_names[7] = {"mo", "tu", "we", "th", "fr", "sa", "su"};

static int month_at(const cur_t *c, size_t pos)
{
    for (int i = 0; i < 12; i++)
        if (word_at(c, pos, month_names[i]))
            return i + 1;
    return 0;
}

static int wday_at(const cur_t *c, size_t pos)
{
    for (int i = 0; i < 7; i++)
        if (word_at(c, pos, wday_names[i]))
            return i;
    return -1;
}

static bool holiday_at(const cur_t *c, size_t pos)
{
    return word_at(c, pos, "ph") || word_at(c, pos, "sh");
}

/* A four-digit year 1900..9999 at pos, not followed by a digit or ':'. */
static int year_at(const cur_t *c, size_t pos)
{
    int y = 0;
    for (size_t i = 0; i < 4; i++) {
        if (!is_digit(at(c, pos + i)))
            return 0;
        y = y * 10 + (at(c, pos + i) - '0');
    }
    if (is_digit(at(c, pos + 4)) || at(c, pos + 4) == ':' || y < 1900)
        return 0;
    return y;
}

/* A year that opens a date ("2024 May 20") rather than a year selector. */
static bool year_date_at(const cur_t *c, size_t pos)
{
    return year_at(c, pos) && at(c, pos + 4) == ' ' &&
           month_at(c, ws_after(c, pos + 4)) != 0;
}

/* h:mm or hh:mm at pos. */
static bool time_at(const cur_t *c, size_t pos)
{
    size_t i = pos;
    if (!is_digit(at(c, i)))
        return false;
    i += is_digit(at(c, i + 1)) ? 2 : 1;
    return at(c, i) == ':' && is_digit(at(c, i + 1)) && is_digit(at(c, i + 2));
}

static bool variable_at(const cur_t *c, size_t pos)
{
    return word_at(c, pos, "sunrise") || word_at(c, pos, "sunset") ||
           word_at(c, pos, "dawn") || word_at(c, pos, "dusk") || at(c, pos) == '(';
}

/* A day of month (1-2 digits, not a time) at pos. */
static bool day_at(const cur_t *c, size_t pos)
{
    return is_digit(at(c, pos)) && !time_at(c, pos) && !year_at(c, pos) &&
           !(is_digit(at(c, pos + 1)) && is_digit(at(c, pos + 2)));
}

/* After a list element: is there ',' (spaces allowed after it) followed by
 * something `pred` accepts? Consumes the ',' and spaces if so. */
static bool list_continues(cur_t *c, bool (*pred)(const cur_t *, size_t))
{
    if (at(c, c->pos) != ',')
        return false;
    size_t next = ws_after(c, c->pos + 1);
    if (!pred(c, next))
        return false;
    c->pos = next;
    return true;
}

/* ---- Wide range selectors: years and dates. ---- */

static bool year_item_at(const cur_t *c, size_t pos)
{
    return year_at(c, pos) && !year_date_at(c, pos);
}

static int parse_years(cur_t *c, oh__rule_t *r)
{
    do {
        if (r->nyears == OH__MAX_YEARS)
            return fail(c, "too many years");
        oh__yrange_t y = {(int16_t)year_at(c, c->pos), 0};
        c->pos += 4;
        y.to = y.from;
        size_t d = dash_at(c, c->pos);
        if (d && year_at(c, c->pos + d)) {
            y.to = (int16_t)year_at(c, c->pos + d);
            c->pos += d + 4;
            if (y.to < y.from)
                return fail(c, "year range goes backwards");
        } else if (at(c, c->pos) == '+') {
            y.to = 9999;
            c->pos++;
        }
        if (at(c, c->pos) == '/')
            return fail_at(c, c->pos, -ENOTSUP, "year steps are not supported");
        r->years[r->nyears++] = y;
    } while (list_continues(c, year_item_at));
    return 0;
}

static int read_day(cur_t *c, int *day)
{
    size_t start = c->pos;
    int v = 0;
    while (is_digit(at(c, c->pos)) && c->pos - start < 2)
        v = v * 10 + (c->s[c->pos++] - '0');
    if (v < 1 || v > 31)
        return fail_at(c, start, -EINVAL, "invalid day of month");
    *day = v;
    return 0;
}

/* [year] month [day], at c->pos. */
static int parse_date(cur_t *c, oh__date_t *d)
{
    memset(d, 0, sizeof *d);
    if (year_date_at(c, c->pos)) {
        d->year = (int16_t)year_at(c, c->pos);
        c->pos = ws_after(c, c->pos + 4);
    }
    int m = month_at(c, c->pos);
    if (!m)
        return fail(c, "expected a month");
    d->month = (int8_t)m;
    c->pos += 3;
    size_t p = ws_after(c, c->pos);
    if (at(c, c->pos) == ' ' && day_at(c, p)) {
        c->pos = p;
        int day;
        int rc = read_day(c, &day);
        if (rc < 0)
            return rc;
        d->day = (int8_t)day;
    }
    return 0;
}

static bool date_checks(const oh__date_t *d)
{
    static const int maxd[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d->day <= maxd[(int)d->month];
}

static bool date_item_at(const cur_t *c, size_t pos)
{
    return month_at(c, pos) != 0 || year_date_at(c, pos) || day_at(c, pos);
}

static int parse_date_range(cur_t *c, oh__drange_t *dr, const oh__drange_t *prev)
{
    int rc;
    size_t start = c->pos;
    if (prev && day_at(c, c->pos)) { /* "Dec 24,26": same month as before */
        int day;
        if ((rc = read_day(c, &day)) < 0)
            return rc;
        dr->a = prev->b;
        dr->a.day = (int8_t)day;
        if (prev->b.day == 0)
            return fail_at(c, start, -EINVAL, "day without a month");
    } else if ((rc = parse_date(c, &dr->a)) < 0) {
        return rc;
    }
    dr->b = dr->a;
    size_t d = dash_at(c, c->pos);
    if (d) {
        c->pos += d;
        if (month_at(c, c->pos) || year_date_at(c, c->pos)) {
            if ((rc = parse_date(c, &dr->b)) < 0)
                return rc;
        } else if (day_at(c, c->pos) && dr->a.day != 0) {
            int day;
            if ((rc = read_day(c, &day)) < 0)
                return rc;
            dr->b.day = (int8_t)day;
        } else {
            return fail(c, "expected the end of a date range");
        }
    }
    if (!date_checks(&dr->a) || !date_checks(&dr->b))
        return fail_at(c, start, -EINVAL, "day does not exist in that month");
    if (!dr->a.year && dr->b.year)
        return fail_at(c, start, -EINVAL, "range end has a year but its start does not");
    if (dr->a.year && !dr->b.year) {
        dr->b.year = dr->a.year;
        if (dr->b.month * 32 + dr->b.day < dr->a.month * 32 + dr->a.day)
            dr->b.year++;
    }
    if (dr->a.year && dr->b.year * 512 + dr->b.month * 32 + dr->b.day <
                          dr->a.year * 512 + dr->a.month * 32 + dr->a.day)
        return fail_at(c, start, -EINVAL, "date range goes backwards");
    return 0;
}

static int parse_dates(cur_t *c, oh__rule_t *r)
{
    do {
        if (r->ndates == OH__MAX_DATES)
            return fail(c, "too many dates");
        const oh__drange_t *prev = r->ndates ? &r->dates[r->ndates - 1] : NULL;
        int rc = parse_date_range(c, &r->dates[r->ndates], prev);
        if (rc < 0)
            return rc;
        r->ndates++;
    } while (list_continues(c, date_item_at));
    return 0;
}

static int parse_wide(cur_t *c, oh__rule_t *r, bool *any)
{
    for (;;) {
        size_t p = ws_after(c, c->pos);
        int rc = 0;
        if (year_date_at(c, p) || month_at(c, p)) {
            if (r->ndates)
                return fail_at(c, p, -EINVAL, "unexpected date");
            c->pos = p;
            rc = parse_dates(c, r);
        } else if (year_at(c, p)) {
            if (r->nyears || r->ndates)
                return fail_at(c, p, -EINVAL, "unexpected year");
            c->pos = p;
            rc = parse_years(c, r);
        } else if (word_at(c, p, "week") || word_at(c, p, "easter")) {
            return fail_at(c, p, -ENOTSUP, "week and easter selectors are not supported");
        } else {
            return 0;
        }
        if (rc < 0)
            return rc;
        *any = true;
    }
}

/* ---- Small range selectors: weekdays and holidays. ---- */

static bool wday_item_at(const cur_t *c, size_t pos)
{
    return wday_at(c, pos) >= 0 || holiday_at(c, pos);
}

static int parse_nth(cur_t *c, uint16_t *mask)
{
    c->pos++; /* '[' */
    do {
        size_t start = c->pos;
        int sign = 1, a, b;
        if (at(c, c->pos) == '-') {
            sign = -1;
            c->pos++;
        }
        if (!is_digit(at(c, c->pos)))
            return fail(c, "expected a week of the month");
        a = b = sign * (c->s[c->pos++] - '0');
        size_t d = dash_at(c, c->pos);
        if (d && sign > 0 && is_digit(at(c, c->pos + d))) {
            b = c->s[c->pos + d] - '0';
            c->pos += d + 1;
        }
        if (a == 0 || b == 0 || a < -5 || a > 5 || b > 5 || b < a)
            return fail_at(c, start, -EINVAL, "week of the month must be 1..5 or -1..-5");
        for (int n = a; n <= b; n++)
            *mask |= (uint16_t)(n > 0 ? 1u << (n - 1) : 1u << (4 - n));
    } while (at(c, c->pos) == ',' && ++c->pos);
    if (at(c, c->pos) != ']')
        return fail(c, "expected ']'");
    c->pos++;
    size_t p = ws_after(c, c->pos);
    if ((at(c, p) == '+' || at(c, p) == '-') && is_digit(at(c, p + 1)))
        return fail_at(c, p, -ENOTSUP, "day offsets are not supported");
    return 0;
}

static int parse_wday_item(cur_t *c, oh__rule_t *r)
{
    int w1 = wday_at(c, c->pos), w2;
    c->pos += 2;
    size_t d = dash_at(c, c->pos);
    if (d && wday_at(c, c->pos + d) >= 0) {
        w2 = wday_at(c, c->pos + d);
        c->pos += d + 2;
        for (int w = w1;; w = (w + 1) % 7) { /* Sa-Mo wraps */
            r->nth[w] = OH__NTH_ALL;
            if (w == w2)
                break;
        }
        return 0;
    }
    if (at(c, c->pos) == '[') {
        uint16_t mask = 0;
        int rc = parse_nth(c, &mask);
        if (rc < 0)
            return rc;
        r->nth[w1] |= mask;
        return 0;
    }
    r->nth[w1] = OH__NTH_ALL;
    return 0;
}

static int parse_small(cur_t *c, oh__rule_t *r, bool *any)
{
    size_t p = ws_after(c, c->pos);
    if (!wday_item_at(c, p))
        return 0;
    c->pos = p;
    bool has_wd = false;
    for (;;) {
        if (holiday_at(c, c->pos)) {
            r->hol |= lower(at(c, c->pos)) == 'p' ? OH__HOL_PH : OH__HOL_SH;
            c->pos += 2;
        } else {
            int rc = parse_wday_item(c, r);
            if (rc < 0)
                return rc;
            has_wd = true;
        }
        if (list_continues(c, wday_item_at))
            continue;
        /* "SH Mo-Fr": holidays, a space, then weekdays -> both must hold. */
        p = ws_after(c, c->pos);
        if (r->hol && !has_wd && p > c->pos && wday_at(c, p) >= 0) {
            r->hol_and = true;
            c->pos = p;
            continue;
        }
        break;
    }
    *any = true;
    return 0;
}

/* ---- Time spans. ---- */

static bool span_item_at(const cur_t *c, size_t pos)
{
    return time_at(c, pos) || variable_at(c, pos);
}

/* A time point: minutes, or -1 for a variable time. */
static int read_point(cur_t *c, int max_h, int *min)
{
    size_t start = c->pos;
    if (at(c, c->pos) == '(')
        return fail_at(c, start, -ENOTSUP, "variable time offsets are not supported");
    static const char *const vars[] = {"sunrise", "sunset", "dawn", "dusk"};
    for (int i = 0; i < 4; i++)
        if (word_at(c, c->pos, vars[i])) {
            c->pos += strlen(vars[i]);
            *min = -1;
            return 0;
        }
    if (!time_at(c, c->pos))
        return fail(c, "expected a time (hh:mm)");
    int h = c->s[c->pos++] - '0';
    if (is_digit(at(c, c->pos)))
        h = h * 10 + (c->s[c->pos++] - '0');
    c->pos++; /* ':' */
    int m = (c->s[c->pos] - '0') * 10 + (c->s[c->pos + 1] - '0');
    c->pos += 2;
    if (m > 59 || h > max_h || (h == max_h && m > 0) || is_digit(at(c, c->pos)))
        return fail_at(c, start, -EINVAL, "invalid time");
    *min = h * 60 + m;
    return 0;
}

static int parse_span(cur_t *c, oh__span_t *sp)
{
    int a, b, rc;
    size_t start = c->pos;
    if ((rc = read_point(c, 24, &a)) < 0)
        return rc;
    if (a >= OH__DAY_MIN)
        return fail_at(c, start, -EINVAL, "a span cannot start at 24:00");
    sp->flags = 0;
    if (at(c, c->pos) == '+') { /* "18:00+": open end */
        c->pos++;
        if (a < 0)
            return fail_at(c, start, -EINVAL, "open end needs a fixed start");
        sp->start = (int16_t)a;
        sp->end = OH__DAY_MIN;
        sp->flags = OH__SPAN_UNKNOWN;
        return 0;
    }
    size_t d = dash_at(c, c->pos);
    if (!d)
        return fail(c, "expected '-' after a time");
    c->pos += d;
    if ((rc = read_point(c, 48, &b)) < 0)
        return rc;
    if (a < 0 || b < 0) {
        sp->start = 0;
        sp->end = OH__DAY_MIN;
        sp->flags = OH__SPAN_VARIABLE;
    } else {
        if (b <= a)
            b += OH__DAY_MIN;
        if (b > OH__SPAN_MIN)
            return fail_at(c, start, -EINVAL, "span longer than the next day");
        sp->start = (int16_t)a;
        sp->end = (int16_t)b;
    }
    if (at(c, c->pos) == '+') {
        c->pos++;
        sp->flags |= OH__SPAN_OPEN_END;
    }
    return 0;
}

static int parse_times(cur_t *c, oh__rule_t *r, bool *any)
{
    size_t p = ws_after(c, c->pos);
    if (!span_item_at(c, p))
        return 0;
    c->pos = p;
    do {
        if (r->nspans == OH__MAX_SPANS)
            return fail(c, "too many time spans");
        int rc = parse_span(c, &r->spans[r->nspans]);
        if (rc < 0)
            return rc;
        r->nspans++;
    } while (list_continues(c, span_item_at));
    *any = true;
    return 0;
}

/* ---- Rules and the whole value. ---- */

static bool colon_skip(cur_t *c)
{
    size_t p = ws_after(c, c->pos);
    if (at(c, p) != ':')
        return false;
    c->pos = p + 1;
    return true;
}

static int parse_comment(cur_t *c)
{
    size_t start = c->pos++;
    while (c->pos < c->len && c->s[c->pos] != '"')
        c->pos++;
    if (c->pos >= c->len)
        return fail_at(c, start, -EINVAL, "unterminated comment");
    c->pos++;
    return 0;
}

/* [open|closed|off|unknown] ["comment"] */
static int parse_modifier(cur_t *c, oh__rule_t *r, bool *any)
{
    static const struct {
        const char *w;
        uint8_t state;
    } mods[] = {{"open", OH_OPEN}, {"closed", OH_CLOSED}, {"off", OH_CLOSED},
                {"unknown", OH_UNKNOWN}};
    size_t p = ws_after(c, c->pos);
    bool explicit_mod = false;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (word_at(c, p, mods[i].w)) {
            r->state = mods[i].state;
            c->pos = p + strlen(mods[i].w);
            explicit_mod = *any = true;
            p = ws_after(c, c->pos);
            break;
        }
    if (at(c, p) == '"') {
        c->pos = p;
        int rc = parse_comment(c);
        if (rc < 0)
            return rc;
        if (!explicit_mod)
            r->state = OH_UNKNOWN; /* a comment instead of a modifier */
        *any = true;
    }
    return 0;
}

static int parse_rule(cur_t *c, oh__rule_t *r)
{
    bool any = false;
    int rc;
    r->state = OH_OPEN;
    skip_ws(c);
    size_t start = c->pos;
    if (c->pos + 4 <= c->len && memcmp(c->s + c->pos, "24/7", 4) == 0) {
        c->pos += 4;
        any = true;
    } else {
        if ((rc = parse_wide(c, r, &any)) < 0)
            return rc;
        if (any)
            colon_skip(c);
        bool small = false;
        if ((rc = parse_small(c, r, &small)) < 0)
            return rc;
        if (small)
            colon_skip(c); /* lenient "Mo-Fr: 10:00-12:00" */
        any = any || small;
        if ((rc = parse_times(c, r, &any)) < 0)
            return rc;
    }
    if ((rc = parse_modifier(c, r, &any)) < 0)
        return rc;
    if (!any)
        return fail_at(c, start, -EINVAL, "expected a rule");
    return 0;
}

static int parse_domain(cur_t *c, oh_t *oh)
{
    uint8_t sep = OH__SEP_NORMAL;
    for (;;) {
        skip_ws(c);
        if (c->pos >= c->len && oh->nrules > 0 && sep == OH__SEP_NORMAL)
            return 0; /* tolerate one trailing ';' */
        if (oh->nrules == OH_MAX_RULES)
            return fail(c, "too many rules");
        oh__rule_t *r = &oh->rules[oh->nrules];
        memset(r, 0, sizeof *r);
        r->sep = oh->has_fallback ? OH__SEP_FALLBACK : sep;
        int rc = parse_rule(c, r);
        if (rc < 0)
            return rc;
        oh->nrules++;
        if (r->hol)
            oh->uses_holidays = true;
        skip_ws(c);
        if (c->pos >= c->len)
            return 0;
        char ch = c->s[c->pos];
        if (ch == ';') {
            sep = OH__SEP_NORMAL;
            c->pos++;
            skip_ws(c);
            if (at(c, c->pos) == ';')
                return fail(c, "empty rule");
        } else if (ch == '|' && at(c, c->pos + 1) == '|') {
            oh->has_fallback = true;
            c->pos += 2;
            sep = OH__SEP_FALLBACK;
            if (ws_after(c, c->pos) >= c->len)
                return fail(c, "expected a rule after '||'");
        } else if (ch == ',') {
            sep = OH__SEP_ADDITIONAL;
            c->pos++;
            if (ws_after(c, c->pos) >= c->len)
                return fail(c, "expected a rule after ','");
        } else {
            return fail(c, "unexpected character");
        }
    }
}

int oh_parse(const char *value, oh_t **out, oh_error_t *err)
{
    cur_t c = {.s = value, .err = err};
    if (!out)
        return fail_at(&c, 0, -EINVAL, "null argument");
    *out = NULL;
    if (!value)
        return fail_at(&c, 0, -EINVAL, "null argument");
    c.len = strnlen(value, OH_MAX_INPUT + 1);
    if (c.len > OH_MAX_INPUT)
        return fail_at(&c, OH_MAX_INPUT, -EINVAL, "value too long");
    if (ws_after(&c, 0) >= c.len)
        return fail_at(&c, 0, -EINVAL, "empty value");
    oh_t *oh = calloc(1, sizeof *oh + OH_MAX_RULES * sizeof(oh__rule_t));
    if (!oh)
        return -ENOMEM;
    int rc = parse_domain(&c, oh);
    if (rc < 0) {
        free(oh);
        return rc;
    }
    oh_t *shrunk = realloc(oh, sizeof *oh + (size_t)oh->nrules * sizeof(oh__rule_t));
    *out = shrunk ? shrunk : oh;
    return 0;
}

void oh_free(oh_t *oh)
{
    free(oh);
}

int oh_uses_holidays(const oh_t *oh)
{
    return oh && oh->uses_holidays;
}

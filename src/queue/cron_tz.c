/* queue/cron_tz.c -- TZif v2+ reader and POSIX TZ rule evaluator.
 *
 * The file is parsed once into flat arrays (see struct cron_tz); queries are
 * a binary search in the transition table, or the footer's POSIX rule for
 * instants after the last transition. See cron_tz.h for the contract.
 */
#include "queue/cron_tz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_MAX_TRANS 100000u
#define TZ_MAX_TYPES 256u
#define TZ_MAX_OFF (25 * 3600 + 59 * 60 + 59) /* RFC 8536: -89999..93599 */
#define TZ_MAX_OFFS 32

/* One end of a DST period in a POSIX TZ rule: "Jn", "n" or "Mm.w.d", plus
 * the local time of day (seconds, may be negative or over 24 h). */
typedef struct tz_date {
    char kind;                /* 'J', 'N' or 'M' */
    int n;                    /* day for 'J' (1..365) and 'N' (0..365) */
    int m, w, d;              /* month, week (5 = last), weekday for 'M' */
    int32_t time;
} tz_date_t;

typedef struct tz_rule {
    bool present;             /* the footer holds a rule */
    bool has_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    tz_date_t start, end;
} tz_rule_t;

struct cron_tz {
    size_t ntrans;
    int64_t *trans;           /* ntrans instants, strictly increasing */
    uint8_t *trans_type;      /* ntrans indexes into type_off */
    size_t ntypes;            /* >= 1 */
    int32_t *type_off;
    tz_rule_t rule;
    int noffs;                /* distinct offsets the zone can take */
    int32_t offs[TZ_MAX_OFFS];
};

/* ---- Calendar helpers (H. Hinnant's days-from-civil algorithms). ---- */

int64_t cron_tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cron_tz_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

int cron_tz_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cron_tz_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- POSIX TZ footer ("WET0WEST,M3.5.0/1,M10.5.0"). ---- */

typedef struct {
    const char *p, *end;
} cur_t;

static bool cur_digit(const cur_t *c)
{
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static int read_num(cur_t *c, int max, int *out)
{
    if (!cur_digit(c))
        return -EINVAL;
    int v = 0;
    while (cur_digit(c)) {
        v = v * 10 + (*c->p++ - '0');
        if (v > max)
            return -EINVAL;
    }
    *out = v;
    return 0;
}

static int read_name(cur_t *c)
{
    const char *start = c->p;
    if (c->p < c->end && *c->p == '<') {
        start = ++c->p;
        while (c->p < c->end && *c->p != '>') {
            char ch = *c->p;
            bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '+' || ch == '-';
            if (!ok)
                return -EINVAL;
            c->p++;
        }
        if (c->p >= c->end || c->p - start < 3)
            return -EINVAL;
        c->p++;
        return 0;
    }
    while (c->p < c->end &&
           ((*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= 'a' && *c->p <= 'z')))
        c->p++;
    return c->p - start >= 3 ? 0 : -EINVAL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; returns seconds. */
static int read_hms(cur_t *c, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
        sign = *c->p++ == '-' ? -1 : 1;
    if (read_num(c, max_h, &h) < 0)
        return -EINVAL;
    if (c->p < c->end && *c->p == ':') {
        c->p++;
        if (read_num(c, 59, &m) < 0)
            return -EINVAL;
        if (c->p < c->end && *c->p == ':') {
            c->p++;
            if (read_num(c, 59, &s) < 0)
                return -EINVAL;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}

static int read_date(cur_t *c, tz_date_t *d)
{
    memset(d, 0, sizeof *d);
    d->time = 7200; /* 02:00:00 by default */
    if (c->p < c->end && *c->p == 'J') {
        c->p++;
        d->kind = 'J';
        if (read_num(c, 365, &d->n) < 0 || d->n < 1)
            return -EINVAL;
    } else if (c->p < c->end && *c->p == 'M') {
        c->p++;
        d->kind = 'M';
        if (read_num(c, 12, &d->m) < 0 || d->m < 1 || c->p >= c->end ||
            *c->p++ != '.' || read_num(c, 5, &d->w) < 0 || d->w < 1 ||
            c->p >= c->end || *c->p++ != '.' || read_num(c, 6, &d->d) < 0)
            return -EINVAL;
    } else {
        d->kind = 'N';
        if (read_num(c, 365, &d->n) < 0)
            return -EINVAL;
    }
    if (c->p < c->end && *c->p == '/') {
        c->p++;
        if (read_hms(c, 167, &d->time) < 0)
            return -EINVAL;
    }
    return 0;
}

static int parse_posix(const char *s, size_t n, tz_rule_t *r)
{
    memset(r, 0, sizeof *r);
    if (n == 0)
        return 0;
    cur_t c = {s, s + n};
    int32_t v;
    if (read_name(&c) < 0 || read_hms(&c, 24, &v) < 0)
        return -EINVAL;
    r->present = true;
    r->std_off = -v;
    r->dst_off = r->std_off;
    if (c.p == c.end)
        return 0;
    if (read_name(&c) < 0)
        return -EINVAL;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (c.p < c.end && *c.p != ',') {
        if (read_hms(&c, 24, &v) < 0)
            return -EINVAL;
        r->dst_off = -v;
    }
    if (c.p == c.end)
        return -ENOTSUP; /* DST with implementation-defined rules */
    if (*c.p++ != ',' || read_date(&c, &r->start) < 0 || c.p >= c.end ||
        *c.p++ != ',' || read_date(&c, &r->end) < 0 || c.p != c.end)
        return -EINVAL;
    return 0;
}

/* Local (wall-clock) second at which `d` happens in `year`. */
static int64_t date_local(const tz_date_t *d, int64_t year)
{
    int64_t jan1 = cron_tz_days_from_civil(year, 1, 1), day;
    if (d->kind == 'J')
        day = jan1 + d->n - 1 + (is_leap(year) && d->n >= 60);
    else if (d->kind == 'N')
        day = jan1 + d->n;
    else {
        int64_t first = cron_tz_days_from_civil(year, d->m, 1);
        int dom = 1 + (d->d - cron_tz_weekday(first) + 7) % 7 + (d->w - 1) * 7;
        int dim = cron_tz_days_in_month(year, d->m);
        while (dom > dim)
            dom -= 7;
        day = first + dom - 1;
    }
    return day * 86400 + d->time;
}

static int32_t rule_offset(const tz_rule_t *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    /* Keep the calendar arithmetic far from int64 overflow. */
    const int64_t lim = INT64_C(1) << 50;
    t = t > lim ? lim : t < -lim ? -lim : t;
    int64_t year;
    int m, d;
    cron_tz_civil_from_days(floor_div(t + r->std_off, 86400), &year, &m, &d);
    int64_t s = date_local(&r->start, year) - r->std_off;
    int64_t e = date_local(&r->end, year) - r->dst_off;
    bool dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif parsing. ---- */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
} rd_t;

static bool rd_need(const rd_t *r, size_t n)
{
    return r->len - r->pos >= n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

typedef struct {
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzhead_t;

static int read_header(rd_t *r, tzhead_t *h)
{
    if (!rd_need(r, 44) || memcmp(r->p + r->pos, "TZif", 4) != 0)
        return -EINVAL;
    const uint8_t *p = r->p + r->pos;
    h->version = (char)p[4];
    uint32_t *f[6] = {&h->isutcnt, &h->isstdcnt, &h->leapcnt,
                      &h->timecnt, &h->typecnt, &h->charcnt};
    for (int i = 0; i < 6; i++)
        *f[i] = be32(p + 20 + 4 * i);
    r->pos += 44;
    if (h->version == 0)
        return -ENOTSUP;
    if (h->version < '2' || h->version > '9')
        return -EINVAL;
    if (h->leapcnt != 0)
        return -ENOTSUP;
    if (h->timecnt > TZ_MAX_TRANS || h->typecnt == 0 ||
        h->typecnt > TZ_MAX_TYPES || h->charcnt > 65536 ||
        (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
        return -EINVAL;
    return 0;
}

static size_t block_size(const tzhead_t *h, size_t tsize)
{
    return (size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 +
           h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
           h->isutcnt;
}

static void add_off(cron_tz_t *tz, int32_t off)
{
    for (int i = 0; i < tz->noffs; i++)
        if (tz->offs[i] == off)
            return;
    if (tz->noffs < TZ_MAX_OFFS)
        tz->offs[tz->noffs++] = off;
}

static int read_v2_block(rd_t *r, const tzhead_t *h, cron_tz_t *tz)
{
    if (!rd_need(r, block_size(h, 8)))
        return -EINVAL;
    const uint8_t *p = r->p + r->pos;
    tz->ntrans = h->timecnt;
    tz->ntypes = h->typecnt;
    tz->trans = malloc(sizeof(int64_t) * (h->timecnt ? h->timecnt : 1));
    tz->trans_type = malloc(h->timecnt ? h->timecnt : 1);
    tz->type_off = malloc(sizeof(int32_t) * h->typecnt);
    if (!tz->trans || !tz->trans_type || !tz->type_off)
        return -ENOMEM;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        uint64_t v = (uint64_t)be32(p + 8 * i) << 32 | be32(p + 8 * i + 4);
        tz->trans[i] = (int64_t)v;
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
            return -EINVAL;
    }
    p += (size_t)h->timecnt * 8;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        if (p[i] >= h->typecnt)
            return -EINVAL;
        tz->trans_type[i] = p[i];
    }
    p += h->timecnt;
    for (uint32_t i = 0; i < h->typecnt; i++, p += 6) {
        int32_t off = (int32_t)be32(p);
        if (off < -TZ_MAX_OFF || off > TZ_MAX_OFF || p[4] > 1 ||
            (h->charcnt > 0 && p[5] >= h->charcnt))
            return -EINVAL;
        tz->type_off[i] = off;
        add_off(tz, off);
    }
    r->pos += block_size(h, 8);
    return 0;
}

static int read_footer(rd_t *r, cron_tz_t *tz)
{
    if (!rd_need(r, 2) || r->p[r->pos] != '\n')
        return -EINVAL;
    const char *s = (const char *)r->p + r->pos + 1;
    const char *nl = memchr(s, '\n', r->len - r->pos - 1);
    if (!nl)
        return -EINVAL;
    int rc = parse_posix(s, (size_t)(nl - s), &tz->rule);
    if (rc < 0)
        return rc;
    if (tz->rule.present) {
        if (tz->rule.std_off < -TZ_MAX_OFF || tz->rule.std_off > TZ_MAX_OFF ||
            tz->rule.dst_off < -TZ_MAX_OFF || tz->rule.dst_off > TZ_MAX_OFF)
            return -EINVAL;
        add_off(tz, tz->rule.std_off);
        add_off(tz, tz->rule.dst_off);
    }
    return 0;
}

int cron_tz_parse(const void *data, size_t len, cron_tz_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!data)
        return -EINVAL;
    rd_t r = {data, len, 0};
    tzhead_t h;
    int rc = read_header(&r, &h);
    if (rc < 0)
        return rc;
    if (!rd_need(&r, block_size(&h, 4)))
        return -EINVAL;
    r.pos += block_size(&h, 4); /* skip the 32-bit block */
    if ((rc = read_header(&r, &h)) < 0)
        return rc;
    cron_tz_t *tz = calloc(1, sizeof *tz);
    if (!tz)
        return -ENOMEM;
    if ((rc = read_v2_block(&r, &h, tz)) < 0 ||
        (rc = read_footer(&r, tz)) < 0) {
        cron_tz_free(tz);
        return rc;
    }
    *out = tz;
    return 0;
}

int cron_tz_fixed(int32_t utoff, cron_tz_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (utoff < -TZ_MAX_OFF || utoff > TZ_MAX_OFF)
        return -EINVAL;
    cron_tz_t *tz = calloc(1, sizeof *tz);
    if (!tz)
        return -ENOMEM;
    tz->type_off = malloc(sizeof(int32_t));
    if (!tz->type_off) {
        free(tz);
        return -ENOMEM;
    }
    tz->ntypes = 1;
    tz->type_off[0] = utoff;
    add_off(tz, utoff);
    *out = tz;
    return 0;
}

void cron_tz_free(cron_tz_t *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->trans_type);
    free(tz->type_off);
    free(tz);
}

/* ---- Loading from the zoneinfo directory. ---- */

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                  c == '-' || c == '.' || c == '/';
        if (!ok)
            return false;
        /* no component may start with '.', which rules out "..". */
        if (c == '.' && (i == 0 || name[i - 1] == '/'))
            return false;
    }
    return true;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EIO;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        rc = -ENOENT;
    else if (st.st_size > CRON_TZ_MAX_FILE)
        rc = -EFBIG;
    size_t size = rc == 0 ? (size_t)st.st_size : 0, got = 0;
    uint8_t *b = rc == 0 ? malloc(size ? size : 1) : NULL;
    if (rc == 0 && !b)
        rc = -ENOMEM;
    while (rc == 0 && got < size) {
        ssize_t k = read(fd, b + got, size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            rc = -EIO;
        else
            got += (size_t)k;
    }
    close(fd);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = size;
    return 0;
}

int cron_tz_load_dir(const char *dir, const char *name, cron_tz_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!dir || !name || !name_ok(name))
        return -EINVAL;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return -EINVAL;
    uint8_t *buf;
    size_t len;
    int rc = read_file(path, &buf, &len);
    if (rc < 0)
        return rc;
    rc = cron_tz_parse(buf, len, out);
    free(buf);
    return rc;
}

int cron_tz_load(const char *name, cron_tz_t **out)
{
    return cron_tz_load_dir(CRON_TZ_DEFAULT_DIR, name, out);
}

/* ---- Queries. ---- */

int32_t cron_tz_offset(const cron_tz_t *tz, int64_t t)
{
    size_t n = tz->ntrans;
    if (n == 0 || t >= tz->trans[n - 1]) {
        if (tz->rule.present)
            return rule_offset(&tz->rule, t);
        return n == 0 ? tz->type_off[0] : tz->type_off[tz->trans_type[n - 1]];
    }
    if (t < tz->trans[0])
        return tz->type_off[0];
    size_t lo = 0, hi = n - 1; /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->type_off[tz->trans_type[lo]];
}

int cron_tz_local_to_utc(const cron_tz_t *tz, int64_t local_s, int64_t *out,
                         int max)
{
    int64_t found[TZ_MAX_OFFS];
    int k = 0;
    for (int i = 0; i < tz->noffs; i++) {
        int64_t u = local_s - tz->offs[i];
        if (cron_tz_offset(tz, u) == tz->offs[i])
            found[k++] = u;
    }
    for (int i = 1; i < k; i++) /* insertion sort, k is tiny */
        for (int j = i; j > 0 && found[j - 1] > found[j]; j--) {
            int64_t x = found[j];
            found[j] = found[j - 1];
            found[j - 1] = x;
        }
    for (int i = 0; i < k && i < max; i++)
        out[i] = found[i];
    return k;
}

/* geo/index_query.c -- radius, k-nearest and bbox queries of geo_index.
 * See index.h for the contract and index_int.h for the grid layout.
 *
 * Queries first enumerate the cells that may hold hits (skipping cells
 * wholly outside the circle), then bound each point's haversine term from
 * below with cheap arithmetic, and only compute exact distances for points
 * that can still make the result.
 */
#include "geo/index_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- Cell enumeration ---------------------------------------------------- */

typedef int (*cell_fn)(void *ctx, const cell_t *c, double cos_min);

typedef struct col_ranges {
    int64_t lo[2], hi[2];
    int n;
} col_ranges_t;

static void row_ranges(const geo_bbox_t *b, int64_t ncols, col_ranges_t *r)
{
    r->n = 1;
    if (b->west <= -180.0 && b->east >= 180.0) {
        r->lo[0] = 0;
        r->hi[0] = ncols - 1;
        return;
    }
    int64_t w = geo_index__col_of(b->west, ncols), e = geo_index__col_of(b->east, ncols);
    if (b->west <= b->east) {
        r->lo[0] = w;
        r->hi[0] = e;
        if (b->east >= 180.0 && w > 0) { /* lng 180 is stored as -180 */
            r->lo[1] = r->hi[1] = 0;
            r->n = 2;
        }
        return;
    }
    if (e >= w) { /* the two pieces meet: whole row */
        r->lo[0] = 0;
        r->hi[0] = ncols - 1;
        return;
    }
    r->lo[0] = w;
    r->hi[0] = ncols - 1;
    r->lo[1] = 0;
    r->hi[1] = e;
    r->n = 2;
}

static bool ranges_have(const col_ranges_t *r, int64_t col)
{
    for (int i = 0; i < r->n; i++)
        if (col >= r->lo[i] && col <= r->hi[i])
            return true;
    return false;
}

/* Query circle, when there is one: lets for_each_cell() skip cells that lie
 * wholly outside it before touching them. Defined with the distance helpers. */
typedef struct qpoint qpoint_t;
static bool cell_outside(const qpoint_t *q, double lat_lo, double lat_hi,
                         double lng_w, double width, double cos_min);

#define CELL_BATCH 32

typedef struct cell_batch {
    uint64_t key[CELL_BATCH];
    double cos_min[CELL_BATCH];
    int n;
} cell_batch_t;

/* Looks the batched cells up (prefetching slots, then items, so that the
 * cache misses overlap) and calls fn on the occupied ones. */
static int batch_flush(const geo_index_t *idx, cell_batch_t *bt, cell_fn fn, void *ctx)
{
    const cell_t *c[CELL_BATCH];
    for (int i = 0; i < bt->n; i++)
        __builtin_prefetch(&idx->cells[home_slot(bt->key[i], idx->ccap)]);
    for (int i = 0; i < bt->n; i++) {
        c[i] = cell_find(idx, bt->key[i]);
        if (c[i])
            __builtin_prefetch(c[i]->items);
    }
    int n = bt->n;
    bt->n = 0;
    for (int i = 0; i < n; i++) {
        if (!c[i])
            continue;
        int rc = fn(ctx, c[i], bt->cos_min[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int scan_table(const geo_index_t *idx, const geo_bbox_t *b, int64_t r0, int64_t r1,
                      cell_fn fn, void *ctx)
{
    for (size_t i = 0; i < idx->ccap; i++) {
        const cell_t *c = &idx->cells[i];
        if (c->key == EMPTY_KEY)
            continue;
        int64_t row = (int64_t)(c->key >> 32), col = (int64_t)(c->key & 0xffffffffu);
        if (row < r0 || row > r1)
            continue;
        col_ranges_t cr;
        row_ranges(b, geo_index__ncols(idx, row), &cr);
        if (!ranges_have(&cr, col))
            continue;
        int rc = fn(ctx, c, geo_index__row_cos_min(idx, row));
        if (rc)
            return rc;
    }
    return 0;
}

/* Calls fn for every occupied cell that may hold points of box b (and of
 * circle q if not NULL), choosing between walking the grid cells of the box
 * and walking the cell table, whichever is smaller. Stops at the first
 * non-zero return of fn and returns it. */
static int for_each_cell(const geo_index_t *idx, const geo_bbox_t *b, const qpoint_t *q,
                         cell_fn fn, void *ctx)
{
    if (idx->ncells == 0)
        return 0;
    int64_t r0 = geo_index__row_of(idx, b->south), r1 = geo_index__row_of(idx, b->north);
    bool by_table = (uint64_t)(r1 - r0 + 1) > idx->ncells;
    uint64_t est = 0;
    for (int64_t row = r0; !by_table && row <= r1; row++) {
        col_ranges_t cr;
        row_ranges(b, geo_index__ncols(idx, row), &cr);
        for (int i = 0; i < cr.n; i++)
            est += (uint64_t)(cr.hi[i] - cr.lo[i] + 1);
        by_table = est > idx->ncells;
    }
    if (by_table)
        return scan_table(idx, b, r0, r1, fn, ctx);
    cell_batch_t bt = {.n = 0};
    for (int64_t row = r0; row <= r1; row++) {
        int64_t ncols = geo_index__ncols(idx, row);
        col_ranges_t cr;
        row_ranges(b, ncols, &cr);
        double cmin = geo_index__row_cos_min(idx, row), lo, hi, w = 360.0 / (double)ncols;
        geo_index__row_bounds(idx, row, &lo, &hi);
        for (int i = 0; i < cr.n; i++)
            for (int64_t col = cr.lo[i]; col <= cr.hi[i]; col++) {
                if (q && cell_outside(q, lo, hi, -180.0 + (double)col * w, w, cmin))
                    continue;
                bt.key[bt.n] = (uint64_t)row << 32 | (uint64_t)col;
                bt.cos_min[bt.n++] = cmin;
                if (bt.n == CELL_BATCH) {
                    int rc = batch_flush(idx, &bt, fn, ctx);
                    if (rc)
                        return rc;
                }
            }
    }
    return batch_flush(idx, &bt, fn, ctx);
}

/* ---- Distance helpers ----------------------------------------------------- */

struct qpoint {
    geo_point_t p;
    double lat_r, lng_r, cos_lat;
    double radius_m, a_max; /* a_max: haversine term bound for radius_m */
    geo_bbox_t box;
};

static int qpoint_init(qpoint_t *q, geo_point_t c, double radius_m)
{
    if (!geo_point_valid(c) || !isfinite(radius_m) || radius_m < 0)
        return GEO_EINVAL;
    q->p = c;
    q->lat_r = c.lat * DEG2RAD;
    q->lng_r = c.lng * DEG2RAD;
    q->cos_lat = cos(q->lat_r);
    q->radius_m = radius_m;
    double half = radius_m / (2.0 * GEO_EARTH_RADIUS_M);
    double s = half >= M_PI_2 ? 1.0 : sin(half);
    q->a_max = s * s * (1.0 + 1e-9) + 1e-300;
    /* A hair larger than the circle so rounding never drops a point. */
    return geo_bbox_around(c, radius_m * (1.0 + 1e-9) + 1e-3, &q->box);
}

/* A lower bound of the haversine term of geo_distance_m(q, it). */
static inline double lower_a(const qpoint_t *q, const item_t *it, double cos_min)
{
    double x1 = ((double)it->lat * E7_TO_RAD - q->lat_r) * 0.5;
    double dl = (double)it->lng * E7_TO_RAD - q->lng_r;
    if (dl > M_PI)
        dl -= 2.0 * M_PI;
    else if (dl < -M_PI)
        dl += 2.0 * M_PI;
    double x2 = dl * 0.5;
    double s1 = x1 * (1.0 - x1 * x1 * (1.0 / 6.0));
    double s2 = x2 * (1.0 - x2 * x2 * (1.0 / 6.0));
    return (s1 * s1 + q->cos_lat * cos_min * s2 * s2) * (1.0 - 1e-12);
}

static inline double sin_lb(double x)
{
    return x * (1.0 - x * x * (1.0 / 6.0));
}

/* True if no point of the cell [lat_lo, lat_hi] x [lng_w, lng_w + width]
 * (degrees) can be within the radius of q. */
static bool cell_outside(const qpoint_t *q, double lat_lo, double lat_hi,
                         double lng_w, double width, double cos_min)
{
    double dp = fmax(0.0, fmax(lat_lo - q->p.lat, q->p.lat - lat_hi));
    double dw = q->p.lng - lng_w;
    if (dw < 0)
        dw += 360.0;
    double dl = dw <= width ? 0.0 : fmin(dw - width, 360.0 - dw);
    double s1 = sin_lb(dp * DEG2RAD * 0.5), s2 = sin_lb(dl * DEG2RAD * 0.5);
    return (s1 * s1 + q->cos_lat * cos_min * s2 * s2) * (1.0 - 1e-12) > q->a_max;
}

/* Exactly the haversine term geo_distance_m() computes. */
static inline double exact_a(const qpoint_t *q, const item_t *it)
{
    double p2 = e7_deg(it->lat) * DEG2RAD;
    double sdp = sin((p2 - q->lat_r) * 0.5);
    double sdl = sin((e7_deg(it->lng) - q->p.lng) * DEG2RAD * 0.5);
    double h = sdp * sdp + q->cos_lat * cos(p2) * sdl * sdl;
    return h > 1.0 ? 1.0 : h;
}

static inline double a_to_m(double a)
{
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

static void fill_hit(geo_index_hit_t *h, const item_t *it, double dist)
{
    h->id = it->id;
    h->point.lat = e7_deg(it->lat);
    h->point.lng = e7_deg(it->lng);
    h->dist_m = dist;
}

/* ---- Visitors ------------------------------------------------------------- */

typedef struct visit_ctx {
    const qpoint_t *q;
    const geo_bbox_t *box;
    geo_index_visit_cb cb;
    void *data;
} visit_ctx_t;

static int radius_cell(void *ctx, const cell_t *c, double cos_min)
{
    visit_ctx_t *v = ctx;
    for (uint32_t i = 0; i < c->n; i++) {
        const item_t *it = &c->items[i];
        if (lower_a(v->q, it, cos_min) > v->q->a_max)
            continue;
        double d = a_to_m(exact_a(v->q, it));
        if (d > v->q->radius_m)
            continue;
        geo_index_hit_t h;
        fill_hit(&h, it, d);
        int rc = v->cb(v->data, &h);
        if (rc)
            return rc;
    }
    return 0;
}

int geo_index_radius_each(const geo_index_t *idx, geo_point_t c, double radius_m,
                          geo_index_visit_cb cb, void *data)
{
    qpoint_t q;
    if (!idx || !cb || qpoint_init(&q, c, radius_m))
        return GEO_EINVAL;
    visit_ctx_t v = {.q = &q, .cb = cb, .data = data};
    return for_each_cell(idx, &q.box, &q, radius_cell, &v);
}

static int bbox_cell(void *ctx, const cell_t *c, double cos_min)
{
    (void)cos_min;
    visit_ctx_t *v = ctx;
    for (uint32_t i = 0; i < c->n; i++) {
        geo_index_hit_t h;
        fill_hit(&h, &c->items[i], 0.0);
        geo_point_t p = h.point;
        if (p.lng == -180.0 && v->box->east >= 180.0)
            p.lng = 180.0;
        if (!geo_bbox_contains(v->box, h.point) && !geo_bbox_contains(v->box, p))
            continue;
        int rc = v->cb(v->data, &h);
        if (rc)
            return rc;
    }
    return 0;
}

int geo_index_bbox_each(const geo_index_t *idx, const geo_bbox_t *box,
                        geo_index_visit_cb cb, void *data)
{
    if (!idx || !cb || !geo_bbox_valid(box))
        return GEO_EINVAL;
    visit_ctx_t v = {.box = box, .cb = cb, .data = data};
    return for_each_cell(idx, box, NULL, bbox_cell, &v);
}

typedef struct ids_ctx {
    uint64_t *ids;
    size_t cap, total;
} ids_ctx_t;

static int collect_id(void *data, const geo_index_hit_t *h)
{
    ids_ctx_t *c = data;
    if (c->total < c->cap)
        c->ids[c->total] = h->id;
    c->total++;
    return 0;
}

int geo_index_bbox(const geo_index_t *idx, const geo_bbox_t *box, uint64_t *ids,
                   size_t cap, size_t *total_out)
{
    if (!total_out || (cap && !ids))
        return GEO_EINVAL;
    ids_ctx_t c = {ids, cap, 0};
    int rc = geo_index_bbox_each(idx, box, collect_id, &c);
    *total_out = c.total;
    return rc;
}

/* ---- Nearest-k ------------------------------------------------------------
 *
 * Candidates whose lower bound passes the current bound are buffered. When
 * the buffer fills, it is compacted: the k smallest lower bounds get their
 * exact value, the largest of those (E) becomes the new bound, and every
 * candidate whose lower bound exceeds E is dropped, since k points at most E
 * away are already known. Memory stays O(k) whatever the density.
 */

#define KNN_STACK 512

typedef struct cand {
    double lb, ex; /* ex < 0 until computed */
    const item_t *it;
} cand_t;

typedef struct knn {
    const qpoint_t *q;
    size_t k;
    double bound;
    cand_t *buf, *owned;
    size_t n, cap;
    int err;
} knn_t;

static inline bool cand_less(const cand_t *a, const cand_t *b, bool by_ex)
{
    if (!by_ex)
        return a->lb < b->lb;
    return a->ex < b->ex || (a->ex == b->ex && a->it->id < b->it->id);
}

/* Reorders a[0..n) so that a[0..k) holds its k smallest entries (0 < k < n). */
static void cand_select(cand_t *a, size_t n, size_t k, bool by_ex)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, target = (ptrdiff_t)k - 1;
    while (lo < hi) {
        cand_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi], piv;
        if (cand_less(&x, &y, by_ex))
            piv = cand_less(&y, &z, by_ex) ? y : (cand_less(&x, &z, by_ex) ? z : x);
        else
            piv = cand_less(&x, &z, by_ex) ? x : (cand_less(&y, &z, by_ex) ? z : y);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (cand_less(&a[i], &piv, by_ex))
                i++;
            while (cand_less(&piv, &a[j], by_ex))
                j--;
            if (i <= j) {
                cand_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            break;
    }
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;
    return cand_less(a, b, true) ? -1 : cand_less(b, a, true) ? 1 : 0;
}

static void cand_sort(cand_t *a, size_t n)
{
    if (n > 32) {
        qsort(a, n, sizeof *a, cand_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        cand_t x = a[i];
        size_t j = i;
        for (; j > 0 && cand_less(&x, &a[j - 1], true); j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Keeps the k smallest lower bounds and whatever could still beat them. */
static void knn_prune(knn_t *s)
{
    if (s->n > s->k && s->k > 0) {
        cand_select(s->buf, s->n, s->k, false);
        double e = 0;
        for (size_t i = 0; i < s->k; i++) {
            cand_t *c = &s->buf[i];
            if (c->ex < 0)
                c->ex = exact_a(s->q, c->it);
            if (c->ex > e)
                e = c->ex;
        }
        e = e * (1.0 + 1e-12) + 1e-300;
        if (e < s->bound)
            s->bound = e;
        size_t m = s->k;
        for (size_t i = s->k; i < s->n; i++)
            if (s->buf[i].lb <= s->bound)
                s->buf[m++] = s->buf[i];
        s->n = m;
    }
}

static void knn_compact(knn_t *s)
{
    knn_prune(s);
    if (s->n * 2 <= s->cap)
        return;
    /* Mostly ties (e.g. many points at one spot): make room. */
    size_t ncap = s->cap * 2;
    cand_t *p = s->owned ? realloc(s->owned, ncap * sizeof *p) : malloc(ncap * sizeof *p);
    if (!p) {
        s->err = GEO_ENOMEM;
        return;
    }
    if (!s->owned)
        memcpy(p, s->buf, s->n * sizeof *p);
    s->buf = s->owned = p;
    s->cap = ncap;
}

static int knn_cell(void *ctx, const cell_t *c, double cos_min)
{
    knn_t *s = ctx;
    for (uint32_t i = 0; i < c->n; i++) {
        const item_t *it = &c->items[i];
        double lb = lower_a(s->q, it, cos_min);
        if (lb > s->bound)
            continue;
        if (s->n == s->cap) {
            knn_compact(s);
            if (s->err)
                return s->err;
            if (lb > s->bound)
                continue;
        }
        s->buf[s->n++] = (cand_t){lb, -1.0, it};
    }
    return 0;
}

/* The up-to-k nearest points of circle q into hits; returns GEO_OK or error. */
static int knn_run(const geo_index_t *idx, const qpoint_t *q, size_t k,
                   geo_index_hit_t *hits, size_t *n_out)
{
    cand_t stack[KNN_STACK];
    knn_t s = {.q = q, .k = k, .bound = q->a_max, .buf = stack, .cap = KNN_STACK};
    *n_out = 0;
    if (k > (SIZE_MAX / sizeof(cand_t)) / 8)
        return GEO_ERANGE;
    size_t want = k * 4 < idx->count + 1 ? k * 4 : idx->count + 1; /* n never exceeds count */
    if (want > KNN_STACK) {
        s.cap = want;
        s.buf = s.owned = malloc(s.cap * sizeof *s.buf);
        if (!s.buf)
            return GEO_ENOMEM;
    }
    int rc = for_each_cell(idx, &q->box, q, knn_cell, &s);
    if (rc) {
        free(s.owned);
        return rc;
    }
    knn_prune(&s);
    size_t m = 0;
    for (size_t i = 0; i < s.n; i++) {
        cand_t *c = &s.buf[i];
        if (c->ex < 0)
            c->ex = exact_a(q, c->it);
        if (c->ex <= q->a_max)
            s.buf[m++] = *c;
    }
    size_t kk = m < k ? m : k;
    if (m > kk && kk > 0)
        cand_select(s.buf, m, kk, true);
    cand_sort(s.buf, kk);
    size_t out = 0;
    for (size_t i = 0; i < kk; i++) {
        double d = a_to_m(s.buf[i].ex);
        if (d > q->radius_m)
            break;
        fill_hit(&hits[out++], s.buf[i].it, d);
    }
    free(s.owned);
    *n_out = out;
    return GEO_OK;
}

int geo_index_nearest(const geo_index_t *idx, geo_point_t c, double max_m,
                      size_t k, geo_index_hit_t *hits, size_t *n_out)
{
    if (!idx || !n_out || (k && !hits) || !isfinite(max_m) || max_m < 0)
        return GEO_EINVAL;
    *n_out = 0;
    if (!geo_point_valid(c))
        return GEO_EINVAL;
    if (k == 0 || idx->count == 0)
        return GEO_OK;
    if (max_m > M_PI * GEO_EARTH_RADIUS_M) /* beyond the antipode: everything */
        max_m = M_PI * GEO_EARTH_RADIUS_M * (1 + 1e-9);
    /* Grow the search circle from about one cell until it holds k points. */
    double r = idx->cell_m < max_m ? idx->cell_m : max_m;
    for (;;) {
        qpoint_t q;
        int rc = qpoint_init(&q, c, r);
        if (!rc)
            rc = knn_run(idx, &q, k, hits, n_out);
        if (rc || *n_out >= k || r >= max_m)
            return rc;
        r = r * 2 < max_m ? r * 2 : max_m;
    }
}

int geo_index_radius(const geo_index_t *idx, geo_point_t c, double radius_m,
                     size_t limit, geo_index_hit_t *hits, size_t *n_out)
{
    if (!idx || !n_out || (limit && !hits))
        return GEO_EINVAL;
    *n_out = 0;
    qpoint_t q;
    if (qpoint_init(&q, c, radius_m))
        return GEO_EINVAL;
    if (limit == 0 || idx->count == 0)
        return GEO_OK;
    /* When the circle likely holds many more points than asked for (judged
     * from the density of the centre cell), growing a search ring from the
     * centre touches far fewer points than scanning the whole circle. */
    int32_t lat = (int32_t)llround(c.lat * 1e7), lng = (int32_t)llround(c.lng * 1e7);
    int64_t row = geo_index__row_of(idx, e7_deg(lat));
    uint64_t key = (uint64_t)row << 32 |
                   (uint64_t)geo_index__col_of(e7_deg(lng), geo_index__ncols(idx, row));
    const cell_t *center = cell_find(idx, key);
    double est = center ? center->n * M_PI * radius_m * radius_m / (idx->cell_m * idx->cell_m) : 0;
    if (est > 4.0 * (double)limit)
        return geo_index_nearest(idx, c, radius_m, limit, hits, n_out);
    return knn_run(idx, &q, limit, hits, n_out);
}

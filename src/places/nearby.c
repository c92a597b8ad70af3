/* places/nearby.c -- filtered nearest-first queries over the catalog.
 *
 * Order is (distance, index id), the order geo_index_nearest() uses, so a
 * cursor (last distance, last id) resumes exactly where a page ended.
 * Without filters or a cursor the index's k-nearest search answers
 * directly; otherwise every point of the circle is visited and the best
 * limit + 1 kept in a bounded max-heap. Pure functions of the catalog (read
 * lock held by the caller); no allocation for limits up to 127.
 */
#include "places/places.h"

#include "geo/opening_hours.h"

#include <stdlib.h>
#include <time.h>

int places_open_state(const places_catalog_t *c, size_t i, int64_t at_ms)
{
    const places_item_t *it = &c->items[i];
    if (!it->has_hours)
        return -1;
    if (!it->oh)
        return OH_UNKNOWN;
    int64_t minute = at_ms >= 0 ? at_ms / 60000 : -((-at_ms + 59999) / 60000);
    uint64_t key = (uint64_t)(minute + 1) << 2;
    _Atomic(uint64_t) *slot = c->oh_cache ? &c->oh_cache[it->hx] : NULL; /* shared by the pair */
    uint64_t cached = slot ? atomic_load_explicit(slot, memory_order_relaxed) : 0;
    if (minute >= 0 && cached && (cached & ~(uint64_t)3) == key)
        return (int)(cached & 3);
    struct tm tm;
    places_local_time(it->zone < c->nzones ? c->zones[it->zone] : NULL, at_ms, &tm);
    int s = oh_is_open(it->oh, &tm);
    s = s < 0 ? OH_UNKNOWN : s;
    if (slot && minute >= 0)
        atomic_store_explicit(slot, key | (uint64_t)s, memory_order_relaxed);
    return s;
}

bool places_filter_match(const places_catalog_t *c, size_t i, const places_filter_t *f)
{
    const places_item_t *it = &c->items[i];
    if (f->categories) {
        size_t k = 0;
        while (k < f->ncategories && f->categories[k] != it->category)
            k++;
        if (k == f->ncategories)
            return false;
    }
    switch (f->wheelchair) {
    case PLACES_WC_YES:
        if (it->wheelchair != PLACES_WC_YES)
            return false;
        break;
    case PLACES_WC_LIMITED:
        if (it->wheelchair != PLACES_WC_YES && it->wheelchair != PLACES_WC_LIMITED)
            return false;
        break;
    case PLACES_WC_NO:
        if (it->wheelchair != PLACES_WC_NO)
            return false;
        break;
    default:
        break;
    }
    if (f->open_now >= 0) {
        int s = places_open_state(c, i, f->at_ms);
        if (s != (f->open_now ? OH_OPEN : OH_CLOSED))
            return false;
    }
    return true;
}

static bool hit_less(const geo_index_hit_t *a, const geo_index_hit_t *b)
{
    return a->dist_m < b->dist_m || (a->dist_m == b->dist_m && a->id < b->id);
}

typedef struct {
    const places_catalog_t *c;
    const places_nearby_query_t *q;
    bool filtered;
    geo_index_hit_t *heap; /* max-heap by (dist, id) */
    size_t n, cap;
} collect_t;

static void sift_down(geo_index_hit_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && hit_less(&h[m], &h[l]))
            m = l;
        if (r < n && hit_less(&h[m], &h[r]))
            m = r;
        if (m == i)
            return;
        geo_index_hit_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int collect_visit(void *data, const geo_index_hit_t *hit)
{
    collect_t *k = data;
    const places_nearby_query_t *q = k->q;
    if (q->after) {
        geo_index_hit_t a = {.id = q->after_id, .dist_m = q->after_d};
        if (!hit_less(&a, hit))
            return 0;
    }
    if (k->n == k->cap && !hit_less(hit, &k->heap[0]))
        return 0;
    if (k->filtered && !places_filter_match(k->c, (size_t)hit->id, &q->filter))
        return 0;
    if (k->n < k->cap) {
        size_t i = k->n++;
        k->heap[i] = *hit;
        while (i > 0 && hit_less(&k->heap[(i - 1) / 2], &k->heap[i])) {
            geo_index_hit_t t = k->heap[i];
            k->heap[i] = k->heap[(i - 1) / 2];
            k->heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else {
        k->heap[0] = *hit;
        sift_down(k->heap, k->n, 0);
    }
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const geo_index_hit_t *x = a, *y = b;
    return hit_less(x, y) ? -1 : hit_less(y, x) ? 1 : 0;
}

int places_nearby(const places_catalog_t *c, const places_nearby_query_t *q,
                  geo_index_hit_t *hits, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    if (!c->index || c->n == 0)
        return GEO_OK;
    const places_filter_t *f = &q->filter;
    bool filtered = f->categories || f->wheelchair || f->open_now >= 0;
    size_t cap = q->limit + 1;
    geo_index_hit_t local[128]; /* the API's limits fit: no allocation per query */
    geo_index_hit_t *buf = cap <= 128 ? local : malloc(cap * sizeof *buf);
    if (!buf)
        return GEO_ENOMEM;
    size_t got = 0;
    int rc;
    if (!filtered && !q->after) {
        rc = geo_index_nearest(c->index, q->center, q->radius_m, cap, buf, &got);
    } else {
        collect_t k = {.c = c, .q = q, .filtered = filtered, .heap = buf, .cap = cap};
        rc = geo_index_radius_each(c->index, q->center, q->radius_m, collect_visit, &k);
        got = k.n;
        qsort(buf, got, sizeof *buf, cmp_hit);
    }
    if (rc == GEO_OK) {
        *more = got > q->limit;
        *n = got > q->limit ? q->limit : got;
        for (size_t i = 0; i < *n; i++)
            hits[i] = buf[i];
    }
    if (buf != local)
        free(buf);
    return rc;
}

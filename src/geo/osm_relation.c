/* geo/osm_relation.c -- places from multipolygon and boundary relations.
 *
 * Every way's node refs are kept (way_span_t into one int64 array) while
 * the file streams, because a relation only names its member ways and
 * comes after them. A relation with place tags is placed at the centroid
 * of its outer ways: the ways are joined end to end into rings (reversing
 * a way when needed, as multipolygon members are unordered and unoriented),
 * the closed rings' area centroids are combined weighted by area, and when
 * no ring closes (members missing from an extract) the mean of the known
 * vertices is used. Inner rings are ignored: a hole rarely moves the
 * centroid of a POI area much, and the result is only a map pin.
 *
 * Memory: spans and node ids belong to the import_t (freed by its
 * cleanup); the ring buffers of one relation are freed before returning.
 */
#include "geo/osm_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD (M_PI / 180.0)

int geo_osm__way_keep(import_t *im, int64_t id, const long long *refs, size_t nr)
{
    if (nr > UINT32_MAX)
        return GEO_OK;
    if (im->nws == im->wscap) {
        size_t cap = im->wscap ? im->wscap * 2 : 4096;
        way_span_t *t = realloc(im->wspans, cap * sizeof *t);
        if (!t)
            goto oom;
        im->wspans = t;
        im->wscap = cap;
    }
    if (im->nwn + nr > im->wncap) {
        size_t cap = im->wncap ? im->wncap : 65536;
        while (cap < im->nwn + nr)
            cap *= 2;
        int64_t *t = realloc(im->wnodes, cap * sizeof *t);
        if (!t)
            goto oom;
        im->wnodes = t;
        im->wncap = cap;
    }
    if (im->nws && id <= im->wspans[im->nws - 1].id)
        im->ws_unsorted = true;
    im->wspans[im->nws++] = (way_span_t){id, im->nwn, (uint32_t)nr};
    for (size_t i = 0; i < nr; i++)
        im->wnodes[im->nwn++] = refs[i];
    return GEO_OK;
oom:
    geo_osm__fail(im, GEO_ENOMEM, "out of memory keeping the refs of way %lld", (long long)id);
    return im->err;
}

static int span_cmp(const void *pa, const void *pb)
{
    const way_span_t *a = pa, *b = pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

static const way_span_t *span_find(import_t *im, int64_t id)
{
    if (im->ws_unsorted) {
        qsort(im->wspans, im->nws, sizeof *im->wspans, span_cmp);
        im->ws_unsorted = false;
    }
    size_t lo = 0, hi = im->nws;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (im->wspans[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < im->nws && im->wspans[lo].id == id ? &im->wspans[lo] : NULL;
}

/* Sums over the rings of one relation, in a local plane (x east, y north,
 * degrees of latitude) around the first known node. */
typedef struct {
    bool have_origin;
    double lat0, lng0, c0;
    double sx, sy;      /* vertex sums */
    size_t k;           /* vertices */
    double area, ax, ay; /* sum |A|, sum |A| * centroid */
} rel_acc_t;

static bool to_plane(import_t *im, rel_acc_t *acc, int64_t node, double *x, double *y)
{
    const node_rec_t *nd = geo_osm__node_find(im, node);
    if (!nd)
        return false;
    double lat = nd->lat / 1e7, lng = nd->lng / 1e7;
    if (!acc->have_origin) {
        acc->have_origin = true;
        acc->lat0 = lat;
        acc->lng0 = lng;
        acc->c0 = cos(lat * DEG2RAD);
    }
    double dl = lng - acc->lng0;
    dl += dl > 180 ? -360 : dl < -180 ? 360 : 0;
    *x = dl * acc->c0;
    *y = lat - acc->lat0;
    return true;
}

/* Adds the ring ids[0..n) (closed: ids[0] == ids[n-1]) or, when open or
 * with unknown nodes, only its vertices. */
static void add_ring(import_t *im, rel_acc_t *acc, const int64_t *ids, size_t n, bool closed)
{
    double a2 = 0, cx = 0, cy = 0, px = 0, py = 0;
    size_t m = closed ? n - 1 : n, known = 0;
    for (size_t i = 0; i < m; i++) {
        double x, y;
        if (!to_plane(im, acc, ids[i], &x, &y))
            continue;
        acc->sx += x;
        acc->sy += y;
        acc->k++;
        known++;
    }
    if (!closed || known != m || m < 3)
        return;
    to_plane(im, acc, ids[m - 1], &px, &py);
    for (size_t i = 0; i < m; i++) {
        double x = 0, y = 0;
        to_plane(im, acc, ids[i], &x, &y);
        double cr = px * y - x * py;
        a2 += cr;
        cx += (px + x) * cr;
        cy += (py + y) * cr;
        px = x;
        py = y;
    }
    if (fabs(a2) < 1e-14)
        return;
    double w = fabs(a2);
    acc->area += w;
    acc->ax += w * cx / (3 * a2);
    acc->ay += w * cy / (3 * a2);
}

typedef struct {
    int64_t *v;
    size_t n, cap;
} idvec_t;

static bool idvec_push(idvec_t *b, int64_t id)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        int64_t *t = realloc(b->v, cap * sizeof *t);
        if (!t)
            return false;
        b->v = t;
        b->cap = cap;
    }
    b->v[b->n++] = id;
    return true;
}

/* Appends span s to ring r (reversed when rev), skipping the shared node. */
static bool ring_append(import_t *im, idvec_t *r, const way_span_t *s, bool rev)
{
    for (uint32_t i = r->n ? 1 : 0; i < s->count; i++)
        if (!idvec_push(r, im->wnodes[s->start + (rev ? s->count - 1 - i : i)]))
            return false;
    return true;
}

/* Joins the spans into rings and feeds them to acc; false on ENOMEM. */
static bool join_rings(import_t *im, const way_span_t **sp, size_t ns, rel_acc_t *acc)
{
    idvec_t r = {0};
    bool ok = true;
    for (size_t first = 0; ok && first < ns; first++) {
        if (!sp[first])
            continue;
        r.n = 0;
        ok = ring_append(im, &r, sp[first], false);
        sp[first] = NULL;
        bool grown = true;
        while (ok && grown && !(r.n >= 4 && r.v[0] == r.v[r.n - 1])) {
            grown = false;
            int64_t end = r.v[r.n - 1];
            for (size_t j = first + 1; j < ns && !grown; j++) {
                const way_span_t *s = sp[j];
                if (!s)
                    continue;
                int64_t a = im->wnodes[s->start], b = im->wnodes[s->start + s->count - 1];
                if (a == end || b == end) {
                    ok = ring_append(im, &r, s, a != end);
                    sp[j] = NULL;
                    grown = true;
                }
            }
        }
        if (ok)
            add_ring(im, acc, r.v, r.n, r.n >= 4 && r.v[0] == r.v[r.n - 1]);
    }
    free(r.v);
    return ok;
}

int geo_osm__relation_place(import_t *im, int64_t id, const int64_t *ways, size_t nw,
                            const geo_osm_tag_t *tags, size_t nt)
{
    if (geo_osm_classify(tags, nt) < 0)
        return GEO_OK;
    const way_span_t **sp = malloc(nw * sizeof *sp);
    if (!sp) {
        geo_osm__fail(im, GEO_ENOMEM, "out of memory joining relation %lld", (long long)id);
        return im->err;
    }
    size_t ns = 0;
    for (size_t i = 0; i < nw; i++) {
        const way_span_t *s = span_find(im, ways[i]);
        if (s && s->count)
            sp[ns++] = s;
    }
    rel_acc_t acc = {0};
    bool ok = join_rings(im, sp, ns, &acc);
    free(sp);
    if (!ok) {
        geo_osm__fail(im, GEO_ENOMEM, "out of memory joining relation %lld", (long long)id);
        return im->err;
    }
    if (acc.k == 0)
        return GEO_OK; /* no member node in this extract */
    double X = acc.sx / (double)acc.k, Y = acc.sy / (double)acc.k;
    if (acc.area > 0) {
        X = acc.ax / acc.area;
        Y = acc.ay / acc.area;
    }
    geo_point_t c = {fmax(-90, fmin(90, acc.lat0 + Y)),
                     geo_lng_normalize(acc.lng0 + (acc.c0 > 1e-9 ? X / acc.c0 : 0))};
    if (!geo_point_valid(c))
        return GEO_OK;
    return geo_osm__place_add(im, 'r', id, c, tags, nt);
}

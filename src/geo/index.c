/* geo/index.c -- sparse spherical grid index: life cycle and updates.
 * See index.h for the design and index_query.c for the queries.
 *
 * Two open-addressing tables with linear probing, "fastrange" slot mapping
 * (so capacities need not be powers of two) and backward-shift deletion:
 *   cells: (row, col) key -> growable array of items;
 *   ids:   id -> cell key (the cell is then scanned for the id), so removal
 *          never depends on recomputing a cell from floating-point maths.
 */
#include "geo/index_int.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CELL_M 150.0
#define MAX_TABLE_CAP 0xffffffffu

/* ---- Grid maths (see index_int.h) ------------------------------------------ */

int64_t geo_index__row_of(const geo_index_t *idx, double lat)
{
    double r = floor((lat + 90.0) / idx->dlat);
    if (r < 0)
        return 0;
    if (r >= (double)idx->nrows)
        return idx->nrows - 1;
    return (int64_t)r;
}

void geo_index__row_bounds(const geo_index_t *idx, int64_t row, double *lo, double *hi)
{
    *lo = -90.0 + (double)row * idx->dlat;
    *hi = fmin(90.0, *lo + idx->dlat);
}

int64_t geo_index__ncols(const geo_index_t *idx, int64_t row)
{
    double lo, hi;
    geo_index__row_bounds(idx, row, &lo, &hi);
    double n = floor(360.0 * cos((lo + hi) * 0.5 * DEG2RAD) / idx->dlat);
    return n < 1.0 ? 1 : (int64_t)n;
}

double geo_index__row_cos_min(const geo_index_t *idx, int64_t row)
{
    double lo, hi;
    geo_index__row_bounds(idx, row, &lo, &hi);
    double c = fmin(cos(lo * DEG2RAD), cos(hi * DEG2RAD));
    return c > 0 ? c : 0;
}

int64_t geo_index__col_of(double lng, int64_t ncols)
{
    double c = floor((lng + 180.0) / 360.0 * (double)ncols);
    if (c < 0)
        return 0;
    if (c >= (double)ncols)
        return ncols - 1;
    return (int64_t)c;
}

/* True if slot j's entry (home k) may move back into the hole at i. */
static inline bool may_shift(size_t i, size_t j, size_t k)
{
    return j > i ? (k <= i || k > j) : (k <= i && k > j);
}

static uint64_t key_of(const geo_index_t *idx, int32_t lat, int32_t lng)
{
    int64_t row = geo_index__row_of(idx, e7_deg(lat));
    return (uint64_t)row << 32 | (uint64_t)geo_index__col_of(e7_deg(lng), geo_index__ncols(idx, row));
}

static int quantize(geo_point_t p, int32_t *lat, int32_t *lng)
{
    if (!geo_point_valid(p))
        return GEO_EINVAL;
    *lat = (int32_t)llround(p.lat * 1e7);
    int64_t g = llround(p.lng * 1e7);
    *lng = (int32_t)(g >= 1800000000 ? g - 3600000000LL : g);
    return GEO_OK;
}

/* ---- Cell table --------------------------------------------------------- */

static int table_alloc(size_t cap, size_t elem, void **out)
{
    if (cap > MAX_TABLE_CAP)
        return GEO_ENOMEM;
    void *t = malloc(cap * elem);
    if (!t)
        return GEO_ENOMEM;
    /* EMPTY_KEY is all ones in both tables' key fields. */
    memset(t, 0xff, cap * elem);
    *out = t;
    return GEO_OK;
}

static size_t grown_cap(size_t cap, size_t need)
{
    size_t c = cap < 16 ? 16 : cap + cap / 2;
    size_t min = need + need / 4 + 1; /* keep load <= 0.8 */
    return c < min ? min : c;
}

static int cells_resize(geo_index_t *idx, size_t cap)
{
    cell_t *t;
    int rc = table_alloc(cap, sizeof *t, (void **)&t);
    if (rc)
        return rc;
    for (size_t i = 0; i < idx->ccap; i++) {
        cell_t *c = &idx->cells[i];
        if (c->key == EMPTY_KEY)
            continue;
        size_t j = home_slot(c->key, cap);
        while (t[j].key != EMPTY_KEY)
            j = j + 1 == cap ? 0 : j + 1;
        t[j] = *c;
    }
    free(idx->cells);
    idx->cells = t;
    idx->ccap = cap;
    return GEO_OK;
}

static cell_t *cell_get_or_add(geo_index_t *idx, uint64_t key)
{
    cell_t *c = cell_find(idx, key);
    if (c)
        return c;
    if ((idx->ncells + 1) * 5 > idx->ccap * 4 &&
        cells_resize(idx, grown_cap(idx->ccap, idx->ncells + 1)))
        return NULL;
    size_t i = home_slot(key, idx->ccap);
    while (idx->cells[i].key != EMPTY_KEY)
        i = i + 1 == idx->ccap ? 0 : i + 1;
    c = &idx->cells[i];
    c->key = key;
    c->items = NULL;
    c->n = c->cap = 0;
    idx->ncells++;
    return c;
}

static void cell_delete(geo_index_t *idx, cell_t *c)
{
    idx->item_bytes -= (size_t)c->cap * sizeof(item_t);
    free(c->items);
    size_t i = (size_t)(c - idx->cells);
    for (size_t j = i;;) {
        j = j + 1 == idx->ccap ? 0 : j + 1;
        if (idx->cells[j].key == EMPTY_KEY)
            break;
        if (may_shift(i, j, home_slot(idx->cells[j].key, idx->ccap))) {
            idx->cells[i] = idx->cells[j];
            i = j;
        }
    }
    idx->cells[i].key = EMPTY_KEY;
    idx->ncells--;
}

static int cell_append(geo_index_t *idx, cell_t *c, item_t it)
{
    if (c->n == c->cap) {
        uint32_t ncap = c->cap < 4 ? 4 : c->cap + c->cap / 2;
        if (ncap < c->cap || ncap > UINT32_MAX / 2)
            return GEO_ENOMEM;
        item_t *p = realloc(c->items, (size_t)ncap * sizeof *p);
        if (!p)
            return GEO_ENOMEM;
        idx->item_bytes += (size_t)(ncap - c->cap) * sizeof *p;
        c->items = p;
        c->cap = ncap;
    }
    c->items[c->n++] = it;
    return GEO_OK;
}

static item_t *cell_item(const cell_t *c, uint64_t id)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (c->items[i].id == id)
            return &c->items[i];
    return NULL;
}

/* Remove item `it` of cell c; deletes the cell when it empties. */
static void cell_remove_item(geo_index_t *idx, cell_t *c, item_t *it)
{
    *it = c->items[--c->n];
    if (c->n == 0) {
        cell_delete(idx, c);
        return;
    }
    if (c->cap >= 16 && c->n < c->cap / 4) {
        uint32_t ncap = c->n * 2;
        item_t *p = realloc(c->items, (size_t)ncap * sizeof *p);
        if (p) { /* keeping the larger block is harmless */
            idx->item_bytes -= (size_t)(c->cap - ncap) * sizeof *p;
            c->items = p;
            c->cap = ncap;
        }
    }
}

/* ---- Id table ------------------------------------------------------------ */

static ment_t *id_find(const geo_index_t *idx, uint64_t id)
{
    if (idx->count == 0)
        return NULL;
    for (size_t i = home_slot(id, idx->icap);; i = i + 1 == idx->icap ? 0 : i + 1) {
        ment_t *m = &idx->ids[i];
        if (m->key == EMPTY_KEY)
            return NULL;
        if (m->id == id)
            return m;
    }
}

static int ids_resize(geo_index_t *idx, size_t cap)
{
    ment_t *t;
    int rc = table_alloc(cap, sizeof *t, (void **)&t);
    if (rc)
        return rc;
    for (size_t i = 0; i < idx->icap; i++) {
        if (idx->ids[i].key == EMPTY_KEY)
            continue;
        size_t j = home_slot(idx->ids[i].id, cap);
        while (t[j].key != EMPTY_KEY)
            j = j + 1 == cap ? 0 : j + 1;
        t[j] = idx->ids[i];
    }
    free(idx->ids);
    idx->ids = t;
    idx->icap = cap;
    return GEO_OK;
}

static void id_add(geo_index_t *idx, uint64_t id, uint64_t key)
{
    size_t i = home_slot(id, idx->icap);
    while (idx->ids[i].key != EMPTY_KEY)
        i = i + 1 == idx->icap ? 0 : i + 1;
    idx->ids[i].id = id;
    idx->ids[i].key = key;
    idx->count++;
}

static void id_delete(geo_index_t *idx, ment_t *m)
{
    size_t i = (size_t)(m - idx->ids);
    for (size_t j = i;;) {
        j = j + 1 == idx->icap ? 0 : j + 1;
        if (idx->ids[j].key == EMPTY_KEY)
            break;
        if (may_shift(i, j, home_slot(idx->ids[j].id, idx->icap))) {
            idx->ids[i] = idx->ids[j];
            i = j;
        }
    }
    idx->ids[i].key = EMPTY_KEY;
    idx->count--;
}

/* ---- Lifecycle and updates ---------------------------------------------- */

geo_index_t *geo_index_new(const geo_index_options_t *opt)
{
    double cell_m = opt && opt->cell_m != 0 ? opt->cell_m : DEFAULT_CELL_M;
    if (!isfinite(cell_m) || cell_m < 1.0 || cell_m > 1e6)
        return NULL;
    geo_index_t *idx = calloc(1, sizeof *idx);
    if (!idx)
        return NULL;
    idx->cell_m = cell_m;
    idx->dlat = cell_m / (GEO_EARTH_RADIUS_M * DEG2RAD);
    idx->nrows = (int64_t)ceil(180.0 / idx->dlat);
    size_t expected = opt ? opt->expected : 0;
    if (expected > MAX_TABLE_CAP / 2)
        expected = MAX_TABLE_CAP / 2;
    if (ids_resize(idx, grown_cap(0, expected)) || cells_resize(idx, 64)) {
        geo_index_free(idx);
        return NULL;
    }
    return idx;
}

void geo_index_free(geo_index_t *idx)
{
    if (!idx)
        return;
    for (size_t i = 0; idx->cells && i < idx->ccap; i++)
        if (idx->cells[i].key != EMPTY_KEY)
            free(idx->cells[i].items);
    free(idx->cells);
    free(idx->ids);
    free(idx);
}

size_t geo_index_count(const geo_index_t *idx)
{
    return idx ? idx->count : 0;
}

size_t geo_index_memory(const geo_index_t *idx)
{
    if (!idx)
        return 0;
    return sizeof *idx + idx->ccap * sizeof(cell_t) + idx->icap * sizeof(ment_t) +
           idx->item_bytes;
}

int geo_index_insert(geo_index_t *idx, uint64_t id, geo_point_t p)
{
    int32_t lat, lng;
    if (!idx || quantize(p, &lat, &lng))
        return GEO_EINVAL;
    if (id_find(idx, id))
        return GEO_EEXIST;
    if ((idx->count + 1) * 5 > idx->icap * 4 &&
        ids_resize(idx, grown_cap(idx->icap, idx->count + 1)))
        return GEO_ENOMEM;
    uint64_t key = key_of(idx, lat, lng);
    cell_t *c = cell_get_or_add(idx, key);
    if (!c)
        return GEO_ENOMEM;
    if (cell_append(idx, c, (item_t){id, lat, lng})) {
        if (c->n == 0)
            cell_delete(idx, c);
        return GEO_ENOMEM;
    }
    id_add(idx, id, key);
    return GEO_OK;
}

int geo_index_move(geo_index_t *idx, uint64_t id, geo_point_t p)
{
    int32_t lat, lng;
    if (!idx || quantize(p, &lat, &lng))
        return GEO_EINVAL;
    ment_t *m = id_find(idx, id);
    if (!m)
        return GEO_ENOTFOUND;
    uint64_t key = key_of(idx, lat, lng), old = m->key;
    if (key == old) {
        item_t *it = cell_item(cell_find(idx, old), id);
        it->lat = lat;
        it->lng = lng;
        return GEO_OK;
    }
    cell_t *c = cell_get_or_add(idx, key); /* may rehash: look old up after */
    if (!c)
        return GEO_ENOMEM;
    if (cell_append(idx, c, (item_t){id, lat, lng})) {
        if (c->n == 0)
            cell_delete(idx, c);
        return GEO_ENOMEM;
    }
    cell_t *oc = cell_find(idx, old);
    cell_remove_item(idx, oc, cell_item(oc, id));
    m->key = key;
    return GEO_OK;
}

int geo_index_set(geo_index_t *idx, uint64_t id, geo_point_t p)
{
    int rc = geo_index_move(idx, id, p);
    return rc == GEO_ENOTFOUND ? geo_index_insert(idx, id, p) : rc;
}

int geo_index_remove(geo_index_t *idx, uint64_t id)
{
    if (!idx)
        return GEO_EINVAL;
    ment_t *m = id_find(idx, id);
    if (!m)
        return GEO_ENOTFOUND;
    cell_t *c = cell_find(idx, m->key);
    cell_remove_item(idx, c, cell_item(c, id));
    id_delete(idx, m);
    return GEO_OK;
}

int geo_index_get(const geo_index_t *idx, uint64_t id, geo_point_t *out)
{
    if (!idx || !out)
        return GEO_EINVAL;
    const ment_t *m = id_find(idx, id);
    if (!m)
        return GEO_ENOTFOUND;
    const item_t *it = cell_item(cell_find(idx, m->key), id);
    out->lat = e7_deg(it->lat);
    out->lng = e7_deg(it->lng);
    return GEO_OK;
}

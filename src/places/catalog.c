/* places/catalog.c -- building, publishing and freeing the catalog.
 *
 * places_load() reads every place and the newest routing graph from the
 * database into a fresh places_catalog_t (items, spatial index, zones,
 * router), then swaps it in under the write lock. Items are laid out in
 * Morton order of their positions with their names in one block, and
 * places with the same opening_hours text and zone share one parsed
 * object and one open-state cache slot: a nearby answer then touches a few
 * neighbouring cache lines instead of twenty random ones; readers hold the read
 * lock (see places.h). It runs at start-up and on the reload watcher's
 * thread (reload.c). The catalog owns everything it points to and
 * catalog_free() releases it all, including the routing workspace pool.
 */
#include "places/places.h"

#include "core/log.h"
#include "core/validate.h"
#include "geo/opening_hours.h"
#include "geo/osm.h"
#include "queue/cron_tz.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct places_ws_pool {
    pthread_mutex_t mu;
    geo_route_ws_t **free;
    size_t n, cap;
} places_ws_pool_t;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static places_catalog_t *published;
static places_catalog_t empty_catalog = {.generation = -1}; /* never loaded: reload */

void places_read_lock(void)
{
    pthread_rwlock_rdlock(&lock);
}

void places_read_unlock(void)
{
    pthread_rwlock_unlock(&lock);
}

const places_catalog_t *places_catalog(void)
{
    return published ? published : &empty_catalog;
}

static void catalog_free(places_catalog_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nohs; i++)
        oh_free(c->ohs[i]);
    free(c->ohs);
    free(c->names_buf);
    free(c->items);
    free(c->by_id);
    free((void *)c->oh_cache);
    geo_index_free(c->index);
    for (size_t i = 0; i < c->nzones; i++) {
        free(c->zone_names[i]);
        cron_tz_free(c->zones[i]);
    }
    free(c->zone_names);
    free(c->zones);
    if (c->ws_pool) {
        for (size_t i = 0; i < c->ws_pool->n; i++)
            geo_route_ws_free(c->ws_pool->free[i]);
        free(c->ws_pool->free);
        pthread_mutex_destroy(&c->ws_pool->mu);
        free(c->ws_pool);
    }
    geo_router_free(c->router);
    geo_graph_free(c->graph);
    free(c);
}

/* ---- Routing workspaces -------------------------------------------------- */

geo_route_ws_t *places_ws_get(const places_catalog_t *c)
{
    if (!c->router || !c->ws_pool)
        return NULL;
    places_ws_pool_t *p = c->ws_pool;
    geo_route_ws_t *ws = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->n)
        ws = p->free[--p->n];
    pthread_mutex_unlock(&p->mu);
    return ws ? ws : geo_route_ws_new(c->router);
}

void places_ws_put(const places_catalog_t *c, geo_route_ws_t *ws)
{
    if (!ws)
        return;
    places_ws_pool_t *p = c->ws_pool;
    pthread_mutex_lock(&p->mu);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        geo_route_ws_t **nf = realloc(p->free, cap * sizeof *nf);
        if (!nf) {
            pthread_mutex_unlock(&p->mu);
            geo_route_ws_free(ws);
            return;
        }
        p->free = nf;
        p->cap = cap;
    }
    p->free[p->n++] = ws;
    pthread_mutex_unlock(&p->mu);
}

/* ---- Loading ------------------------------------------------------------- */

static int zone_index(places_catalog_t *c, const char *name)
{
    for (size_t i = 0; i < c->nzones; i++)
        if (strcmp(c->zone_names[i], name) == 0)
            return (int)i;
    char **nn = realloc(c->zone_names, (c->nzones + 1) * sizeof *nn);
    if (!nn)
        return -1;
    c->zone_names = nn;
    struct cron_tz **nz = realloc(c->zones, (c->nzones + 1) * sizeof *nz);
    if (!nz)
        return -1;
    c->zones = nz;
    c->zone_names[c->nzones] = strdup(name);
    if (!c->zone_names[c->nzones])
        return -1;
    c->zones[c->nzones] = NULL;
    if (cron_tz_load(name, &c->zones[c->nzones]) < 0)
        log_warn("time zone not found, using UTC", "\"zone\":\"%s\"", name);
    return (int)c->nzones++;
}

static int wheelchair_code(const char *v)
{
    if (!v)
        return PLACES_WC_UNKNOWN;
    if (strcmp(v, "yes") == 0 || strcmp(v, "designated") == 0)
        return PLACES_WC_YES;
    if (strcmp(v, "limited") == 0)
        return PLACES_WC_LIMITED;
    if (strcmp(v, "no") == 0)
        return PLACES_WC_NO;
    return PLACES_WC_UNKNOWN;
}

static const places_catalog_t *sort_ctx;

static int cmp_by_id(const void *a, const void *b)
{
    return strcmp(sort_ctx->items[*(const uint32_t *)a].id,
                  sort_ctx->items[*(const uint32_t *)b].id);
}

static void grow_bounds(places_catalog_t *c, geo_point_t p)
{
    if (!c->have_bounds) {
        c->bounds = (geo_bbox_t){p.lat, p.lng, p.lat, p.lng};
        c->have_bounds = true;
        return;
    }
    if (p.lat < c->bounds.south) c->bounds.south = p.lat;
    if (p.lat > c->bounds.north) c->bounds.north = p.lat;
    if (p.lng < c->bounds.west) c->bounds.west = p.lng;
    if (p.lng > c->bounds.east) c->bounds.east = p.lng;
}

/* ---- Spatial order and shared strings ------------------------------------- */

/* Interleaves the bits of two 32-bit values (Morton / Z-order code). */
static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000FFFF0000FFFFull;
    x = (x | x << 8) & 0x00FF00FF00FF00FFull;
    x = (x | x << 4) & 0x0F0F0F0F0F0F0F0Full;
    x = (x | x << 2) & 0x3333333333333333ull;
    x = (x | x << 1) & 0x5555555555555555ull;
    return x;
}

static uint64_t morton(double lat, double lng)
{
    double y = (lat + 90) / 180, x = (lng + 180) / 360;
    y = y < 0 ? 0 : y > 1 ? 1 : y;
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    return spread((uint32_t)(y * 4294967295.0)) << 1 | spread((uint32_t)(x * 4294967295.0));
}

typedef struct {
    uint64_t key;
    uint32_t row;
} zrow_t;

static int cmp_zrow(const void *a, const void *b)
{
    const zrow_t *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->row > y->row) - (x->row < y->row);
}

/* Parsed opening_hours by (text, zone), so that the thousands of places
 * with the same "Mo-Sa 09:00-19:00" in one zone share one object and one
 * open-state cache entry (open addressing, power of 2). */
typedef struct {
    const char **text;
    uint16_t *zone;
    int64_t *hx; /* index in c->ohs, -1 when unparsable */
    size_t cap;
} oh_map_t;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Sets it->oh / it->hx to the shared parse of text in the item's zone
 * (oh NULL when unparsable); -1 on ENOMEM. */
static int oh_shared(places_catalog_t *c, oh_map_t *m, const char *text, places_item_t *it)
{
    size_t i = (size_t)(fnv1a(text) ^ it->zone) & (m->cap - 1);
    while (m->text[i] && !(m->zone[i] == it->zone && strcmp(m->text[i], text) == 0))
        i = (i + 1) & (m->cap - 1);
    if (!m->text[i]) {
        struct oh *oh = NULL;
        m->hx[i] = -1;
        if (oh_parse(text, &oh, NULL) == 0 && oh) {
            struct oh **n = realloc(c->ohs, (c->nohs + 1) * sizeof *n);
            if (!n) {
                oh_free(oh);
                return -1;
            }
            c->ohs = n;
            m->hx[i] = (int64_t)c->nohs;
            c->ohs[c->nohs++] = oh;
        }
        m->text[i] = text;
        m->zone[i] = it->zone;
    }
    it->oh = m->hx[i] >= 0 ? c->ohs[m->hx[i]] : NULL;
    it->hx = m->hx[i] >= 0 ? (uint32_t)m->hx[i] : 0;
    return 0;
}

static int fill_item(places_catalog_t *c, places_item_t *it, const store_res_t *r, int row,
                     char **names, oh_map_t *ohm)
{
    snprintf(it->id, sizeof it->id, "%s", store_val(r, row, 0));
    const char *name = store_val(r, row, 1);
    if (name) {
        size_t len = strlen(name) + 1;
        memcpy(*names, name, len);
        it->name = *names;
        *names += len;
    }
    int cat = geo_osm_category_find(store_val(r, row, 2));
    it->category = (uint16_t)(cat < 0 ? 0 : cat);
    it->point = (geo_point_t){store_real(r, row, 3), store_real(r, row, 4)};
    it->wheelchair = (uint8_t)wheelchair_code(store_val(r, row, 5));
    const char *tz = store_val(r, row, 7);
    int z = zone_index(c, tz && *tz ? tz : "UTC");
    if (z < 0)
        return -1;
    it->zone = (uint16_t)z;
    const char *hours = store_val(r, row, 6);
    it->has_hours = hours && *hours;
    if (it->has_hours && oh_shared(c, ohm, hours, it) < 0)
        return -1;
    if (geo_index_insert(c->index, (uint64_t)(it - c->items), it->point) != GEO_OK)
        return -1;
    grow_bounds(c, it->point);
    return 0;
}

/* Rows in Morton order of their positions, and the names' total size. */
static zrow_t *spatial_order(const store_res_t *r, size_t *names_len)
{
    zrow_t *z = malloc(((size_t)r->nrows + 1) * sizeof *z);
    *names_len = 1;
    for (int i = 0; z && i < r->nrows; i++) {
        z[i] = (zrow_t){morton(store_real(r, i, 3), store_real(r, i, 4)), (uint32_t)i};
        const char *name = store_val(r, i, 1);
        *names_len += name ? strlen(name) + 1 : 0;
    }
    if (z)
        qsort(z, (size_t)r->nrows, sizeof *z, cmp_zrow);
    return z;
}

static int load_places(places_catalog_t *c, store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, name, category, lat, lng, wheelchair, opening_hours, tz "
                    "FROM places ORDER BY osm_type, osm_id",
                    NULL, 0, &r, &e) < 0) {
        snprintf(err, errlen, "cannot read places: %s", e.message);
        apierr_clear(&e);
        return -1;
    }
    size_t n = (size_t)r->nrows, names_len = 0;
    geo_index_options_t opt = {.expected = n};
    c->index = geo_index_new(&opt);
    c->items = calloc(n + 1, sizeof *c->items);
    c->by_id = calloc(n + 1, sizeof *c->by_id);
    zrow_t *z = spatial_order(r, &names_len);
    c->names_buf = malloc(names_len);
    oh_map_t ohm = {.cap = 64};
    while (ohm.cap < n * 2 + 2)
        ohm.cap *= 2;
    ohm.text = calloc(ohm.cap, sizeof *ohm.text);
    ohm.zone = calloc(ohm.cap, sizeof *ohm.zone);
    ohm.hx = calloc(ohm.cap, sizeof *ohm.hx);
    int rc = c->index && c->items && c->by_id && z && c->names_buf && ohm.text && ohm.zone &&
                     ohm.hx
                 ? 0
                 : -1;
    char *names = c->names_buf;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = fill_item(c, &c->items[i], r, (int)z[i].row, &names, &ohm);
        c->by_id[i] = (uint32_t)i;
        c->n = i + 1;
    }
    free(ohm.text);
    free(ohm.zone);
    free(ohm.hx);
    free(z);
    store_res_free(r);
    if (rc == 0 && !(c->oh_cache = calloc(c->nohs + 1, sizeof *c->oh_cache)))
        rc = -1;
    if (rc < 0) {
        snprintf(err, errlen, "out of memory loading places");
        return -1;
    }
    sort_ctx = c;
    qsort(c->by_id, c->n, sizeof *c->by_id, cmp_by_id);
    sort_ctx = NULL;
    return 0;
}

/* PostgreSQL sends bytea as text "\x0a1b..."; decode in place. */
static size_t unhex_bytea(char *s, size_t len)
{
    if (len < 2 || s[0] != '\\' || s[1] != 'x')
        return len;
    size_t n = 0;
    for (size_t i = 2; i + 1 < len; i += 2) {
        int hi = validate_hex_digit(s[i]), lo = validate_hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        s[n++] = (char)(hi << 4 | lo);
    }
    return n;
}

static int load_graph(places_catalog_t *c, store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT extract, graph FROM routing_graph ORDER BY imported_at DESC, "
                    "extract LIMIT 1",
                    NULL, 0, &r, &e) < 0) {
        snprintf(err, errlen, "cannot read the routing graph: %s", e.message);
        apierr_clear(&e);
        return -1;
    }
    int rc = 0;
    if (r->nrows == 1) {
        snprintf(c->extract, sizeof c->extract, "%s", store_val(r, 0, 0));
        size_t len = unhex_bytea(r->vals[1], r->lens[1]);
        int g = geo_graph_load(r->vals[1], len, &c->graph);
        if (g != GEO_OK) {
            snprintf(err, errlen, "routing graph of %s is unusable: %s", c->extract,
                     geo_strerror(g));
            rc = -1;
        } else if (!(c->router = geo_router_new(c->graph))) {
            snprintf(err, errlen, "out of memory building the router");
            rc = -1;
        }
    }
    store_res_free(r);
    if (rc == 0 && c->graph && !c->have_bounds) {
        for (uint32_t v = 0; v < geo_graph_node_count(c->graph); v++)
            grow_bounds(c, geo_graph_node_point(c->graph, v));
    }
    return rc;
}

int places_load(store_conn_t *db, char *err, size_t errlen)
{
    places_catalog_t *c = calloc(1, sizeof *c);
    if (!c || !(c->ws_pool = calloc(1, sizeof *c->ws_pool))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&c->ws_pool->mu, NULL);
    /* Read before the rows: an import committing meanwhile bumps it again
     * and the watcher reloads once more. */
    c->generation = places_generation(db);
    if (load_places(c, db, err, errlen) < 0 || load_graph(c, db, err, errlen) < 0) {
        catalog_free(c);
        return -1;
    }
    pthread_rwlock_wrlock(&lock);
    places_catalog_t *old = published;
    published = c;
    pthread_rwlock_unlock(&lock);
    catalog_free(old);
    /* The row set and the old catalog were large: give their pages back. */
    malloc_trim(0);
    log_info("places loaded",
             "\"places\":%zu,\"extract\":\"%s\",\"graphNodes\":%u,\"generation\":%lld", c->n,
             c->graph ? c->extract : "", c->graph ? geo_graph_node_count(c->graph) : 0,
             (long long)c->generation);
    return 0;
}

void places_shutdown(void)
{
    places_watch_stop();
    pthread_rwlock_wrlock(&lock);
    places_catalog_t *old = published;
    published = NULL;
    pthread_rwlock_unlock(&lock);
    catalog_free(old);
}

long places_find(const places_catalog_t *c, const char *id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->items[c->by_id[mid]].id, id);
        if (d == 0)
            return (long)c->by_id[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void places_serve_init(store_t *s)
{
    char err[512];
    store_conn_t *db = store_conn_open(s, NULL);
    if (!db)
        log_error("places not loaded", "\"error\":\"cannot open the database\"");
    else if (places_load(db, err, sizeof err) < 0)
        log_error("places not loaded", "\"error\":\"%s\"", err);
    if (db)
        store_conn_close(db);
    places_watch_start(s);
}

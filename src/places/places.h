/* places/places.h -- the imported OpenStreetMap places and routing graph,
 * as the running server sees them.
 *
 * Owns: one process-wide catalog built from the database at `serve` start
 * (places_load): every place's id, name, category, position, wheelchair
 * flag, parsed opening hours and time zone, an in-memory spatial index
 * (geo/index.h) over them, the routing graph of the last import
 * (geo/graph.h) and its router (geo/route.h), and a small pool of routing
 * workspaces.
 *
 * Locking: the catalog is read-only while it is published. Readers (every
 * handler, on any loop or thread-pool thread) bracket their use with
 * places_read_lock() / places_read_unlock(); nothing that suspends (a
 * PostgreSQL query) may run while the read lock is held. The only writer
 * is places_load() (at start-up, or the reload watcher of places/reload.c
 * after an import bumped the database's generation), which builds a
 * complete new catalog without the lock, then swaps it in under the write
 * lock (writers are preferred, so a reload is never starved by a stream of
 * readers) and frees the old one once no reader holds it. So index writes
 * only ever happen from imports, under the rwlock.
 *
 * Memory: items, names and opening-hours objects belong to the catalog and
 * live until the next places_load() or places_shutdown(); pointers handed
 * out are valid only while the read lock is held.
 */
#ifndef TRAVLOC_PLACES_H
#define TRAVLOC_PLACES_H

#include "geo/geo.h"
#include "geo/index.h"
#include "geo/route.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oh;
struct cron_tz;

enum { PLACES_WC_UNKNOWN = 0, PLACES_WC_YES, PLACES_WC_LIMITED, PLACES_WC_NO };

/* Items are stored in a spatial (Morton) order of their positions, so the
 * answers of one nearby query sit close together in memory. */
typedef struct places_item {
    char id[40];          /* UUIDv7 */
    char *name;           /* NULL when unnamed; points into names_buf */
    geo_point_t point;
    uint16_t category;    /* geo_osm_category() id */
    uint8_t wheelchair;   /* PLACES_WC_* */
    uint16_t zone;        /* index into the catalog's zones */
    struct oh *oh;        /* parsed opening_hours, NULL when absent/unparsable;
                             shared by items with the same text and zone */
    uint32_t hx;          /* that (hours, zone) pair's index in ohs / oh_cache */
    bool has_hours;       /* opening_hours tag present (parsed or not) */
} places_item_t;

typedef struct places_catalog {
    places_item_t *items; /* the index id of items[i] is i */
    size_t n;
    geo_index_t *index;
    char **zone_names;
    struct cron_tz **zones; /* NULL entry: zone failed to load, UTC used */
    size_t nzones;
    geo_bbox_t bounds;    /* of every place, or of the graph when no place */
    bool have_bounds;
    geo_graph_t *graph;   /* NULL when no graph was imported */
    geo_router_t *router;
    char extract[128];
    int64_t generation;   /* places_generation of the database when loaded */
    /* private */
    char *names_buf;      /* every item's name, in item order (one block) */
    struct oh **ohs;      /* distinct (opening_hours, zone) pairs, parsed */
    size_t nohs;
    uint32_t *by_id;      /* item indices sorted by id, for places_find */
    /* Per (hours, zone) pair: (UTC minute + 1) << 2 | open state, the last
     * evaluation. Opening hours have minute resolution and zone offsets
     * are whole minutes, so the state is constant within a UTC minute for
     * every place of the pair; readers on any thread share the cache
     * through relaxed atomics. */
    _Atomic(uint64_t) *oh_cache;
    struct places_ws_pool *ws_pool;
} places_catalog_t;

/* Builds a catalog from the database (blocking handle or coroutine) and
 * publishes it, replacing any earlier one. Returns 0, or -1 with err set
 * (the published catalog is unchanged then). A database without places
 * gives an empty catalog. Runs without the lock except for the swap. */
int places_load(store_conn_t *db, char *err, size_t errlen);
/* `serve` start-up: places_load() on a blocking handle of s. A failure is
 * logged and the server goes on with an empty catalog (places and routes
 * then answer 503 / empty lists) rather than refusing to start. Then
 * starts the reload watcher (places_watch_start). */
void places_serve_init(store_t *s);
/* Stops the watcher, then frees the published catalog and the workspace
 * pool (after the server stopped). */
void places_shutdown(void);

/* ---- Reload after import (reload.c) ------------------------------------- */

/* The database's import generation (places_generation), or -1 on error. */
int64_t places_generation(store_conn_t *db);
/* Starts a thread that every interval_ms (TRAVLOC_PLACES_RELOAD_MS,
 * default 3000; 0 disables) reads the generation on its own blocking
 * handle of s and, when it differs from the published catalog's, runs
 * places_load() on that thread. s must outlive places_watch_stop(). */
void places_watch_start(store_t *s);
/* Stops and joins the watcher (no-op when not started). */
void places_watch_stop(void);

/* The published catalog; never NULL between places_load() and
 * places_shutdown() (an empty one before any load). Hold the read lock. */
void places_read_lock(void);
void places_read_unlock(void);
const places_catalog_t *places_catalog(void);

/* Routing workspaces, one per concurrent query; thread-safe. get returns
 * NULL on ENOMEM or when no router is published. Put it back before the
 * read lock is released. */
geo_route_ws_t *places_ws_get(const places_catalog_t *c);
void places_ws_put(const places_catalog_t *c, geo_route_ws_t *ws);

/* ---- Queries over the in-memory catalog (read lock held) --------------- */

typedef struct places_filter {
    const uint16_t *categories; /* allowed category ids; NULL = any */
    size_t ncategories;
    int wheelchair;             /* 0 any; PLACES_WC_YES = yes only;
                                   PLACES_WC_LIMITED = yes or limited;
                                   PLACES_WC_NO = no only */
    int open_now;               /* -1 any, 1 open only, 0 closed only */
    int64_t at_ms;              /* instant open_now is evaluated at */
} places_filter_t;

typedef struct places_nearby_query {
    geo_point_t center;
    double radius_m;
    size_t limit;               /* >= 1 */
    bool after;                 /* cursor: only hits after (after_d, after_id) */
    double after_d;
    uint64_t after_id;
    places_filter_t filter;
} places_nearby_query_t;

/* Nearest first (distance, then index id) into hits[0..*n) (capacity
 * limit); *more tells whether another page exists. 0, or a GEO_* error. */
int places_nearby(const places_catalog_t *c, const places_nearby_query_t *q,
                  geo_index_hit_t *hits, size_t *n, bool *more);

/* True when item i passes the filter. */
bool places_filter_match(const places_catalog_t *c, size_t i, const places_filter_t *f);

/* OH_OPEN / OH_CLOSED / OH_UNKNOWN for item i at instant at_ms, in the
 * place's own time zone; -1 when the place has no opening_hours. */
int places_open_state(const places_catalog_t *c, size_t i, int64_t at_ms);

/* Index of the place with UUID id, or -1. */
long places_find(const places_catalog_t *c, const char *id);

/* ---- Time zones (tz.c) -------------------------------------------------- */

/* IANA zone of the nearest city in the generated table (data/tz/tz-cities.tsv). */
const char *places_tz_for(geo_point_t p);
/* Local broken-down time of instant at_ms in `zone` (NULL = UTC). */
void places_local_time(const struct cron_tz *zone, int64_t at_ms, struct tm *out);

/* ---- Import (import.c) ---------------------------------------------------- */

/* `travloc import-osm FILE.osm.pbf [--if-empty] [server options]`:
 * exit status 0, 1 (failure, nothing changed) or 2 (usage). */
int places_import_main(int argc, char **argv);

#endif

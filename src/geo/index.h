/* geo/index.h -- in-memory spatial index of points with uint64 ids.
 *
 * Owns: a set of (id, point) pairs, each id at most once, answering radius,
 * k-nearest and bbox queries with exact great-circle distances.
 *
 * Structure (chosen by measurement, see docs/geo-benchmark.md): a sparse
 * uniform grid on the sphere. The globe is cut into latitude rows of equal
 * height (cell_m metres, default 150 m) and each row into as many columns as
 * keep cells roughly square, so rows near the poles have few, wide cells and
 * columns wrap at the antimeridian. Only occupied cells exist: they live in
 * an open-addressing hash table keyed by (row, col), each holding a compact
 * array of 16-byte items (id + coordinates in 1e-7 degrees). A second hash
 * table maps id -> cell for move/remove. Compared with an R-tree this
 * needs no rebalancing on move (the common operation for live locations),
 * and compared with geohash-sorted arrays it inserts and moves in O(1). At
 * 1,000,000 points over 50 x 50 km it measured 45 bytes of heap per point,
 * ~2.5 M inserts/s and ~330,000 nearest-20-within-1-km queries/s; 150 m
 * cells beat 100, 200 and 300 m there (fewer cells touched vs fewer points
 * scanned). Queries prune whole cells, then points with a cheap lower
 * bound of the haversine term, then rank the survivors by the exact
 * haversine distance (ties broken by id), so results equal a brute-force
 * haversine scan over the stored coordinates.
 *
 * Coordinates are stored rounded to 1e-7 degree (about 1 cm); queries report
 * and measure the stored coordinates (geo_index_get() returns them), and a
 * longitude of exactly 180 is stored as -180.
 *
 * Threads: no global state. The index is not internally locked: concurrent
 * readers (the const functions) are safe, writers need exclusive access,
 * e.g. a rwlock held by the caller. The caller owns the index and frees it
 * with geo_index_free(); result buffers are always caller-owned.
 */
#ifndef TRAVLOC_GEO_INDEX_H
#define TRAVLOC_GEO_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"

typedef struct geo_index geo_index_t;

typedef struct geo_index_options {
    double cell_m;   /* grid cell size in metres, [1, 1e6]; 0 = default 150 */
    size_t expected; /* points to pre-size the tables for; 0 = grow as needed */
} geo_index_options_t;

typedef struct geo_index_hit {
    uint64_t id;
    geo_point_t point; /* stored coordinates */
    double dist_m;     /* haversine distance from the query centre */
} geo_index_hit_t;

/* Create an empty index (opt may be NULL for defaults). Returns NULL on bad
 * options or out of memory. */
geo_index_t *geo_index_new(const geo_index_options_t *opt);
void geo_index_free(geo_index_t *idx);

size_t geo_index_count(const geo_index_t *idx);
/* Bytes of heap the index holds (tables and cell arrays, without malloc's
 * own bookkeeping). */
size_t geo_index_memory(const geo_index_t *idx);

/* Add a point. GEO_EEXIST if id is present, GEO_EINVAL for an invalid point,
 * GEO_ENOMEM (the index is unchanged then). */
int geo_index_insert(geo_index_t *idx, uint64_t id, geo_point_t p);
/* Move an existing point. GEO_ENOTFOUND, GEO_EINVAL, GEO_ENOMEM (unchanged). */
int geo_index_move(geo_index_t *idx, uint64_t id, geo_point_t p);
/* Insert or move. */
int geo_index_set(geo_index_t *idx, uint64_t id, geo_point_t p);
/* Remove a point. GEO_ENOTFOUND if absent. */
int geo_index_remove(geo_index_t *idx, uint64_t id);
/* Stored coordinates of id into *out. GEO_ENOTFOUND if absent. */
int geo_index_get(const geo_index_t *idx, uint64_t id, geo_point_t *out);

/* The up-to-k nearest points within max_m metres of c, nearest first, into
 * hits[0..*n_out). k may be 0 (then *n_out = 0). Returns GEO_EINVAL for a bad
 * centre or radius, GEO_ENOMEM. */
int geo_index_nearest(const geo_index_t *idx, geo_point_t c, double max_m,
                      size_t k, geo_index_hit_t *hits, size_t *n_out);

/* All points within radius_m of c, nearest first, at most `limit` of them
 * (the nearest ones). Same as nearest() but tuned for "everything in the
 * circle": it scans the whole circle at once instead of growing a search
 * ring. */
int geo_index_radius(const geo_index_t *idx, geo_point_t c, double radius_m,
                     size_t limit, geo_index_hit_t *hits, size_t *n_out);

/* Visitor over points within radius_m of c, in no particular order. The
 * callback returns 0 to go on, anything else to stop (that value is then
 * returned). The index must not be modified from the callback. */
typedef int (*geo_index_visit_cb)(void *data, const geo_index_hit_t *hit);
int geo_index_radius_each(const geo_index_t *idx, geo_point_t c, double radius_m,
                          geo_index_visit_cb cb, void *data);

/* Visitor over points inside the box (antimeridian boxes allowed); hit->dist_m
 * is 0. Same callback contract as radius_each. */
int geo_index_bbox_each(const geo_index_t *idx, const geo_bbox_t *box,
                        geo_index_visit_cb cb, void *data);

/* Ids of points inside the box into ids[0..min(total, cap)); *total_out gets
 * the number of points in the box (may exceed cap). */
int geo_index_bbox(const geo_index_t *idx, const geo_bbox_t *box, uint64_t *ids,
                   size_t cap, size_t *total_out);

#endif /* TRAVLOC_GEO_INDEX_H */

/* geo/osm_int.h -- state shared by the osm*.c files; not a public header.
 *
 * An import_t lives on the stack of geo_osm_import() for one pass. It owns
 * every buffer below; on success the places, their arena and the graph move
 * into the result, and import_cleanup() frees whatever is left.
 */
#ifndef TRAVLOC_GEO_OSM_INT_H
#define TRAVLOC_GEO_OSM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geo/graph.h"
#include "geo/osm.h"

/* Bump allocator: 16-byte aligned blocks freed all at once. */
typedef struct geo_osm_arena {
    struct chunk *head;
    size_t bytes;
} geo_osm_arena_t;

void *geo_osm__arena_alloc(geo_osm_arena_t *a, size_t size);
char *geo_osm__arena_strdup(geo_osm_arena_t *a, const char *s);
void geo_osm__arena_free(geo_osm_arena_t *a);

typedef struct node_rec {
    int64_t id;
    int32_t lat, lng; /* 1e-7 degrees */
} node_rec_t;

/* A routable way waiting for the graph build. */
typedef struct rway {
    int64_t osm_id;
    size_t ref_start;   /* into import_t.refs */
    uint32_t ref_count;
    const char *name;   /* in import_t.tmp, or NULL */
    geo_osm_way_access_t acc;
} rway_t;

/* Node refs of one way, kept for the relations that come after the ways. */
typedef struct way_span {
    int64_t id;
    size_t start;       /* into import_t.wnodes */
    uint32_t count;
} way_span_t;

typedef struct import {
    const geo_osm_options_t *opt;
    int err; /* first error, GEO_OK while all is well */
    uint64_t every, next_progress;
    geo_osm_stats_t stats;
    node_rec_t *nodes;
    size_t nn, ncap;
    bool unsorted;
    bool xml; /* .osm input: callbacks never abort (see osm.c) */
    rway_t *rways;
    size_t nrw, rwcap;
    int64_t *refs; /* OSM ids, replaced by node-table indices (-1 if absent) */
    size_t nrefs, refcap;
    way_span_t *wspans; /* every way (places on): for multipolygon relations */
    size_t nws, wscap;
    bool ws_unsorted;
    int64_t *wnodes;    /* OSM node ids of those ways */
    size_t nwn, wncap;
    int64_t *rel_ways;  /* outer way ids of the current relation (scratch) */
    size_t rwcap2;
    geo_osm_place_t *places;
    size_t n_places, pcap;
    geo_osm_tag_t *scratch; /* the current element's tags */
    size_t scratch_cap;
    geo_osm_arena_t arena; /* place strings and arrays: moves to the result */
    geo_osm_arena_t tmp;   /* way names for the graph: freed after the build */
    geo_graph_t *graph;
} import_t;

/* Records the first error (with a printf-style sentence for err_buf). */
void geo_osm__fail(import_t *im, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Node by OSM id, NULL if the file had none. */
const node_rec_t *geo_osm__node_find(import_t *im, int64_t id);

/* Each returns GEO_OK, or an error already recorded with geo_osm__fail(). */
int geo_osm__place_add(import_t *im, char type, int64_t id, geo_point_t p,
                       const geo_osm_tag_t *tags, size_t nt);
int geo_osm__way_place(import_t *im, int64_t id, const long long *refs, size_t nr,
                       const geo_osm_tag_t *tags, size_t nt);
int geo_osm__way_route(import_t *im, int64_t id, const long long *refs, size_t nr,
                       const geo_osm_tag_t *tags, size_t nt);
int geo_osm__build_graph(import_t *im);
/* Remembers the node refs of way id (osm_relation.c). */
int geo_osm__way_keep(import_t *im, int64_t id, const long long *refs, size_t nr);
/* A place at the centroid of the outer ways (ids) of relation id, when its
 * tags classify; nothing when none of the ways' nodes is known. */
int geo_osm__relation_place(import_t *im, int64_t id, const int64_t *ways, size_t nw,
                            const geo_osm_tag_t *tags, size_t nt);
/* Walks the PBF block framing: GEO_ETRUNCATED / GEO_EFORMAT / GEO_ENOTFOUND. */
int geo_osm__pbf_check(import_t *im, const char *path);
/* Checks that an XML file is well-formed (same error codes). */
int geo_osm__xml_check(import_t *im, const char *path);

#endif /* TRAVLOC_GEO_OSM_INT_H */

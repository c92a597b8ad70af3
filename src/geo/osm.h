/* geo/osm.h -- import places and a routing graph from an OpenStreetMap file.
 *
 * Owns: one streaming pass over an .osm.pbf (or .osm XML) file through
 * libreadosm, producing (a) places: tagged nodes and ways mapped to a
 * two-level category tree (museum -> sights, cafe -> food, ...), ways placed
 * at their centroid; (b) a routing graph (geo/graph.h) from highway=* ways
 * with per-profile access and speeds. Relations are counted, not imported.
 *
 * Memory: node coordinates are kept while streaming (16 bytes per node, so
 * country extracts fit; the planet does not). geo_osm_import() hands out a
 * result only when the whole file parsed: a truncated or malformed file
 * yields an error and nothing else. The result owns every place and string
 * (freed together by geo_osm_result_free()); the graph can be taken out
 * with geo_osm_take_graph() and then belongs to the caller.
 *
 * Before readosm sees a file, its framing is checked (PBF block headers,
 * or XML well-formedness with expat), which tells truncation from
 * corruption and keeps readosm off its leaky error paths. Link with
 * -lreadosm -lexpat -lm.
 *
 * Threads: no global state; separate imports may run in parallel. The
 * progress callback runs on the importing thread.
 */
#ifndef TRAVLOC_GEO_OSM_H
#define TRAVLOC_GEO_OSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"
#include "geo/graph.h"

/* ---- Categories ------------------------------------------------------------ */

typedef struct geo_osm_category {
    uint16_t id;        /* index in the table, stable within a release */
    const char *name;   /* "museum" */
    const char *parent; /* "sights" */
} geo_osm_category_t;

size_t geo_osm_category_count(void);
/* NULL when id is out of range. */
const geo_osm_category_t *geo_osm_category(size_t id);
/* Category id for a name, or -1. */
int geo_osm_category_find(const char *name);

/* The category an element with these tags maps to, or -1 if none. Exposed
 * so the importer's rules can be tested and reused. */
typedef struct geo_osm_tag {
    const char *key, *value;
} geo_osm_tag_t;
int geo_osm_classify(const geo_osm_tag_t *tags, size_t n);

/* ---- Places ------------------------------------------------------------------ */

typedef struct geo_osm_place {
    char osm_type;          /* 'n' node, 'w' way or 'r' relation */
    int64_t osm_id;
    geo_point_t point;      /* node position or way centroid */
    uint16_t category;      /* geo_osm_category() id */
    const char *category_name; /* "museum" (static storage) */
    const char *parent;     /* "sights" (static storage) */
    const char *name;       /* NULL when absent, like every string below */
    const geo_osm_tag_t *names; /* translations: key "de" for name:de */
    size_t n_names;
    const char *address;    /* "12 Rue X, 98000 Monaco, MC" from addr:* */
    const char *opening_hours; /* raw */
    const char *website;    /* website or contact:website */
    const char *phone;      /* phone or contact:phone */
    const char *wheelchair, *cuisine, *fee;
    double stars;           /* 0 when absent or unparsable */
    const geo_osm_tag_t *tags; /* every tag of the element */
    size_t n_tags;
} geo_osm_place_t;

/* ---- Import ------------------------------------------------------------------- */

typedef struct geo_osm_progress {
    uint64_t nodes, ways, relations;
    bool done; /* true on the final call */
} geo_osm_progress_t;

/* Return 0 to continue, non-zero to cancel the import (GEO_ECANCELED). */
typedef int (*geo_osm_progress_cb)(void *data, const geo_osm_progress_t *p);

typedef struct geo_osm_options {
    bool skip_places, skip_graph;
    geo_osm_progress_cb progress; /* may be NULL */
    void *progress_data;
    uint64_t progress_every;      /* elements between calls; 0 = 100,000 */
    char *err_buf;                /* optional: a sentence about a failure */
    size_t err_len;
} geo_osm_options_t;

typedef struct geo_osm_stats {
    uint64_t nodes, ways, relations; /* elements read */
    uint64_t places, routable_ways;
    uint64_t missing_refs;           /* way refs to nodes absent from the file */
    uint32_t graph_nodes, graph_edges;
} geo_osm_stats_t;

typedef struct geo_osm_result geo_osm_result_t;

/* Read `path` (must end in .pbf or .osm; readosm decides by suffix). On
 * success *out owns the result. Errors: GEO_EINVAL (arguments, suffix),
 * GEO_ENOTFOUND (no such file), GEO_EIO, GEO_ETRUNCATED (file ends inside a
 * PBF block), GEO_EFORMAT (not OSM, corrupt data), GEO_ECANCELED (progress
 * callback), GEO_ENOMEM. *out stays NULL on error. */
int geo_osm_import(const char *path, const geo_osm_options_t *opt, geo_osm_result_t **out);

size_t geo_osm_place_count(const geo_osm_result_t *r);
/* Borrowed; valid until the result is freed. NULL when i is out of range. */
const geo_osm_place_t *geo_osm_place_at(const geo_osm_result_t *r, size_t i);
const geo_osm_stats_t *geo_osm_result_stats(const geo_osm_result_t *r);
/* Borrowed graph (NULL with skip_graph or after take). */
const geo_graph_t *geo_osm_graph(const geo_osm_result_t *r);
/* Moves the graph out; the caller frees it with geo_graph_free(). */
geo_graph_t *geo_osm_take_graph(geo_osm_result_t *r);
void geo_osm_result_free(geo_osm_result_t *r);

/* ---- Tag helpers (pure) --------------------------------------------------------- */

/* maxspeed value to km/h: "50", "30 mph", "50 km/h", "10 knots", "walk",
 * "FR:urban", "RU:rural", "DE:zone30", "none" (-> 0 meaning no limit),
 * "50;30" (the lower). GEO_EINVAL when unparsable ("signals", ""). */
int geo_osm_parse_maxspeed(const char *s, double *kmh);

/* Per-direction speeds of a highway way for the three profiles (0 = not
 * allowed), from highway class, access tags, oneway and maxspeed. Returns
 * false when the way is not routable at all. */
typedef struct geo_osm_way_access {
    int highway;                            /* geo_highway_t */
    uint8_t fwd[GEO_PROFILE_COUNT];         /* along the node order */
    uint8_t bwd[GEO_PROFILE_COUNT];         /* against it */
    bool roundabout;
} geo_osm_way_access_t;
bool geo_osm_way_access(const geo_osm_tag_t *tags, size_t n, geo_osm_way_access_t *out);

#endif /* TRAVLOC_GEO_OSM_H */

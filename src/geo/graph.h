/* geo/graph.h -- the routing graph: nodes, directed edges, ways, blobs.
 *
 * Owns: an immutable directed graph in compressed-sparse-row form. Nodes are
 * dense indices 0..n-1 with WGS84 coordinates (1e-7 degree) and their OSM
 * node id; the out-edges of node u are edges[first(u) .. first(u+1)). Each
 * edge carries its length in metres and, per profile (foot, bicycle, car),
 * a speed in km/h where 0 means "not allowed"; it points at a way record
 * (OSM way id, highway class, name) for turn-by-turn text. A reverse index
 * (incoming edges per node) is derived on build and on load.
 *
 * Invariants (checked by geo_graph_load() on untrusted blobs): every edge
 * target and way index is in range, first() is non-decreasing, names are
 * NUL-terminated inside the pool, coordinates are valid, lengths finite and
 * non-negative.
 *
 * Memory: a graph is created by geo_graph_builder_finish() (used by the OSM
 * importer) or geo_graph_load(), and freed with geo_graph_free(). Returned
 * pointers (edges, names) borrow from the graph and live as long as it. A
 * finished graph is never modified, so any number of threads may read it.
 *
 * Blob format (little-endian, version 1): "TLGRAPH\0", u32 version, u32
 * node count, u32 edge count, u32 way count, u32 name-pool bytes, u32
 * reserved, u64 FNV-1a of the payload, then the payload: node coordinates
 * (2 x i32 each), node OSM ids (i64), first[] (u32, n+1), edges (16 bytes
 * each: u32 target, u32 way, f32 length, 3 x u8 speed, u8 flags), ways (16
 * bytes each: i64 OSM id, u32 name offset, u8 class, 3 pad), name pool.
 */
#ifndef TRAVLOC_GEO_GRAPH_H
#define TRAVLOC_GEO_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"

typedef enum geo_profile {
    GEO_PROFILE_FOOT = 0,
    GEO_PROFILE_BICYCLE = 1,
    GEO_PROFILE_CAR = 2,
    GEO_PROFILE_COUNT = 3
} geo_profile_t;

/* Highway classes, in the order of geo_highway_name(). */
typedef enum geo_highway {
    GEO_HW_OTHER = 0,
    GEO_HW_MOTORWAY, GEO_HW_TRUNK, GEO_HW_PRIMARY, GEO_HW_SECONDARY, GEO_HW_TERTIARY,
    GEO_HW_UNCLASSIFIED, GEO_HW_RESIDENTIAL, GEO_HW_MOTORWAY_LINK, GEO_HW_TRUNK_LINK,
    GEO_HW_PRIMARY_LINK, GEO_HW_SECONDARY_LINK, GEO_HW_TERTIARY_LINK,
    GEO_HW_LIVING_STREET, GEO_HW_SERVICE, GEO_HW_ROAD, GEO_HW_TRACK, GEO_HW_PEDESTRIAN,
    GEO_HW_FOOTWAY, GEO_HW_PATH, GEO_HW_CYCLEWAY, GEO_HW_BRIDLEWAY, GEO_HW_STEPS,
    GEO_HW_CORRIDOR, GEO_HW_PLATFORM, GEO_HW_ELEVATOR,
    GEO_HW_COUNT
} geo_highway_t;

/* "primary", "footway", ... ("other" for GEO_HW_OTHER or out of range). */
const char *geo_highway_name(int hw);
/* Class for an OSM highway=* value, GEO_HW_OTHER when not routable/known. */
int geo_highway_parse(const char *value);

enum {
    GEO_EDGE_ROUNDABOUT = 1, /* part of a junction=roundabout/circular */
    GEO_EDGE_BACKWARD = 2,   /* runs against the way's node order */
};

typedef struct geo_graph_edge {
    uint32_t target;                      /* node index */
    uint32_t way;                         /* way index */
    float length_m;
    uint8_t speed_kmh[GEO_PROFILE_COUNT]; /* 0 = not allowed */
    uint8_t flags;                        /* GEO_EDGE_* */
} geo_graph_edge_t;

typedef struct geo_graph_way {
    int64_t osm_id;
    uint32_t name;   /* offset into the name pool; 0 is "" */
    uint8_t highway; /* geo_highway_t */
    uint8_t pad[3];
} geo_graph_way_t;

typedef struct geo_graph geo_graph_t;

uint32_t geo_graph_node_count(const geo_graph_t *g);
uint32_t geo_graph_edge_count(const geo_graph_t *g);
uint32_t geo_graph_way_count(const geo_graph_t *g);
/* Node data; node must be < node_count (not checked beyond an assert). */
geo_point_t geo_graph_node_point(const geo_graph_t *g, uint32_t node);
int64_t geo_graph_node_osm_id(const geo_graph_t *g, uint32_t node);
/* Out-edges of node are edge indices [*begin, *end). */
void geo_graph_out_edges(const geo_graph_t *g, uint32_t node, uint32_t *begin, uint32_t *end);
/* In-edges of node: for i in [*begin, *end), geo_graph_in_edge(g, i) is an
 * edge index whose target is node; geo_graph_edge_source() gives its tail. */
void geo_graph_in_edges(const geo_graph_t *g, uint32_t node, uint32_t *begin, uint32_t *end);
uint32_t geo_graph_in_edge(const geo_graph_t *g, uint32_t i);
uint32_t geo_graph_edge_source(const geo_graph_t *g, uint32_t edge);
const geo_graph_edge_t *geo_graph_edge(const geo_graph_t *g, uint32_t edge);
const geo_graph_way_t *geo_graph_way(const geo_graph_t *g, uint32_t way);
/* Way name, "" when unnamed. */
const char *geo_graph_way_name(const geo_graph_t *g, uint32_t way);
/* Heap bytes held by the graph. */
size_t geo_graph_memory(const geo_graph_t *g);
void geo_graph_free(geo_graph_t *g);

/* Serialise into a malloc'ed blob the caller frees. GEO_ENOMEM. */
int geo_graph_serialize(const geo_graph_t *g, uint8_t **blob, size_t *len);
/* Rebuild a graph from an untrusted blob (copied; the blob may be freed
 * afterwards). GEO_EFORMAT for a wrong magic/version/checksum or any broken
 * invariant, GEO_ETRUNCATED if shorter than announced, GEO_ENOMEM. */
int geo_graph_load(const void *blob, size_t len, geo_graph_t **out);

/* ---- Building ------------------------------------------------------------
 * A builder collects nodes, ways and edges in any order and freezes them
 * into a graph. Limits: fewer than 2^32 - 1 nodes, edges and ways. */
typedef struct geo_graph_builder geo_graph_builder_t;

geo_graph_builder_t *geo_graph_builder_new(void);
/* Node index into *out. GEO_EINVAL for an invalid point. */
int geo_graph_builder_add_node(geo_graph_builder_t *b, int64_t osm_id, geo_point_t p,
                               uint32_t *out);
/* Way index into *out; name may be NULL. Equal names share storage. */
int geo_graph_builder_add_way(geo_graph_builder_t *b, int64_t osm_id, const char *name,
                              int highway, uint32_t *out);
/* Edge from -> to. length_m < 0 means "haversine between the nodes".
 * GEO_EINVAL for unknown nodes/way or a non-finite length. */
int geo_graph_builder_add_edge(geo_graph_builder_t *b, uint32_t from, uint32_t to,
                               uint32_t way, double length_m,
                               const uint8_t speed_kmh[GEO_PROFILE_COUNT], uint8_t flags);
/* Freeze into *out (even on failure the builder is freed). */
int geo_graph_builder_finish(geo_graph_builder_t *b, geo_graph_t **out);
void geo_graph_builder_free(geo_graph_builder_t *b);

#endif /* TRAVLOC_GEO_GRAPH_H */

/* geo/route.h -- shortest / fastest paths, snapping, steps and matrices.
 *
 * Owns: a geo_router_t, the immutable routing companion of a geo_graph_t:
 * a spatial index of edge pieces for snapping (geo/index.h), per-node unit
 * vectors for the A* potential, each edge's reverse twin and each profile's
 * top speed. Queries run a bidirectional A* with the symmetric ("average")
 * potential, exact for consistent potentials; the potential is the chord
 * distance to the target over the profile's top speed, scaled by 0.999 so
 * that rounding can never make it overestimate. Matrices run one plain
 * one-to-many Dijkstra per source.
 *
 * Points are snapped to the nearest edge usable by the profile, by
 * projection onto the segment, and routes start and end at the projected
 * points (partial edges included in distance and duration). Edges of large
 * strongly connected components (>= 1000 nodes, per profile) win over
 * nearer islands (a courtyard footway, a one-way road cut off at the edge
 * of the extract); an island is used only when no large component lies
 * within the snapping radius.
 *
 * Threads: a router only reads its graph (which must outlive it) and is
 * never modified after geo_router_new(), so any number of threads may share
 * one. Each thread needs its own geo_route_ws_t (search scratch, reused
 * between queries to avoid clearing O(nodes) memory); passing NULL makes a
 * call allocate a temporary one.
 *
 * Memory: the caller owns router, workspaces and results. geo_route_t
 * arrays are malloc'ed by geo_route() and freed by geo_route_free(); step
 * names borrow from the graph.
 */
#ifndef TRAVLOC_GEO_ROUTE_H
#define TRAVLOC_GEO_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"
#include "geo/graph.h"

typedef enum geo_metric {
    GEO_METRIC_FASTEST = 0,  /* minimise duration */
    GEO_METRIC_SHORTEST = 1, /* minimise distance */
} geo_metric_t;

#define GEO_ROUTE_MAX_POINTS 32   /* start, vias, end */
#define GEO_MATRIX_MAX 50         /* sources and targets each */
#define GEO_SNAP_DEFAULT_M 1000.0 /* max snapping distance when 0 is given */

typedef struct geo_router geo_router_t;
typedef struct geo_route_ws geo_route_ws_t;

/* Build a router for g (borrowed, must outlive the router). NULL on ENOMEM
 * or a NULL graph. */
geo_router_t *geo_router_new(const geo_graph_t *g);
void geo_router_free(geo_router_t *r);
size_t geo_router_memory(const geo_router_t *r);
const geo_graph_t *geo_router_graph(const geo_router_t *r);

geo_route_ws_t *geo_route_ws_new(const geo_router_t *r);
void geo_route_ws_free(geo_route_ws_t *ws);

/* Cost of edge e for a profile and metric (seconds or metres); a negative
 * value means the profile may not use it. */
double geo_route_edge_cost(const geo_graph_edge_t *e, geo_profile_t p, geo_metric_t m);

/* ---- Snapping ------------------------------------------------------------- */

typedef struct geo_snap {
    uint32_t edge;     /* the segment, as an edge u -> v (see twin below) */
    uint32_t twin;     /* the edge v -> u of the same way, or UINT32_MAX */
    double t;          /* position on u -> v, 0 at u, 1 at v */
    geo_point_t point; /* projected point */
    double dist_m;     /* from the query point to `point` */
} geo_snap_t;

/* Nearest segment usable by profile p (in at least one direction) within
 * max_m (0 = GEO_SNAP_DEFAULT_M). GEO_ENOSNAP if none, GEO_EINVAL. */
int geo_route_snap(const geo_router_t *r, geo_point_t pt, geo_profile_t p, double max_m,
                   geo_snap_t *out);

/* ---- Routes ----------------------------------------------------------------- */

typedef enum geo_maneuver {
    GEO_MANEUVER_DEPART,
    GEO_MANEUVER_TURN,
    GEO_MANEUVER_NEW_NAME,
    GEO_MANEUVER_CONTINUE,
    GEO_MANEUVER_ROUNDABOUT,
    GEO_MANEUVER_EXIT_ROUNDABOUT,
    GEO_MANEUVER_ARRIVE,
} geo_maneuver_t;

typedef enum geo_modifier {
    GEO_MODIFIER_NONE,
    GEO_MODIFIER_UTURN,
    GEO_MODIFIER_SHARP_RIGHT,
    GEO_MODIFIER_RIGHT,
    GEO_MODIFIER_SLIGHT_RIGHT,
    GEO_MODIFIER_STRAIGHT,
    GEO_MODIFIER_SLIGHT_LEFT,
    GEO_MODIFIER_LEFT,
    GEO_MODIFIER_SHARP_LEFT,
} geo_modifier_t;

/* OSRM spellings: "depart", "turn", "new name", "continue", "roundabout",
 * "exit roundabout", "arrive"; "uturn", "sharp right", ..., "" for none. */
const char *geo_maneuver_name(int m);
const char *geo_modifier_name(int m);

typedef struct geo_route_step {
    int maneuver;          /* geo_maneuver_t */
    int modifier;          /* geo_modifier_t */
    const char *name;      /* road taken, "" if unnamed; borrowed */
    double distance_m, duration_s; /* of the road up to the next step */
    geo_point_t location;  /* where the maneuver happens */
    int bearing_before, bearing_after; /* degrees 0..359 */
    uint32_t exit;         /* roundabout: exit number; else 0 */
    uint32_t leg;
    size_t geometry_begin, geometry_end; /* indices into geo_route_t.geometry */
} geo_route_step_t;

typedef struct geo_route_leg {
    double distance_m, duration_s;
    size_t step_begin, step_end; /* [begin, end) into steps */
} geo_route_leg_t;

typedef struct geo_route {
    double distance_m, duration_s;
    geo_point_t *geometry;
    size_t n_geometry;
    geo_route_step_t *steps;
    size_t n_steps;
    geo_route_leg_t *legs;
    size_t n_legs;
    geo_snap_t *waypoints; /* one per query point */
    size_t n_waypoints;
} geo_route_t;

typedef struct geo_route_query {
    geo_profile_t profile;
    geo_metric_t metric;
    const geo_point_t *points; /* 2..GEO_ROUTE_MAX_POINTS: start, vias, end */
    size_t n_points;
    double max_snap_m;         /* 0 = GEO_SNAP_DEFAULT_M */
    bool no_steps;             /* skip turn-by-turn */
} geo_route_query_t;

/* Route through the query points in order. On success fills *out (free it
 * with geo_route_free()). Errors: GEO_EINVAL, GEO_ENOSNAP (a point has no
 * usable road nearby), GEO_EUNREACHABLE (no path between consecutive
 * points), GEO_ENOMEM. *out is zeroed on error. */
int geo_route(const geo_router_t *r, geo_route_ws_t *ws, const geo_route_query_t *q,
              geo_route_t *out);
void geo_route_free(geo_route_t *rt);

/* Node to node: cost (metric units), distance and duration of the best
 * path. GEO_EUNREACHABLE, GEO_EINVAL. Any output pointer may be NULL. */
int geo_route_nodes(const geo_router_t *r, geo_route_ws_t *ws, geo_profile_t p,
                    geo_metric_t m, uint32_t from, uint32_t to, double *cost,
                    double *distance_m, double *duration_s);

/* ---- Matrix ------------------------------------------------------------------ */

typedef struct geo_matrix_query {
    geo_profile_t profile;
    geo_metric_t metric;
    const geo_point_t *sources;
    size_t n_sources;          /* 1..GEO_MATRIX_MAX */
    const geo_point_t *targets;
    size_t n_targets;          /* 1..GEO_MATRIX_MAX */
    double max_snap_m;
} geo_matrix_query_t;

/* durations_s and distances_m (either may be NULL) receive n_sources x
 * n_targets values, row-major by source. Pairs that are unreachable, or
 * whose point cannot be snapped, get -1. Errors: GEO_EINVAL, GEO_ERANGE
 * (too many points), GEO_ENOMEM. */
int geo_route_matrix(const geo_router_t *r, geo_route_ws_t *ws, const geo_matrix_query_t *q,
                     double *durations_s, double *distances_m);

#endif /* TRAVLOC_GEO_ROUTE_H */

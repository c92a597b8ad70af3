/* geo/route_int.h -- router internals shared by route*.c; not public.
 *
 * A path is a list of pieces: a piece is the part [t0, t1] of one directed
 * edge (0 at its source node, 1 at its target), so partial edges at snapped
 * endpoints and whole edges look alike. Searches attach virtual endpoints
 * to graph nodes through such partial pieces.
 */
#ifndef TRAVLOC_GEO_ROUTE_INT_H
#define TRAVLOC_GEO_ROUTE_INT_H

#include "geo/index.h"
#include "geo/route.h"

#define NO_EDGE UINT32_MAX
#define PAR_SRC 0x80000000u /* parent marker: reached from endpoint (low bits) */

struct geo_router {
    const geo_graph_t *g;
    double *xyz;        /* 3 per node: unit vector */
    uint32_t *twin;     /* per edge: reverse edge of the same way or NO_EDGE */
    geo_index_t *snap;  /* edge pieces: id = edge << 20 | piece */
    uint8_t *big;       /* per node: bit p set if in a large component for profile p */
    double vmax[GEO_PROFILE_COUNT]; /* top speed in m/s */
};

typedef struct piece {
    uint32_t edge;
    double t0, t1;
} piece_t;

/* How a virtual point connects to a node. */
typedef struct endpoint {
    uint32_t node;
    double cost;  /* metric cost of the piece */
    piece_t piece; /* piece.edge == NO_EDGE for "is the node itself" */
} endpoint_t;

/* A snapped point seen as a source (out) and as a target (in). */
typedef struct anchor {
    geo_snap_t snap;
    endpoint_t out[2], in[2];
    int n_out, n_in;
    double xyz[3];
} anchor_t;

typedef struct heap_item {
    double key;
    uint32_t node;
} heap_item_t;

typedef struct heap {
    heap_item_t *a;
    size_t n, cap;
} heap_t;

struct geo_route_ws {
    uint32_t n, gen;
    uint32_t *stamp[2];
    double *dist[2];
    uint32_t *par[2];
    double *pot;
    uint32_t *pstamp;
    double *len, *dur;  /* metres / seconds along the best path (matrix) */
    uint32_t *tstamp, *thead; /* matrix: target entries chained per node */
    heap_t heap[2];
    piece_t *pieces;
    size_t npieces, pcap;
};

/* Search request for one leg. */
typedef struct leg {
    int profile, metric;
    const endpoint_t *src, *dst;
    int ns, nd;
    const double *sxyz, *txyz; /* NULL: no potential on that side */
    bool has_direct;
    double direct_cost;
    piece_t direct;
} leg_t;

double geo_route__cost(const geo_graph_edge_t *e, int profile, int metric);
int geo_route__ws_begin(geo_route_ws_t *ws);
int geo_route__heap_push(heap_t *h, double key, uint32_t node);
heap_item_t geo_route__heap_pop(heap_t *h);
/* Anchor for a snapped point (fills endpoints for profile/metric). */
void geo_route__anchor(const geo_router_t *r, const geo_snap_t *s, int profile, int metric,
                       anchor_t *a);
/* Direct piece from a to b when both lie on the same segment. */
bool geo_route__direct(const geo_router_t *r, const anchor_t *a, const anchor_t *b,
                       int profile, int metric, double *cost, piece_t *piece);
/* Best path for leg; the pieces land in ws->pieces. GEO_EUNREACHABLE. */
int geo_route__search(const geo_router_t *r, geo_route_ws_t *ws, const leg_t *leg,
                      double *cost);

#endif /* TRAVLOC_GEO_ROUTE_INT_H */

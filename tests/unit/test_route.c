/* tests/unit/test_route.c -- routing against an independent Dijkstra.
 *
 * The reference below knows only the public graph accessors and the
 * documented cost rule (metres, or metres / (km/h / 3.6) seconds, speed 0 =
 * closed); it attaches snapped points with its own arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "geo/graph.h"
#include "geo/osm.h"
#include "geo/route.h"

typedef struct fixture {
    geo_osm_result_t *res;
    const geo_graph_t *g;
    geo_router_t *r;
    geo_route_ws_t *ws;
} fixture_t;

static uint64_t rng_state = 1;
static double rng01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static const char *data_path(const char *rel, char *buf, size_t cap)
{
    const char *dir = getenv("TRAVLOC_DATA_DIR");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "data", rel);
    return buf;
}

static int setup_monaco(void **state)
{
    char path[1024];
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(geo_osm_import(data_path("osm/monaco-latest.osm.pbf", path, sizeof path),
                                    NULL, &f->res), GEO_OK);
    f->g = geo_osm_graph(f->res);
    f->r = geo_router_new(f->g);
    f->ws = geo_route_ws_new(f->r);
    assert_true(f->g && f->r && f->ws);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    geo_route_ws_free(f->ws);
    geo_router_free(f->r);
    geo_osm_result_free(f->res);
    free(f);
    return 0;
}

/* ---- Reference Dijkstra ------------------------------------------------------ */

static double ref_cost(const geo_graph_edge_t *e, int profile, int metric)
{
    if (e->speed_kmh[profile] == 0)
        return -1;
    return metric == GEO_METRIC_SHORTEST ? e->length_m : e->length_m / (e->speed_kmh[profile] / 3.6);
}

/* Multi-source Dijkstra with an O(n) array scan for the minimum: slow and
 * obviously right. Returns the cost to reach each node. */
static double *ref_dijkstra(const geo_graph_t *g, int profile, int metric, const uint32_t *src,
                            const double *init, int ns)
{
    uint32_t n = geo_graph_node_count(g);
    double *d = malloc(n * sizeof *d);
    char *done = calloc(n, 1);
    assert_true(d && done);
    for (uint32_t v = 0; v < n; v++)
        d[v] = INFINITY;
    for (int k = 0; k < ns; k++)
        if (init[k] < d[src[k]])
            d[src[k]] = init[k];
    /* A bucket-free binary heap would be faster; a simple heap of (d, v)
     * pairs with lazy deletion keeps this short. */
    size_t cap = 1024, hn = 0;
    struct hv { double d; uint32_t v; } *h = malloc(cap * sizeof *h);
    for (int k = 0; k < ns; k++) {
        h[hn++] = (struct hv){d[src[k]], src[k]};
    }
    while (hn) {
        size_t bi = 0; /* linear minimum: the heap is just a bag */
        for (size_t i = 1; i < hn; i++)
            if (h[i].d < h[bi].d)
                bi = i;
        struct hv it = h[bi];
        h[bi] = h[--hn];
        if (done[it.v] || it.d > d[it.v])
            continue;
        done[it.v] = 1;
        uint32_t b, e;
        geo_graph_out_edges(g, it.v, &b, &e);
        for (uint32_t i = b; i < e; i++) {
            const geo_graph_edge_t *ed = geo_graph_edge(g, i);
            double c = ref_cost(ed, profile, metric);
            if (c < 0 || d[it.v] + c >= d[ed->target])
                continue;
            d[ed->target] = d[it.v] + c;
            if (hn == cap)
                h = realloc(h, (cap *= 2) * sizeof *h);
            h[hn++] = (struct hv){d[ed->target], ed->target};
        }
    }
    free(h);
    free(done);
    return d;
}

/* Best cost between two snapped points, from the snap's edge/twin/t alone. */
static double ref_points(const geo_graph_t *g, int profile, int metric, const geo_snap_t *a,
                         const geo_snap_t *b)
{
    const geo_graph_edge_t *ea = geo_graph_edge(g, a->edge), *eb = geo_graph_edge(g, b->edge);
    uint32_t src[2], ns = 0;
    double init[2];
    double c = ref_cost(ea, profile, metric);
    if (c >= 0) {
        src[ns] = ea->target;
        init[ns++] = (1 - a->t) * c;
    }
    if (a->twin != UINT32_MAX && (c = ref_cost(geo_graph_edge(g, a->twin), profile, metric)) >= 0) {
        src[ns] = geo_graph_edge_source(g, a->edge);
        init[ns++] = a->t * c;
    }
    double best = INFINITY;
    if (a->edge == b->edge) { /* along the same segment */
        double cf = ref_cost(ea, profile, metric);
        if (cf >= 0 && a->t <= b->t)
            best = (b->t - a->t) * cf;
        double cb = a->twin != UINT32_MAX ? ref_cost(geo_graph_edge(g, a->twin), profile, metric) : -1;
        if (cb >= 0 && a->t >= b->t && (a->t - b->t) * cb < best)
            best = (a->t - b->t) * cb;
    }
    double *d = ref_dijkstra(g, profile, metric, src, init, (int)ns);
    c = ref_cost(eb, profile, metric);
    if (c >= 0)
        best = fmin(best, d[geo_graph_edge_source(g, b->edge)] + b->t * c);
    if (b->twin != UINT32_MAX && (c = ref_cost(geo_graph_edge(g, b->twin), profile, metric)) >= 0)
        best = fmin(best, d[eb->target] + (1 - b->t) * c);
    free(d);
    return best;
}

/* ---- Tests -------------------------------------------------------------------- */

static void test_nodes_vs_dijkstra(void **state)
{
    fixture_t *f = *state;
    uint32_t n = geo_graph_node_count(f->g);
    rng_state = 4242;
    int agree_unreachable = 0, agree_found = 0;
    for (int i = 0; i < 60; i++) {
        int profile = i % 3, metric = (i / 3) % 2;
        uint32_t a = (uint32_t)(rng01() * n), b = (uint32_t)(rng01() * n);
        double zero = 0;
        double *d = ref_dijkstra(f->g, profile, metric, &a, &zero, 1);
        double cost = -1, dist = -1, dur = -1;
        int rc = geo_route_nodes(f->r, f->ws, profile, metric, a, b, &cost, &dist, &dur);
        if (isinf(d[b])) {
            assert_int_equal(rc, GEO_EUNREACHABLE);
            agree_unreachable++;
        } else {
            assert_int_equal(rc, GEO_OK);
            assert_float_equal(cost, d[b], 1e-6 * (1 + d[b]));
            assert_float_equal(metric == GEO_METRIC_SHORTEST ? dist : dur, d[b], 1e-6 * (1 + d[b]));
            agree_found++;
        }
        free(d);
    }
    assert_true(agree_found >= 30);
    assert_int_equal(geo_route_nodes(f->r, f->ws, 0, 0, n, 0, NULL, NULL, NULL), GEO_EINVAL);
}

static void test_points_vs_dijkstra(void **state)
{
    fixture_t *f = *state;
    rng_state = 777;
    int found = 0;
    for (int i = 0; i < 90; i++) {
        int profile = i % 3, metric = (i / 3) % 2;
        geo_point_t pts[2];
        geo_snap_t sn[2];
        for (int k = 0; k < 2; k++) /* random points of the extract that have a road */
            do
                pts[k] = (geo_point_t){43.7247 + rng01() * 0.027, 7.4090 + rng01() * 0.031};
            while (geo_route_snap(f->r, pts[k], profile, 0, &sn[k]) != GEO_OK);
        geo_snap_t sa = sn[0], sb = sn[1];
        double want = ref_points(f->g, profile, metric, &sa, &sb);
        geo_route_query_t q = {.profile = profile, .metric = metric, .points = pts, .n_points = 2};
        geo_route_t rt;
        int rc = geo_route(f->r, f->ws, &q, &rt);
        if (isinf(want)) {
            assert_int_equal(rc, GEO_EUNREACHABLE);
            continue;
        }
        assert_int_equal(rc, GEO_OK);
        found++;
        double got = metric == GEO_METRIC_SHORTEST ? rt.distance_m : rt.duration_s;
        assert_float_equal(got, want, 1e-6 * (1 + want));
        /* Geometry runs from snapped start to snapped end, steps add up. */
        assert_true(rt.n_geometry >= 1 && rt.n_steps >= 2);
        assert_float_equal(rt.geometry[0].lat, sa.point.lat, 1e-12);
        assert_float_equal(rt.geometry[rt.n_geometry - 1].lng, sb.point.lng, 1e-12);
        assert_int_equal(rt.steps[0].maneuver, GEO_MANEUVER_DEPART);
        assert_int_equal(rt.steps[rt.n_steps - 1].maneuver, GEO_MANEUVER_ARRIVE);
        double sum = 0;
        for (size_t s = 0; s < rt.n_steps; s++)
            sum += rt.steps[s].distance_m;
        assert_float_equal(sum, rt.distance_m, 1e-6 * (1 + sum));
        double poly = 0;
        for (size_t k = 1; k < rt.n_geometry; k++)
            poly += geo_distance_m(rt.geometry[k - 1], rt.geometry[k]);
        assert_float_equal(poly, rt.distance_m, 1e-3 * (1 + poly)); /* float edge lengths */
        geo_route_free(&rt);
    }
    assert_true(found >= 50);
}

static void test_snapping(void **state)
{
    fixture_t *f = *state;
    /* Points on and 15 m off an edge project onto its interior. */
    uint32_t m = geo_graph_edge_count(f->g);
    int checked = 0, islands = 0;
    for (uint32_t e = 0; e < m && checked < 40; e += 13) {
        const geo_graph_edge_t *ed = geo_graph_edge(f->g, e);
        if (ed->length_m < 40 || !ed->speed_kmh[GEO_PROFILE_FOOT])
            continue;
        geo_point_t a = geo_graph_node_point(f->g, geo_graph_edge_source(f->g, e));
        geo_point_t b = geo_graph_node_point(f->g, ed->target);
        geo_point_t mid = {(a.lat + b.lat) / 2, (a.lng + b.lng) / 2};
        geo_snap_t s;
        assert_int_equal(geo_route_snap(f->r, mid, GEO_PROFILE_FOOT, 0, &s), GEO_OK);
        /* The midpoint is on the edge, so the snap is (almost) exact, even
         * if another edge through the same point was picked, unless the
         * edge belongs to a small island, which snapping avoids. */
        if (s.dist_m >= 0.05) {
            islands++;
            continue;
        }
        if (s.edge == e || s.twin == e) {
            double t = s.edge == e ? s.t : 1 - s.t;
            assert_float_equal(t, 0.5, 1e-3);
        }
        /* Offset 15 m perpendicular: the snap is at most 15 m away (this
         * edge, or something nearer), measured to the returned point. */
        double br = geo_bearing_deg(a, b);
        geo_point_t off = geo_destination(mid, br + 90, 15);
        assert_int_equal(geo_route_snap(f->r, off, GEO_PROFILE_FOOT, 0, &s), GEO_OK);
        assert_true(s.dist_m <= 15.05);
        assert_float_equal(geo_distance_m(off, s.point), s.dist_m, 1e-9);
        checked++;
    }
    assert_true(checked >= 30 && islands < checked / 4);
    /* The sea south of Monaco: nothing within 200 m. */
    geo_snap_t s;
    assert_int_equal(geo_route_snap(f->r, (geo_point_t){43.70, 7.43}, GEO_PROFILE_CAR, 200, &s),
                     GEO_ENOSNAP);
    assert_int_equal(geo_route_snap(f->r, (geo_point_t){95, 7.43}, GEO_PROFILE_CAR, 200, &s),
                     GEO_EINVAL);
}

static void test_monaco_hand_checked(void **state)
{
    fixture_t *f = *state;
    /* Oceanographic Museum -> Casino de Monte-Carlo (straight line ~970 m). */
    geo_point_t pts[2] = {{43.730681, 7.425523}, {43.739160, 7.428023}};
    double crow = geo_distance_m(pts[0], pts[1]);
    assert_float_equal(crow, 965, 15);
    geo_route_query_t q = {.profile = GEO_PROFILE_CAR, .metric = GEO_METRIC_FASTEST,
                           .points = pts, .n_points = 2};
    geo_route_t rt;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_OK);
    /* By car one leaves the Rock by Avenue de la Porte Neuve and drives
     * around the port: between 1.5 and 3.5 km, under 10 minutes. */
    assert_true(rt.distance_m > 1500 && rt.distance_m < 3500);
    assert_true(rt.duration_s > 60 && rt.duration_s < 600);
    bool porte_neuve = false, port = false;
    for (size_t i = 0; i < rt.n_steps; i++) {
        porte_neuve |= strcmp(rt.steps[i].name, "Avenue de la Porte Neuve") == 0;
        port |= strstr(rt.steps[i].name, "Port") != NULL || strstr(rt.steps[i].name, "Albert") != NULL;
    }
    assert_true(porte_neuve && port);
    geo_route_free(&rt);
    /* On foot it is shorter than by car, but not shorter than the crow flies. */
    q.profile = GEO_PROFILE_FOOT;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_OK);
    assert_true(rt.distance_m > crow && rt.distance_m < 2500);
    assert_true(rt.duration_s > rt.distance_m / 1.5); /* walking pace */
    geo_route_free(&rt);
    /* A via point (Prince's Palace square) makes two legs, and the route
     * can only get longer. */
    geo_point_t via[3] = {pts[0], {43.73145, 7.42040}, pts[1]};
    geo_route_query_t qv = {.profile = GEO_PROFILE_FOOT, .metric = GEO_METRIC_SHORTEST,
                            .points = via, .n_points = 3};
    geo_route_t rv, direct;
    q.metric = GEO_METRIC_SHORTEST;
    assert_int_equal(geo_route(f->r, f->ws, &q, &direct), GEO_OK);
    assert_int_equal(geo_route(f->r, NULL, &qv, &rv), GEO_OK);
    assert_int_equal(rv.n_legs, 2);
    assert_true(rv.distance_m > direct.distance_m);
    assert_float_equal(rv.legs[0].distance_m + rv.legs[1].distance_m, rv.distance_m, 1e-6);
    assert_int_equal(rv.steps[rv.legs[0].step_end - 1].maneuver, GEO_MANEUVER_ARRIVE);
    assert_int_equal(rv.steps[rv.legs[1].step_begin].maneuver, GEO_MANEUVER_DEPART);
    assert_int_equal(rv.n_waypoints, 3);
    geo_route_free(&rv);
    geo_route_free(&direct);
}

static void test_matrix(void **state)
{
    fixture_t *f = *state;
    rng_state = 99;
    enum { NS = 6, ND = 7 };
    geo_point_t src[NS], dst[ND + 1];
    for (int i = 0; i < NS; i++)
        src[i] = (geo_point_t){43.7247 + rng01() * 0.027, 7.4090 + rng01() * 0.031};
    for (int j = 0; j < ND; j++)
        dst[j] = (geo_point_t){43.7247 + rng01() * 0.027, 7.4090 + rng01() * 0.031};
    dst[ND - 1] = (geo_point_t){43.70, 7.43}; /* at sea: no snap */
    double dur[NS * ND], dist[NS * ND];
    geo_matrix_query_t mq = {GEO_PROFILE_CAR, GEO_METRIC_FASTEST, src, NS, dst, ND, 300};
    assert_int_equal(geo_route_matrix(f->r, f->ws, &mq, dur, dist), GEO_OK);
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < ND; j++) {
            geo_point_t pts[2] = {src[i], dst[j]};
            geo_route_query_t q = {.profile = GEO_PROFILE_CAR, .metric = GEO_METRIC_FASTEST,
                                   .points = pts, .n_points = 2, .max_snap_m = 300,
                                   .no_steps = true};
            geo_route_t rt;
            int rc = geo_route(f->r, f->ws, &q, &rt);
            if (rc != GEO_OK) {
                assert_true(rc == GEO_EUNREACHABLE || rc == GEO_ENOSNAP);
                assert_true(dur[i * ND + j] == -1 && dist[i * ND + j] == -1);
                continue;
            }
            assert_float_equal(dur[i * ND + j], rt.duration_s, 1e-6 * (1 + rt.duration_s));
            assert_float_equal(dist[i * ND + j], rt.distance_m, 1e-6 * (1 + rt.distance_m));
            geo_route_free(&rt);
        }
    mq.n_targets = GEO_MATRIX_MAX + 1;
    assert_int_equal(geo_route_matrix(f->r, f->ws, &mq, dur, NULL), GEO_ERANGE);
}

/* ---- A hand-made network (OSM XML written by the test) ------------------------- */

static const char *tiny_osm =
    "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
    "<node id='1' lat='0.000' lon='0.000'/><node id='2' lat='0.000' lon='0.001'/>\n"
    "<node id='3' lat='0.000' lon='0.002'/><node id='4' lat='0.001' lon='0.002'/>\n"
    "<node id='5' lat='0.001' lon='0.000'/><node id='6' lat='0.010' lon='0.010'/>\n"
    "<node id='7' lat='0.010' lon='0.011'/>\n"
    /* 1-2-3 a two-way street, 3-4 turns left, 4-5 oneway back west */
    "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='highway' v='residential'/>"
    "<tag k='name' v='Main Street'/></way>\n"
    "<way id='11'><nd ref='3'/><nd ref='4'/><tag k='highway' v='residential'/>"
    "<tag k='name' v='North Road'/></way>\n"
    "<way id='12'><nd ref='4'/><nd ref='5'/><tag k='highway' v='residential'/>"
    "<tag k='oneway' v='yes'/><tag k='name' v='Back Lane'/></way>\n"
    /* an island far away */
    "<way id='13'><nd ref='6'/><nd ref='7'/><tag k='highway' v='service'/></way>\n"
    "</osm>\n";

static void test_tiny_network(void **state)
{
    (void)state;
    char path[] = "/tmp/travloc_route_XXXXXX.osm";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, tiny_osm, strlen(tiny_osm)), (ssize_t)strlen(tiny_osm));
    close(fd);
    geo_osm_result_t *res;
    assert_int_equal(geo_osm_import(path, NULL, &res), GEO_OK);
    unlink(path);
    const geo_graph_t *g = geo_osm_graph(res);
    assert_int_equal(geo_graph_node_count(g), 7);
    geo_router_t *r = geo_router_new(g);
    assert_non_null(r);
    /* By car from Main Street (near node 1) to Back Lane (between 4 and 5). */
    geo_point_t pts[2] = {{0.00001, 0.0002}, {0.00099, 0.0005}}; /* Main St -> Back Lane */
    geo_route_query_t q = {.profile = GEO_PROFILE_CAR, .metric = GEO_METRIC_SHORTEST,
                           .points = pts, .n_points = 2};
    geo_route_t rt;
    assert_int_equal(geo_route(r, NULL, &q, &rt), GEO_OK);
    /* Main Street east 180 m, North Road 111 m, Back Lane west 167 m. */
    assert_float_equal(rt.distance_m, 0.0018 * 111195.08 + 0.001 * 111195.08 + 0.0015 * 111195.08,
                       2.0);
    assert_int_equal(rt.n_steps, 4);
    assert_int_equal(rt.steps[0].maneuver, GEO_MANEUVER_DEPART);
    assert_string_equal(rt.steps[0].name, "Main Street");
    assert_int_equal(rt.steps[0].bearing_after, 90);
    assert_int_equal(rt.steps[1].maneuver, GEO_MANEUVER_TURN);
    assert_int_equal(rt.steps[1].modifier, GEO_MODIFIER_LEFT);
    assert_string_equal(rt.steps[1].name, "North Road");
    assert_int_equal(rt.steps[2].modifier, GEO_MODIFIER_LEFT);
    assert_string_equal(rt.steps[2].name, "Back Lane");
    assert_float_equal(rt.steps[2].location.lat, 0.001, 1e-9);
    assert_int_equal(rt.steps[3].maneuver, GEO_MANEUVER_ARRIVE);
    geo_route_free(&rt);
    /* The reverse trip by car is impossible (Back Lane is one-way and 5 is a
     * dead end), on foot it is fine. */
    geo_point_t rev[2] = {pts[1], pts[0]};
    q.points = rev;
    assert_int_equal(geo_route(r, NULL, &q, &rt), GEO_EUNREACHABLE);
    q.profile = GEO_PROFILE_FOOT;
    assert_int_equal(geo_route(r, NULL, &q, &rt), GEO_OK);
    geo_route_free(&rt);
    /* The island is unreachable from the street, and a point on the same
     * edge ahead of the start is routed directly. */
    geo_point_t isl[2] = {{0.0, 0.0005}, {0.010, 0.0105}};
    q.points = isl;
    assert_int_equal(geo_route(r, NULL, &q, &rt), GEO_EUNREACHABLE);
    geo_point_t same[2] = {{0.0, 0.0001}, {0.0, 0.0004}};
    q.points = same;
    assert_int_equal(geo_route(r, NULL, &q, &rt), GEO_OK);
    assert_float_equal(rt.distance_m, 0.0003 * 111195.08, 0.05);
    assert_int_equal(rt.n_steps, 2);
    geo_route_free(&rt);
    /* Snapping is by projection, not to the nearest node. */
    geo_snap_t s;
    assert_int_equal(geo_route_snap(r, (geo_point_t){0.0002, 0.0016}, GEO_PROFILE_CAR, 0, &s),
                     GEO_OK);
    assert_float_equal(s.point.lat, 0.0, 1e-9);
    assert_float_equal(s.point.lng, 0.0016, 1e-9);
    assert_float_equal(s.dist_m, 0.0002 * 111195.08, 0.01);
    geo_router_free(r);
    geo_osm_result_free(res);
}

static void test_bad_queries(void **state)
{
    fixture_t *f = *state;
    geo_point_t pts[2] = {{43.73, 7.42}, {43.74, 7.43}};
    geo_route_t rt;
    geo_route_query_t q = {.profile = 7, .points = pts, .n_points = 2};
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_EINVAL);
    q.profile = GEO_PROFILE_FOOT;
    q.n_points = 1;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_EINVAL);
    q.n_points = 2;
    q.max_snap_m = NAN;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_EINVAL);
    q.max_snap_m = 0;
    pts[1].lat = NAN;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_EINVAL);
    pts[1] = (geo_point_t){43.70, 7.43};
    q.max_snap_m = 100;
    assert_int_equal(geo_route(f->r, f->ws, &q, &rt), GEO_ENOSNAP);
    assert_null(rt.geometry);
    assert_null(geo_router_new(NULL));
    assert_string_equal(geo_maneuver_name(GEO_MANEUVER_NEW_NAME), "new name");
    assert_string_equal(geo_modifier_name(GEO_MODIFIER_SHARP_LEFT), "sharp left");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nodes_vs_dijkstra, setup_monaco, teardown),
        cmocka_unit_test_setup_teardown(test_points_vs_dijkstra, setup_monaco, teardown),
        cmocka_unit_test_setup_teardown(test_snapping, setup_monaco, teardown),
        cmocka_unit_test_setup_teardown(test_monaco_hand_checked, setup_monaco, teardown),
        cmocka_unit_test_setup_teardown(test_matrix, setup_monaco, teardown),
        cmocka_unit_test(test_tiny_network),
        cmocka_unit_test_setup_teardown(test_bad_queries, setup_monaco, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

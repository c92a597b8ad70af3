/* bench/geo/geo_bench.c -- in-process benchmark of the geo core.
 *
 * Measures, on one core:
 *   - geo_index: insert rate and heap bytes per place for 1,000,000
 *     synthetic places spread uniformly over a 50 x 50 km square, then
 *     nearest-20-within-1-km queries per second (and a few other queries);
 *   - geo_osm: import rate of the Monaco extract (elements per second);
 *   - geo_route: latency percentiles of random routes on Monaco (random
 *     points inside the extract, snapped), and a 50 x 50 matrix.
 * Prints a small table. Usage: geo_bench [path/to/monaco-latest.osm.pbf]
 * (default: $TRAVLOC_DATA_DIR/osm/monaco-latest.osm.pbf, TRAVLOC_DATA_DIR
 * defaulting to "data"). Not a test: it asserts nothing.
 */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geo/geo.h"
#include "geo/index.h"
#include "geo/osm.h"
#include "geo/route.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- Index --------------------------------------------------------------- */

#define N_PLACES 1000000
#define N_QUERIES 1000000

static void bench_index(void)
{
    const double lat0 = 48.8566 - 0.2248, lng0 = 2.3522 - 0.3417; /* 50 x 50 km around Paris */
    const double dlat = 50000.0 / (GEO_EARTH_RADIUS_M * M_PI / 180.0);
    const double dlng = dlat / cos((lat0 + dlat / 2) * M_PI / 180.0);
    geo_point_t *pts = malloc(N_PLACES * sizeof *pts);
    if (!pts)
        return;
    for (int i = 0; i < N_PLACES; i++)
        pts[i] = (geo_point_t){lat0 + rnd() * dlat, lng0 + rnd() * dlng};
    size_t h0 = heap_in_use();
    geo_index_t *idx = geo_index_new(NULL);
    double t0 = now();
    for (int i = 0; i < N_PLACES; i++)
        if (geo_index_insert(idx, (uint64_t)i + 1, pts[i]) != GEO_OK)
            return;
    double t_ins = now() - t0;
    size_t heap = heap_in_use() - h0;
    printf("| index: insert 1,000,000 places (50 x 50 km) | %.2f M inserts/s |\n", N_PLACES / t_ins / 1e6);
    printf("| index: heap per place (malloc'd incl. overhead) | %.1f bytes |\n", (double)heap / N_PLACES);
    printf("| index: geo_index_memory() per place | %.1f bytes |\n",
           (double)geo_index_memory(idx) / N_PLACES);

    geo_index_hit_t hits[100];
    size_t n, total = 0;
    t0 = now();
    for (int i = 0; i < N_QUERIES; i++) {
        geo_point_t q = {lat0 + rnd() * dlat, lng0 + rnd() * dlng};
        geo_index_nearest(idx, q, 1000.0, 20, hits, &n);
        total += n;
    }
    double t_q = now() - t0;
    printf("| index: nearest-20 within 1 km | %.0f queries/s (avg %.1f hits) |\n", N_QUERIES / t_q,
           (double)total / N_QUERIES);
    t0 = now();
    total = 0;
    for (int i = 0; i < N_QUERIES / 10; i++) {
        geo_point_t q = {lat0 + rnd() * dlat, lng0 + rnd() * dlng};
        geo_index_radius(idx, q, 1000.0, 100, hits, &n);
        total += n;
    }
    printf("| index: radius 1 km, nearest 100 of ~1,250 | %.0f queries/s |\n", N_QUERIES / 10 / (now() - t0));
    t0 = now();
    for (int i = 0; i < N_QUERIES; i++) {
        uint64_t id = 1 + (uint64_t)(rnd() * (N_PLACES - 1));
        geo_point_t p = pts[id - 1];
        p.lat += (rnd() - 0.5) * 0.002;
        p.lng += (rnd() - 0.5) * 0.002;
        geo_index_move(idx, id, p);
    }
    printf("| index: move (random id, ~100 m) | %.2f M moves/s |\n", N_QUERIES / (now() - t0) / 1e6);
    geo_index_free(idx);
    free(pts);
}

/* ---- OSM import ---------------------------------------------------------------- */

static geo_osm_result_t *bench_import(const char *path)
{
    geo_osm_result_t *res = NULL;
    const int runs = 10;
    double best = 1e9;
    for (int i = 0; i < runs; i++) {
        geo_osm_result_free(res);
        double t0 = now();
        int rc = geo_osm_import(path, NULL, &res);
        double t = now() - t0;
        if (rc) {
            fprintf(stderr, "import %s: %s\n", path, geo_strerror(rc));
            return NULL;
        }
        best = t < best ? t : best;
    }
    const geo_osm_stats_t *s = geo_osm_result_stats(res);
    double elems = (double)(s->nodes + s->ways + s->relations);
    printf("| osm: import Monaco (%.0f elements, %llu places, graph %u nodes / %u edges) | %.2f M elements/s (%.1f ms) |\n",
           elems, (unsigned long long)s->places, s->graph_nodes, s->graph_edges,
           elems / best / 1e6, best * 1e3);
    return res;
}

/* ---- Routing ------------------------------------------------------------------- */

static void bench_route(const geo_graph_t *g)
{
    double t0 = now();
    geo_router_t *r = geo_router_new(g);
    geo_route_ws_t *ws = geo_route_ws_new(r);
    if (!r || !ws)
        return;
    printf("| route: router set-up (snap index, components) | %.1f ms, %.2f MB |\n",
           (now() - t0) * 1e3, geo_router_memory(r) / 1e6);
    /* Random points over the populated part of Monaco. */
    const double s = 43.7247, w = 7.4090, nlat = 43.7519, elng = 7.4398;
    const char *names[] = {"foot", "bicycle", "car"};
    enum { PAIRS = 2000 };
    double *lat = malloc(PAIRS * sizeof *lat);
    for (int p = 0; p < GEO_PROFILE_COUNT; p++) {
        int ok = 0, unreach = 0;
        for (int i = 0; i < PAIRS; i++) {
            geo_point_t pts[2] = {{s + rnd() * (nlat - s), w + rnd() * (elng - w)},
                                  {s + rnd() * (nlat - s), w + rnd() * (elng - w)}};
            geo_route_query_t q = {.profile = p, .metric = GEO_METRIC_FASTEST, .points = pts,
                                   .n_points = 2};
            geo_route_t rt;
            double t1 = now();
            int rc = geo_route(r, ws, &q, &rt);
            double dt = now() - t1;
            if (rc == GEO_OK)
                lat[ok++] = dt * 1e3;
            unreach += rc == GEO_EUNREACHABLE;
            geo_route_free(&rt);
        }
        qsort(lat, (size_t)ok, sizeof *lat, cmp_double);
        if (ok)
            printf("| route: %s, random pairs with steps (%d ok, %d unreachable) | p50 %.3f ms, p99 %.3f ms, max %.3f ms |\n",
                   names[p], ok, unreach, lat[ok / 2], lat[(int)(ok * 0.99)], lat[ok - 1]);
    }
    free(lat);
    geo_point_t src[GEO_MATRIX_MAX], dst[GEO_MATRIX_MAX];
    for (int i = 0; i < GEO_MATRIX_MAX; i++) {
        src[i] = (geo_point_t){s + rnd() * (nlat - s), w + rnd() * (elng - w)};
        dst[i] = (geo_point_t){s + rnd() * (nlat - s), w + rnd() * (elng - w)};
    }
    static double dur[GEO_MATRIX_MAX * GEO_MATRIX_MAX];
    geo_matrix_query_t mq = {GEO_PROFILE_CAR, GEO_METRIC_FASTEST, src, GEO_MATRIX_MAX, dst,
                             GEO_MATRIX_MAX, 0};
    t0 = now();
    int rc = geo_route_matrix(r, ws, &mq, dur, NULL);
    printf("| route: 50 x 50 car matrix | %.2f ms (%s) |\n", (now() - t0) * 1e3, geo_strerror(rc));
    geo_route_ws_free(ws);
    geo_router_free(r);
}

int main(int argc, char **argv)
{
    char def[1024];
    const char *dir = getenv("TRAVLOC_DATA_DIR");
    snprintf(def, sizeof def, "%s/osm/monaco-latest.osm.pbf", dir && *dir ? dir : "data");
    const char *path = argc > 1 ? argv[1] : def;
    printf("| measure | result |\n|---|---|\n");
    bench_index();
    geo_osm_result_t *res = bench_import(path);
    if (res)
        bench_route(geo_osm_graph(res));
    geo_osm_result_free(res);
    return res ? 0 : 1;
}

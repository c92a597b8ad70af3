/* tests/unit/test_geo_index.c -- spatial index against brute-force haversine. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "geo/index.h"

/* Deterministic generator (xorshift64*), independent of libc's rand(). */
static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static double rng01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* The reference: every live point with its stored coordinates. */
typedef struct ref {
    uint64_t *ids;
    geo_point_t *pts;
    bool *live;
    size_t n;
} ref_t;

typedef struct bf_hit {
    uint64_t id;
    double d;
} bf_hit_t;

static int bf_cmp(const void *pa, const void *pb)
{
    const bf_hit_t *a = pa, *b = pb;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Brute force: all live points within r of c sorted by (distance, id). */
static size_t brute(const ref_t *r, geo_point_t c, double radius, bf_hit_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->live[i])
            continue;
        double d = geo_distance_m(c, r->pts[i]);
        if (d <= radius)
            out[n++] = (bf_hit_t){r->ids[i], d};
    }
    qsort(out, n, sizeof *out, bf_cmp);
    return n;
}

static void ref_init(ref_t *r, size_t n)
{
    r->ids = calloc(n, sizeof *r->ids);
    r->pts = calloc(n, sizeof *r->pts);
    r->live = calloc(n, sizeof *r->live);
    r->n = n;
    assert_true(r->ids && r->pts && r->live);
}

static void ref_free(ref_t *r)
{
    free(r->ids);
    free(r->pts);
    free(r->live);
}

static void ref_sync(ref_t *r, const geo_index_t *idx, size_t i)
{
    r->live[i] = geo_index_get(idx, r->ids[i], &r->pts[i]) == GEO_OK;
}

/* Checks nearest(k, radius) and radius(limit) against brute force. */
static void check_queries(const geo_index_t *idx, const ref_t *r, geo_point_t c,
                          double radius, size_t k)
{
    bf_hit_t *want = malloc((r->n + 1) * sizeof *want);
    geo_index_hit_t *got = malloc((k + 1) * sizeof *got);
    assert_true(want && got);
    size_t nw = brute(r, c, radius, want), ng = 0;
    size_t expect = nw < k ? nw : k;
    assert_int_equal(geo_index_nearest(idx, c, radius, k, got, &ng), GEO_OK);
    assert_int_equal(ng, expect);
    for (size_t i = 0; i < ng; i++) {
        assert_int_equal(got[i].id, want[i].id);
        assert_float_equal(got[i].dist_m, want[i].d, 1e-9);
    }
    assert_int_equal(geo_index_radius(idx, c, radius, k, got, &ng), GEO_OK);
    assert_int_equal(ng, expect);
    for (size_t i = 0; i < ng; i++)
        assert_int_equal(got[i].id, want[i].id);
    free(want);
    free(got);
}

static geo_index_t *build(ref_t *r, size_t n, geo_point_t sw, double dlat, double dlng,
                          double cell_m)
{
    geo_index_options_t o = {.cell_m = cell_m};
    geo_index_t *idx = geo_index_new(&o);
    assert_non_null(idx);
    ref_init(r, n);
    for (size_t i = 0; i < n; i++) {
        r->ids[i] = 1000 + i * 7;
        geo_point_t p = {sw.lat + rng01() * dlat, sw.lng + rng01() * dlng};
        assert_int_equal(geo_index_insert(idx, r->ids[i], p), GEO_OK);
        ref_sync(r, idx, i);
        assert_true(fabs(r->pts[i].lat - p.lat) <= 0.6e-7);
    }
    assert_int_equal(geo_index_count(idx), n);
    return idx;
}

static void test_nearest_vs_brute(void **state)
{
    (void)state;
    rng_seed(12345);
    ref_t r;
    /* 20,000 points over ~10 x 10 km around Monaco. */
    geo_index_t *idx = build(&r, 20000, (geo_point_t){43.68, 7.36}, 0.09, 0.125, 0);
    assert_true(geo_index_memory(idx) > 20000 * 16);
    for (int q = 0; q < 300; q++) {
        geo_point_t c = {43.67 + rng01() * 0.11, 7.35 + rng01() * 0.145};
        double radius = q % 3 == 0 ? 250 : q % 3 == 1 ? 1000 : 3000;
        size_t k = q % 4 == 0 ? 1 : q % 4 == 1 ? 20 : q % 4 == 2 ? 100 : 700;
        check_queries(idx, &r, c, radius, k);
    }
    geo_index_free(idx);
    ref_free(&r);
}

static void test_move_remove(void **state)
{
    (void)state;
    rng_seed(99);
    ref_t r;
    geo_index_t *idx = build(&r, 5000, (geo_point_t){48.80, 2.25}, 0.05, 0.08, 100);
    /* Move half the points (some far away, some a few metres). */
    for (size_t i = 0; i < r.n; i += 2) {
        geo_point_t p = i % 4 ? (geo_point_t){r.pts[i].lat + 1e-5, r.pts[i].lng}
                              : (geo_point_t){48.80 + rng01() * 0.05, 2.25 + rng01() * 0.08};
        assert_int_equal(geo_index_move(idx, r.ids[i], p), GEO_OK);
        ref_sync(&r, idx, i);
        assert_float_equal(r.pts[i].lat, p.lat, 1e-7);
    }
    /* Remove every third point. */
    size_t live = r.n;
    for (size_t i = 0; i < r.n; i += 3) {
        assert_int_equal(geo_index_remove(idx, r.ids[i]), GEO_OK);
        assert_int_equal(geo_index_remove(idx, r.ids[i]), GEO_ENOTFOUND);
        ref_sync(&r, idx, i);
        assert_false(r.live[i]);
        live--;
    }
    assert_int_equal(geo_index_count(idx), live);
    for (int q = 0; q < 100; q++) {
        geo_point_t c = {48.80 + rng01() * 0.05, 2.25 + rng01() * 0.08};
        check_queries(idx, &r, c, q % 2 ? 300 : 2000, q % 2 ? 10 : 50);
    }
    /* Errors and upsert. */
    geo_point_t p = {48.81, 2.3};
    assert_int_equal(geo_index_insert(idx, r.ids[1], p), GEO_EEXIST);
    assert_int_equal(geo_index_move(idx, 7, p), GEO_ENOTFOUND);
    assert_int_equal(geo_index_set(idx, 7, p), GEO_OK);
    assert_int_equal(geo_index_set(idx, 7, (geo_point_t){48.82, 2.3}), GEO_OK);
    geo_point_t got;
    assert_int_equal(geo_index_get(idx, 7, &got), GEO_OK);
    assert_float_equal(got.lat, 48.82, 1e-7);
    assert_int_equal(geo_index_insert(idx, 8, (geo_point_t){91, 0}), GEO_EINVAL);
    assert_int_equal(geo_index_insert(idx, 8, (geo_point_t){0, NAN}), GEO_EINVAL);
    assert_int_equal(geo_index_get(idx, 8, &got), GEO_ENOTFOUND);
    /* Remove everything: the index is empty and still usable. */
    for (size_t i = 0; i < r.n; i++)
        if (r.live[i])
            assert_int_equal(geo_index_remove(idx, r.ids[i]), GEO_OK);
    assert_int_equal(geo_index_remove(idx, 7), GEO_OK);
    assert_int_equal(geo_index_count(idx), 0);
    geo_index_hit_t h[4];
    size_t n = 9;
    assert_int_equal(geo_index_nearest(idx, p, 1e6, 4, h, &n), GEO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(geo_index_insert(idx, 1, p), GEO_OK);
    assert_int_equal(geo_index_nearest(idx, p, 10, 4, h, &n), GEO_OK);
    assert_int_equal(n, 1);
    geo_index_free(idx);
    ref_free(&r);
}

static void test_world_antimeridian_poles(void **state)
{
    (void)state;
    rng_seed(2024);
    ref_t r;
    /* Sparse points over the whole globe, uniform on the sphere. */
    geo_index_options_t o = {.cell_m = 0};
    geo_index_t *idx = geo_index_new(&o);
    assert_non_null(idx);
    ref_init(&r, 3000);
    for (size_t i = 0; i < r.n; i++) {
        r.ids[i] = i;
        geo_point_t p = {asin(2 * rng01() - 1) * 180 / M_PI, -180 + 360 * rng01()};
        if (i < 40) /* crowd the antimeridian and the poles */
            p = (geo_point_t){-17 + rng01() * 0.01, i % 2 ? 179.999 + rng01() * 0.001
                                                           : -180 + rng01() * 0.001};
        else if (i < 80)
            p = (geo_point_t){(i % 2 ? 90 : -90) - (i % 2 ? 1 : -1) * rng01() * 0.01,
                              -180 + 360 * rng01()};
        assert_int_equal(geo_index_insert(idx, r.ids[i], p), GEO_OK);
        ref_sync(&r, idx, i);
    }
    geo_point_t probes[] = {{-17.005, 180}, {-17.005, -179.9999}, {90, 0}, {-90, 77},
                            {89.995, -180}, {0, 0}, {45, 90}};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        check_queries(idx, &r, probes[i], 2000, 50);
        check_queries(idx, &r, probes[i], 500000, 30);
    }
    for (int q = 0; q < 60; q++) {
        geo_point_t c = {asin(2 * rng01() - 1) * 180 / M_PI, -180 + 360 * rng01()};
        check_queries(idx, &r, c, q % 2 ? 800000 : 3e6, 25);
    }
    /* All points near the north pole, from the pole itself. */
    bf_hit_t *want = malloc(r.n * sizeof *want);
    geo_index_hit_t *got = malloc(r.n * sizeof *got);
    size_t nw = brute(&r, (geo_point_t){90, 0}, 2000, want), ng;
    assert_true(nw >= 20);
    assert_int_equal(geo_index_radius(idx, (geo_point_t){90, 0}, 2000, r.n, got, &ng), GEO_OK);
    assert_int_equal(ng, nw);
    /* Whole-world radius touches every point. */
    assert_int_equal(geo_index_radius(idx, (geo_point_t){10, 10}, 3e7, r.n, got, &ng), GEO_OK);
    assert_int_equal(ng, r.n);
    free(want);
    free(got);
    geo_index_free(idx);
    ref_free(&r);
}

static int count_cb(void *data, const geo_index_hit_t *h)
{
    (void)h;
    (*(size_t *)data)++;
    return 0;
}

static int stop_cb(void *data, const geo_index_hit_t *h)
{
    (void)h;
    return ++(*(size_t *)data) == 5 ? 42 : 0;
}

static void test_bbox_and_visitors(void **state)
{
    (void)state;
    rng_seed(5);
    ref_t r;
    /* 4,000 points in a 0.2 degree square straddling the antimeridian. */
    geo_index_t *idx = geo_index_new(NULL);
    assert_non_null(idx);
    ref_init(&r, 4000);
    for (size_t i = 0; i < r.n; i++) {
        r.ids[i] = i + 1;
        geo_point_t p = {-17.1 + rng01() * 0.2, geo_lng_normalize(179.9 + rng01() * 0.2)};
        assert_int_equal(geo_index_insert(idx, r.ids[i], p), GEO_OK);
        ref_sync(&r, idx, i);
    }
    geo_bbox_t boxes[] = {{-17.05, 179.95, -16.95, -179.95},
                          {-17.2, 179.8, -16.8, 180},
                          {-17.03, -179.99, -17.0, -179.97},
                          {-90, -180, 90, 180}};
    uint64_t *ids = malloc(r.n * sizeof *ids);
    for (size_t b = 0; b < sizeof boxes / sizeof *boxes; b++) {
        size_t want = 0;
        for (size_t i = 0; i < r.n; i++) {
            geo_point_t p = r.pts[i];
            if (p.lng == -180 && boxes[b].east == 180)
                p.lng = 180;
            want += geo_bbox_contains(&boxes[b], p);
        }
        size_t total = 0, cap = want > 3 ? want - 3 : want;
        assert_int_equal(geo_index_bbox(idx, &boxes[b], ids, cap, &total), GEO_OK);
        assert_int_equal(total, want);
        for (size_t i = 0; i < cap; i++) {
            geo_point_t p;
            assert_int_equal(geo_index_get(idx, ids[i], &p), GEO_OK);
            if (p.lng == -180 && boxes[b].east == 180)
                p.lng = 180;
            assert_true(geo_bbox_contains(&boxes[b], p));
        }
    }
    assert_true(boxes[0].west > boxes[0].east);
    size_t cnt = 0;
    assert_int_equal(geo_index_radius_each(idx, (geo_point_t){-17, 180}, 3000, count_cb, &cnt),
                     GEO_OK);
    bf_hit_t *want = malloc(r.n * sizeof *want);
    assert_int_equal(cnt, brute(&r, (geo_point_t){-17, 180}, 3000, want));
    assert_true(cnt > 10);
    cnt = 0;
    assert_int_equal(geo_index_radius_each(idx, (geo_point_t){-17, 180}, 3000, stop_cb, &cnt), 42);
    assert_int_equal(cnt, 5);
    assert_int_equal(geo_index_bbox_each(idx, &(geo_bbox_t){1, 0, 0, 1}, count_cb, &cnt),
                     GEO_EINVAL);
    free(want);
    free(ids);
    geo_index_free(idx);
    ref_free(&r);
}

static void test_duplicates_and_limits(void **state)
{
    (void)state;
    geo_index_t *idx = geo_index_new(NULL);
    assert_non_null(idx);
    geo_point_t spot = {35.6812, 139.7671};
    /* 3000 points on one spot: ties resolve by id, buffers must grow. */
    for (uint64_t i = 0; i < 3000; i++)
        assert_int_equal(geo_index_insert(idx, 3000 - i, spot), GEO_OK);
    geo_index_hit_t *h = malloc(3000 * sizeof *h);
    size_t n;
    assert_int_equal(geo_index_nearest(idx, spot, 10, 10, h, &n), GEO_OK);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(h[i].id, i + 1);
        assert_true(h[i].dist_m == 0.0);
    }
    assert_int_equal(geo_index_radius(idx, spot, 1, 3000, h, &n), GEO_OK);
    assert_int_equal(n, 3000);
    assert_int_equal(h[2999].id, 3000);
    assert_int_equal(geo_index_nearest(idx, spot, 10, 0, NULL, &n), GEO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(geo_index_nearest(idx, spot, -1, 3, h, &n), GEO_EINVAL);
    assert_int_equal(geo_index_nearest(idx, (geo_point_t){NAN, 0}, 5, 3, h, &n), GEO_EINVAL);
    assert_int_equal(geo_index_radius(idx, spot, NAN, 3, h, &n), GEO_EINVAL);
    assert_null(geo_index_new(&(geo_index_options_t){.cell_m = 0.5}));
    assert_null(geo_index_new(&(geo_index_options_t){.cell_m = NAN}));
    /* Longitude 180 is stored as -180 and found from both sides. */
    assert_int_equal(geo_index_insert(idx, 9999, (geo_point_t){0, 180}), GEO_OK);
    geo_point_t p;
    assert_int_equal(geo_index_get(idx, 9999, &p), GEO_OK);
    assert_true(p.lng == -180.0);
    assert_int_equal(geo_index_nearest(idx, (geo_point_t){0, 179.9999}, 100, 1, h, &n), GEO_OK);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].id, 9999);
    size_t total;
    uint64_t one;
    assert_int_equal(geo_index_bbox(idx, &(geo_bbox_t){-1, 179, 1, 180}, &one, 1, &total),
                     GEO_OK);
    assert_int_equal(total, 1);
    free(h);
    geo_index_free(idx);
    geo_index_free(NULL);
}

static void test_presized(void **state)
{
    (void)state;
    rng_seed(77);
    geo_index_options_t o = {.cell_m = 500, .expected = 10000};
    geo_index_t *idx = geo_index_new(&o);
    assert_non_null(idx);
    size_t before = geo_index_memory(idx);
    for (uint64_t i = 0; i < 10000; i++)
        assert_int_equal(geo_index_insert(idx, i * 0x9E3779B97F4A7C15ULL,
                                          (geo_point_t){rng01(), rng01()}), GEO_OK);
    assert_true(geo_index_memory(idx) > before);
    for (uint64_t i = 0; i < 10000; i++) {
        geo_point_t p;
        assert_int_equal(geo_index_get(idx, i * 0x9E3779B97F4A7C15ULL, &p), GEO_OK);
    }
    geo_index_free(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest_vs_brute),
        cmocka_unit_test(test_move_remove),
        cmocka_unit_test(test_world_antimeridian_poles),
        cmocka_unit_test(test_bbox_and_visitors),
        cmocka_unit_test(test_duplicates_and_limits),
        cmocka_unit_test(test_presized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

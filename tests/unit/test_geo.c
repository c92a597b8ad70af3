/* tests/unit/test_geo.c -- great-circle maths, bboxes and polylines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"

static void test_haversine_known(void **state)
{
    (void)state;
    geo_point_t a = {0, 0}, b = {0, 1};
    /* One degree of arc on the mean sphere. */
    assert_float_equal(geo_distance_m(a, b), GEO_EARTH_RADIUS_M * M_PI / 180.0, 1e-6);
    assert_float_equal(geo_distance_m(a, b), 111195.08, 0.01);
    /* Rosetta Code "Haversine formula": BNA -> LAX is 2887.2599506071106 km
     * on a sphere of radius 6372.8 km; scale to ours. */
    geo_point_t bna = {36.12, -86.67}, lax = {33.94, -118.40};
    double km = geo_distance_m(bna, lax) / 1000.0 * 6372.8 / (GEO_EARTH_RADIUS_M / 1000.0);
    assert_float_equal(km, 2887.2599506071106, 1e-6);
    /* Half the circumference between antipodes, symmetric, zero to itself. */
    geo_point_t c = {0, 180};
    assert_float_equal(geo_distance_m(a, c), M_PI * GEO_EARTH_RADIUS_M, 1e-3);
    assert_float_equal(geo_distance_m(bna, lax), geo_distance_m(lax, bna), 1e-9);
    assert_true(geo_distance_m(lax, lax) == 0.0);
    /* Across the antimeridian: 0.002 degrees of longitude at the equator. */
    geo_point_t w = {0, 179.999}, e = {0, -179.999};
    assert_float_equal(geo_distance_m(w, e), 0.002 * GEO_EARTH_RADIUS_M * M_PI / 180, 1e-3);
}

static void test_bearing_destination(void **state)
{
    (void)state;
    geo_point_t o = {0, 0};
    assert_float_equal(geo_bearing_deg(o, (geo_point_t){1, 0}), 0.0, 1e-9);
    assert_float_equal(geo_bearing_deg(o, (geo_point_t){0, 1}), 90.0, 1e-9);
    assert_float_equal(geo_bearing_deg(o, (geo_point_t){-1, 0}), 180.0, 1e-9);
    assert_float_equal(geo_bearing_deg(o, (geo_point_t){0, -1}), 270.0, 1e-9);
    assert_float_equal(geo_bearing_deg(o, o), 0.0, 0);
    geo_point_t p = {43.7384, 7.4246};
    for (int b = 0; b < 360; b += 37) {
        geo_point_t q = geo_destination(p, b, 1234.5);
        assert_float_equal(geo_distance_m(p, q), 1234.5, 1e-6);
        assert_float_equal(geo_bearing_deg(p, q), (double)b, 1e-6);
    }
    geo_point_t q = geo_destination((geo_point_t){10, 179.99}, 90, 5000);
    assert_true(geo_point_valid(q));
    assert_true(q.lng < -179.9);
}

static void test_validation(void **state)
{
    (void)state;
    assert_true(geo_point_valid((geo_point_t){90, -180}));
    assert_true(geo_point_valid((geo_point_t){-90, 180}));
    assert_false(geo_point_valid((geo_point_t){90.0001, 0}));
    assert_false(geo_point_valid((geo_point_t){0, -180.0001}));
    assert_false(geo_point_valid((geo_point_t){NAN, 0}));
    assert_false(geo_point_valid((geo_point_t){0, INFINITY}));
    assert_float_equal(geo_lng_normalize(190), -170, 1e-9);
    assert_float_equal(geo_lng_normalize(-190), 170, 1e-9);
    assert_float_equal(geo_lng_normalize(540), -180, 1e-9);
    assert_float_equal(geo_lng_normalize(180), -180, 1e-9);
    assert_float_equal(geo_lng_normalize(12.5), 12.5, 0);
    assert_string_equal(geo_err_name(GEO_EUNREACHABLE), "GEO_EUNREACHABLE");
    assert_string_equal(geo_strerror(GEO_ETRUNCATED), "input is truncated");
    assert_string_equal(geo_strerror(12345), "unknown error");
}

static void test_bbox(void **state)
{
    (void)state;
    geo_bbox_t b;
    assert_int_equal(geo_bbox_around((geo_point_t){0, 0}, 1000, &b), GEO_OK);
    double dlat = 1000 / GEO_EARTH_RADIUS_M * 180 / M_PI;
    assert_float_equal(b.north, dlat, 1e-12);
    assert_float_equal(b.south, -dlat, 1e-12);
    assert_float_equal(b.east, dlat, 1e-9);
    /* Every point on the circle lies in the box. */
    geo_point_t c = {60, 20};
    assert_int_equal(geo_bbox_around(c, 5000, &b), GEO_OK);
    for (int d = 0; d < 360; d += 5)
        assert_true(geo_bbox_contains(&b, geo_destination(c, d, 4999.9)));
    assert_false(geo_bbox_contains(&b, geo_destination(c, 0, 5100)));
    /* Across the antimeridian. */
    assert_int_equal(geo_bbox_around((geo_point_t){-17, 179.999}, 1000, &b), GEO_OK);
    assert_true(b.west > b.east);
    assert_true(geo_bbox_contains(&b, (geo_point_t){-17, -179.999}));
    assert_true(geo_bbox_contains(&b, (geo_point_t){-17, 179.995}));
    assert_false(geo_bbox_contains(&b, (geo_point_t){-17, 0}));
    /* Touching a pole: every longitude. */
    assert_int_equal(geo_bbox_around((geo_point_t){89.999, 0}, 1000, &b), GEO_OK);
    assert_true(b.west == -180 && b.east == 180 && b.north == 90);
    assert_int_equal(geo_bbox_around((geo_point_t){0, 0}, -1, &b), GEO_EINVAL);
    assert_int_equal(geo_bbox_around((geo_point_t){91, 0}, 1, &b), GEO_EINVAL);
    assert_false(geo_bbox_valid(&(geo_bbox_t){1, 0, 0, 1}));
}

static void test_polyline_google_example(void **state)
{
    (void)state;
    /* developers.google.com/maps/documentation/utilities/polylinealgorithm */
    const geo_point_t pts[] = {{38.5, -120.2}, {40.7, -120.95}, {43.252, -126.453}};
    const char *want = "_p~iF~ps|U_ulLnnqC_mqNvxq`@";
    char buf[64];
    size_t len = 0;
    assert_int_equal(geo_polyline_encoded_len(pts, 3, 5), strlen(want));
    assert_int_equal(geo_polyline_encode(pts, 3, 5, buf, sizeof buf, &len), GEO_OK);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    geo_point_t *out = NULL;
    size_t n = 0;
    assert_int_equal(geo_polyline_decode(want, strlen(want), 5, &out, &n), GEO_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_float_equal(out[i].lat, pts[i].lat, 1e-9);
        assert_float_equal(out[i].lng, pts[i].lng, 1e-9);
    }
    free(out);
    /* Buffer one byte too small for the NUL. */
    assert_int_equal(geo_polyline_encode(pts, 3, 5, buf, strlen(want), &len), GEO_ERANGE);
}

static void test_polyline_roundtrip(void **state)
{
    (void)state;
    srand(7);
    enum { N = 500 };
    geo_point_t *pts = malloc(N * sizeof *pts);
    assert_non_null(pts);
    for (int i = 0; i < N; i++) {
        pts[i].lat = -90 + 180.0 * rand() / RAND_MAX;
        pts[i].lng = -180 + 360.0 * rand() / RAND_MAX;
    }
    for (int prec = 5; prec <= 6; prec++) {
        size_t need = geo_polyline_encoded_len(pts, N, prec);
        assert_true(need > 0);
        char *s = malloc(need + 1);
        assert_non_null(s);
        assert_int_equal(geo_polyline_encode(pts, N, prec, s, need + 1, NULL), GEO_OK);
        assert_int_equal(strlen(s), need);
        geo_point_t *out;
        size_t n;
        assert_int_equal(geo_polyline_decode(s, need, prec, &out, &n), GEO_OK);
        assert_int_equal(n, N);
        double tol = (prec == 5 ? 0.5e-5 : 0.5e-6) + 1e-12;
        for (int i = 0; i < N; i++) {
            assert_true(fabs(out[i].lat - pts[i].lat) <= tol);
            assert_true(fabs(out[i].lng - pts[i].lng) <= tol);
        }
        free(out);
        free(s);
    }
    free(pts);
}

static void test_polyline_bad_input(void **state)
{
    (void)state;
    geo_point_t *out = (geo_point_t *)1;
    size_t n = 99;
    assert_int_equal(geo_polyline_decode("", 0, 5, &out, &n), GEO_OK);
    assert_null(out);
    assert_int_equal(n, 0);
    /* A dangling chunk (continuation bit set at the end). */
    assert_int_equal(geo_polyline_decode("_p~iF~ps|", 9, 5, &out, &n), GEO_EFORMAT);
    /* Only a latitude. */
    assert_int_equal(geo_polyline_decode("_p~iF", 5, 5, &out, &n), GEO_EFORMAT);
    /* Character outside '?'..'~'. */
    assert_int_equal(geo_polyline_decode("_p~iF ps|U", 10, 5, &out, &n), GEO_EFORMAT);
    /* Overlong varint. */
    assert_int_equal(geo_polyline_decode("~~~~~~~~~~~~~~~~~~??", 20, 5, &out, &n), GEO_EFORMAT);
    /* Decodes, but latitude 1000 is out of range. */
    geo_point_t big[] = {{80, 0}, {80, 0}};
    char buf[64];
    assert_int_equal(geo_polyline_encode(big, 2, 5, buf, sizeof buf, NULL), GEO_OK);
    assert_string_equal(buf, "__hgN???"); /* (80, 0), then a zero delta */
    assert_int_equal(geo_polyline_decode("__hgN?", 6, 5, &out, &n), GEO_OK);
    assert_int_equal(n, 1);
    assert_float_equal(out[0].lat, 80.0, 1e-9);
    free(out);
    /* 80, then a +80 delta: latitude 160 is out of range. */
    assert_int_equal(geo_polyline_decode("__hgN?__hgN?", 12, 5, &out, &n), GEO_EFORMAT);
    assert_int_equal(geo_polyline_decode("??", 2, 7, &out, &n), GEO_EINVAL);
    assert_int_equal(geo_polyline_encode(big, 2, 4, buf, sizeof buf, NULL), GEO_EINVAL);
    geo_point_t bad[] = {{NAN, 0}};
    assert_int_equal(geo_polyline_encode(bad, 1, 5, buf, sizeof buf, NULL), GEO_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_haversine_known),
        cmocka_unit_test(test_bearing_destination),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_bbox),
        cmocka_unit_test(test_polyline_google_example),
        cmocka_unit_test(test_polyline_roundtrip),
        cmocka_unit_test(test_polyline_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h(http_req_t *r) { (void)r; }

static const route_t routes[] = {
    {"GET", "/health", h, 0, 0, "", 0},
    {"GET", "/v1/trips", h, 0, 0, "", 0},
    {"POST", "/v1/trips", h, 0, 0, "", 0},
    {"GET", "/v1/trips/:id", h, 0, 0, "", 0},
    {"PUT", "/v1/trips/:id", h, 0, 0, "", 0},
    {"GET", "/v1/trips/:id/destinations/:dest", h, 0, 0, "", 0},
    {"GET", "/v1/trips/search", h, 0, 0, "", 0},
};

static router_t *make(void)
{
    char err[128];
    router_t *r = router_new(routes, 7, err, sizeof err);
    assert_non_null(r);
    return r;
}

static void match(router_t *r, const char *method, const char *path, router_match_t *m)
{
    static char buf[256];
    strcpy(buf, path);
    router_match(r, method, buf, m);
}

static void test_static_and_params(void **state)
{
    (void)state;
    router_t *r = make();
    router_match_t m;
    match(r, "GET", "/health", &m);
    assert_int_equal(m.status, ROUTER_FOUND);
    assert_int_equal(m.route_index, 0);
    match(r, "GET", "/v1/trips/abc", &m);
    assert_int_equal(m.status, ROUTER_FOUND);
    assert_int_equal(m.route_index, 3);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.names[0], "id");
    assert_string_equal(m.values[0], "abc");
    match(r, "GET", "/v1/trips/t1/destinations/d2", &m);
    assert_int_equal(m.route_index, 5);
    assert_string_equal(m.values[0], "t1");
    assert_string_equal(m.values[1], "d2");
    match(r, "GET", "/v1/trips/search", &m); /* static wins */
    assert_int_equal(m.route_index, 6);
    assert_int_equal(m.nparams, 0);
    match(r, "HEAD", "/v1/trips", &m);
    assert_int_equal(m.route_index, 1);
    router_free(r);
}

static void test_not_found_and_405(void **state)
{
    (void)state;
    router_t *r = make();
    router_match_t m;
    match(r, "GET", "/nope", &m);
    assert_int_equal(m.status, ROUTER_NOT_FOUND);
    match(r, "GET", "/v1/trips/a/b", &m);
    assert_int_equal(m.status, ROUTER_NOT_FOUND);
    match(r, "GET", "//v1", &m);
    assert_int_equal(m.status, ROUTER_NOT_FOUND);
    match(r, "DELETE", "/v1/trips/x", &m);
    assert_int_equal(m.status, ROUTER_BAD_METHOD);
    assert_string_equal(m.allow, "GET, HEAD, PUT");
    router_free(r);
}

static void test_bad_tables(void **state)
{
    (void)state;
    char err[128];
    const route_t dup[] = {{"GET", "/a", h, 0, 0, "", 0}, {"GET", "/a", h, 0, 0, "", 0}};
    assert_null(router_new(dup, 2, err, sizeof err));
    assert_non_null(strstr(err, "duplicate"));
    const route_t clash[] = {{"GET", "/a/:x", h, 0, 0, "", 0}, {"GET", "/a/:y/b", h, 0, 0, "", 0}};
    assert_null(router_new(clash, 2, err, sizeof err));
    const route_t rel[] = {{"GET", "a", h, 0, 0, "", 0}};
    assert_null(router_new(rel, 1, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_and_params),
        cmocka_unit_test(test_not_found_and_405),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

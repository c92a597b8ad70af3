/* Unit tests for src/cluster/: REDIS_URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster/cluster_int.h"

static void url_ok(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    assert_int_equal(cluster_parse_url("redis://127.0.0.1:6390", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6390);
    assert_int_equal(cluster_parse_url("redis://cache.internal", host, sizeof host, &port), 0);
    assert_string_equal(host, "cache.internal");
    assert_int_equal(port, 6379);
    assert_int_equal(cluster_parse_url("redis://r1:7000/0", host, sizeof host, &port), 0);
    assert_string_equal(host, "r1");
    assert_int_equal(port, 7000);
}

static void url_bad(void **state)
{
    (void)state;
    char host[8];
    int port = 0;
    const char *bad[] = {NULL, "", "http://x:1", "redis://", "redis://:6379", "redis://h:",
                         "redis://h:0", "redis://h:65536", "redis://h:12ab", "redis://h@x",
                         "redis://averyverylonghost:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cluster_parse_url(bad[i], host, sizeof host, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(url_ok), cmocka_unit_test(url_bad)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for src/cluster/: REDIS_URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cluster/cluster_int.h"

static void url_ok(void **state)
{
    (void)state;
    cluster_url_t u;
    assert_int_equal(cluster_parse_url("redis://127.0.0.1:6390", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6390);
    assert_string_equal(u.pass, "");
    assert_int_equal(cluster_parse_url("redis://cache.internal", &u), 0);
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.port, 6379);
    assert_int_equal(cluster_parse_url("redis://r1:7000/0", &u), 0);
    assert_string_equal(u.host, "r1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 0);
    assert_int_equal(cluster_parse_url("redis://r1/3", &u), 0);
    assert_int_equal(u.db, 3);
}

static void url_auth(void **state)
{
    (void)state;
    cluster_url_t u;
    assert_int_equal(cluster_parse_url("redis://:s3cret@10.0.0.5:6380/2", &u), 0);
    assert_string_equal(u.user, "");
    assert_string_equal(u.pass, "s3cret");
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_int_equal(cluster_parse_url("redis://app:p%40ss%3Aw@h", &u), 0);
    assert_string_equal(u.user, "app");
    assert_string_equal(u.pass, "p@ss:w");
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 6379);
    /* a raw '@' in the password: the last '@' ends the credentials */
    assert_int_equal(cluster_parse_url("redis://:a@b@h:1", &u), 0);
    assert_string_equal(u.pass, "a@b");
    assert_string_equal(u.host, "h");
}

static void url_bad(void **state)
{
    (void)state;
    cluster_url_t u;
    const char *bad[] = {NULL, "", "http://x:1", "redis://", "redis://:6379", "redis://h:",
                         "redis://h:0", "redis://h:65536", "redis://h:12ab", "redis://h@x",
                         "redis://:@h", "redis://:p%4@h", "redis://:p%00@h", "rediss://:p@h",
                         "redis://h/x", "redis://h/16", "redis://:p@", "redis://:p@:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cluster_parse_url(bad[i], &u), -1);
    char longhost[400];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost, "redis://", 8);
    longhost[sizeof longhost - 1] = '\0';
    assert_int_equal(cluster_parse_url(longhost, &u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(url_ok), cmocka_unit_test(url_auth),
                                       cmocka_unit_test(url_bad)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

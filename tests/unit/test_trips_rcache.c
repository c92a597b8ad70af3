/* Unit tests for src/api/trips_rcache.c: a hit needs the same trip, change
 * mark and version; a put replaces; sets keep 4 ways with the least
 * recently used out; oversize texts are not kept; remembered checks need
 * the same trip, user and stamp. Runs in a thread so that the per-thread
 * table is freed by its key destructor (LeakSanitizer checks it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/trips_rcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *entries(void *arg)
{
    (void)arg;
    rcache_hit_t h;
    assert_false(rcache_get("t1", 5, 1, &h));
    rcache_put("t1", 5, 1, "{\"id\":1,\"d\":[]}", 8, 15);
    assert_true(rcache_get("t1", 5, 1, &h));
    assert_int_equal(h.head, 8);
    assert_int_equal(h.len, 15);
    assert_memory_equal(h.text, "{\"id\":1,\"d\":[]}", 15);
    assert_false(rcache_get("t1", 6, 1, &h)); /* a change logged since */
    assert_false(rcache_get("t1", 5, 2, &h)); /* another trip version */
    assert_false(rcache_get("t2", 5, 1, &h));
    rcache_put("t1", 6, 1, "{}", 1, 2);
    assert_false(rcache_get("t1", 5, 1, &h));
    assert_true(rcache_get("t1", 6, 1, &h));
    assert_int_equal(h.len, 2);
    /* Many trips: the most recently used ones of every set stay. */
    char id[16];
    for (int i = 0; i < 4000; i++) {
        snprintf(id, sizeof id, "k%d", i);
        rcache_put(id, i, 1, id, 0, strlen(id));
    }
    int kept = 0;
    for (int i = 0; i < 4000; i++) {
        snprintf(id, sizeof id, "k%d", i);
        if (rcache_get(id, i, 1, &h)) {
            assert_memory_equal(h.text, id, strlen(id));
            kept++;
        }
    }
    assert_true(kept > 1500 && kept <= 2048);
    for (int i = 3990; i < 4000; i++) { /* the last ones put are never the victims */
        snprintf(id, sizeof id, "k%d", i);
        assert_true(rcache_get(id, i, 1, &h));
    }
    char *big = malloc((2u << 20) + 1);
    memset(big, 'x', 2u << 20);
    rcache_put("big", 1, 1, big, 0, 2u << 20);
    assert_false(rcache_get("big", 1, 1, &h));
    free(big);
    return NULL;
}

static void *checks(void *arg)
{
    (void)arg;
    uint64_t s1[2] = {7, 3}, s2[2] = {8, 3};
    rcache_check_t ck = {.role = 2, .version = 4, .mark = 90, .has_mark = true}, got;
    assert_false(rcache_check_get("t", "u", s1, &got));
    rcache_check_put("t", "u", s1, &ck);
    assert_true(rcache_check_get("t", "u", s1, &got));
    assert_int_equal(got.role, 2);
    assert_int_equal(got.version, 4);
    assert_int_equal(got.mark, 90);
    assert_false(rcache_check_get("t", "u", s2, &got)); /* the database changed */
    assert_false(rcache_check_get("t", "v", s1, &got)); /* another caller */
    assert_false(rcache_check_get("x", "u", s1, &got));
    return NULL;
}

static void in_thread(void *(*fn)(void *))
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_entries(void **state)
{
    (void)state;
    in_thread(entries);
}

static void test_checks(void **state)
{
    (void)state;
    in_thread(checks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

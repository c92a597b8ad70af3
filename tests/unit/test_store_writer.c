/*
 * test_store_writer.c - the SQLite driver's process write path
 * (src/store/sqlite_writer.c): two threads writing at once through their
 * own connections never meet SQLITE_BUSY (no busy-handler call at all:
 * the process mutex serialises them), every row and every increment is
 * there; a rolled-back write transaction leaves nothing and frees the
 * lock; a second connection of the same thread is refused at once
 * instead of waiting on itself; the background checkpointer copies the
 * WAL back so the writer restarts it (the WAL does not grow without
 * bound); a connection reads what it wrote through the writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_fixture.h"

#define PER_THREAD 1500

typedef struct {
    store_t *s;
    int who, failures;
} worker_t;

/* Write transactions (insert + read-modify-write of one counter) and
 * one-statement writes outside a transaction, alternating. */
static void *writer(void *arg)
{
    worker_t *w = arg;
    store_conn_t *c = store_conn_open(w->s, NULL);
    char pad[600];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++) {
        apierr_t e = {0};
        store_arg_t a[] = {ARG_INT(w->who), ARG_TEXT(pad)};
        if (i % 3 == 2) {
            if (store_exec(c, "INSERT INTO t (who, pad) VALUES ($1, $2)", a, 2, &e) < 0)
                w->failures++;
            if (store_exec(c, "UPDATE n SET v = v + 1 WHERE k = 1", NULL, 0, &e) < 0)
                w->failures++;
            continue;
        }
        if (rmw_once(c, w->who, pad) < 0)
            w->failures++;
    }
    store_conn_close(c);
    return NULL;
}

static void test_two_threads(void **state)
{
    fx_t *f = *state;
    pthread_t th[2];
    worker_t w[2] = {{.s = f->s, .who = 1}, {.s = f->s, .who = 2}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
    store_conn_t *c = store_conn_open(f->s, NULL);
    assert_int_equal(one_int(c, "SELECT COUNT(*) FROM t"), 2 * PER_THREAD);
    assert_int_equal(one_int(c, "SELECT COUNT(*) FROM t WHERE who = 1"), PER_THREAD);
    /* Lost updates would show here: every read-modify-write counted. */
    assert_int_equal(one_int(c, "SELECT v FROM n WHERE k = 1"), 2 * PER_THREAD);
    store_conn_close(c);
    sq_stats_t st;
    sq_stats(f->s, &st);
    assert_int_equal(st.busy_waits, 0); /* the mutex, not SQLite's lock, serialised them */
}

static void test_rollback_frees_lock(void **state)
{
    fx_t *f = *state;
    store_conn_t *a = store_conn_open(f->s, NULL), *b = store_conn_open(f->s, NULL);
    apierr_t e = {0};
    assert_int_equal(store_begin(a, true, &e), 0);
    assert_int_equal(store_exec(a, "INSERT INTO t (who) VALUES (7)", NULL, 0, &e), 0);
    assert_int_equal(one_int(a, "SELECT COUNT(*) FROM t WHERE who = 7"), 1); /* own write */
    /* b on the same thread while a holds the lock: refused at once. */
    assert_int_equal(store_begin(b, true, &e), -1);
    assert_int_equal(e.status, 503);
    apierr_clear(&e);
    store_rollback(a);
    assert_int_equal(one_int(b, "SELECT COUNT(*) FROM t WHERE who = 7"), 0);
    /* The lock is free again: b writes, a reads it outside a transaction. */
    assert_int_equal(store_begin(b, true, &e), 0);
    assert_int_equal(store_exec(b, "INSERT INTO t (who) VALUES (8)", NULL, 0, &e), 0);
    assert_int_equal(store_commit(b, &e), 0);
    assert_int_equal(one_int(a, "SELECT COUNT(*) FROM t WHERE who = 8"), 1);
    /* A write outside a transaction, then read back on the same conn. */
    assert_int_equal(store_exec(a, "INSERT INTO t (who) VALUES (9)", NULL, 0, &e), 0);
    assert_int_equal(one_int(a, "SELECT COUNT(*) FROM t WHERE who = 9"), 1);
    store_conn_close(a);
    store_conn_close(b);
}

/* The writer's WAL is copied back by the checkpointer thread and, once it
 * holds TRAVLOC_SQLITE_RESTART_FRAMES frames, finished under the write
 * lock so the next commit starts it over: under a steady stream of
 * commits the WAL's frame count falls back instead of growing forever. */
static void test_checkpointer(void **state)
{
    fx_t *f = *state;
    store_conn_t *c = store_conn_open(f->s, NULL);
    char pad[3000];
    memset(pad, 'y', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    apierr_t e = {0};
    sq_stats_t st;
    uint64_t low = UINT64_MAX; /* fewest WAL frames seen after a restart */
    int i = 0;
    /* Bounded: 100,000 rows (the checkpointer runs long before). */
    for (sq_stats(f->s, &st); (st.restarts < 3 || low == UINT64_MAX) && i < 100000; i++) {
        store_arg_t a[] = {ARG_INT(i), ARG_TEXT(pad)};
        assert_int_equal(store_exec(c, "INSERT INTO t (who, pad) VALUES ($1, $2)", a, 2, &e), 0);
        if (i % 200 == 199)
            usleep(500); /* a turn for the checkpointer on a loaded machine */
        sq_stats(f->s, &st);
        if (st.restarts >= 1 && st.wal_frames < low)
            low = st.wal_frames;
    }
    assert_true(st.checkpoints >= 3);
    assert_true(st.restarts >= 3);
    assert_true(low < 100); /* started over: one insert is a few frames */
    store_arg_t a[] = {ARG_INT(0)};
    store_res_t *r = NULL;
    assert_int_equal(store_query(c, "SELECT COUNT(*) FROM t WHERE who >= $1", a, 1, &r, &e), 0);
    assert_int_equal(store_int(r, 0, 0), i);
    store_res_free(r);
    store_conn_close(c);
}

static int setup_small_wal(void **state)
{
    setenv("TRAVLOC_SQLITE_CKPT_FRAMES", "200", 1);
    setenv("TRAVLOC_SQLITE_RESTART_FRAMES", "1000", 1);
    int rc = setup(state);
    unsetenv("TRAVLOC_SQLITE_CKPT_FRAMES");
    unsetenv("TRAVLOC_SQLITE_RESTART_FRAMES");
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_frees_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpointer, setup_small_wal, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

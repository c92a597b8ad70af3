/*
 * test_store_group.c - group commit of the SQLite driver
 * (src/store/sqlite_writer.c): write transactions of coroutines on a loop
 * become savepoints of one outer transaction committed at the end of the
 * loop's turn.
 *
 * Shown here: twenty transactions started in one turn commit as one group
 * and each caller returns only after that COMMIT (nothing is visible to
 * another connection before it); a member that fails (a unique key) or
 * rolls back loses only its own writes, and returns after the COMMIT too
 * (what it collided with is readable then); a member of another loop is
 * committed by its own loop's turn end, not the opener's; a writer outside a coroutine
 * commits an open group first; two loops writing read-modify-write
 * counters at once lose no update; TRAVLOC_SQLITE_GROUP=0 turns it off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/coro.h"
#include "core/loopctx.h"
#include "sqlite_fixture.h"

#define MEMBERS 20

static _Thread_local int g_finished; /* members finished on this thread's loop */

/* One loop on this thread, its connection, coroutines writing on it; a
 * timer keeps the loop alive (as a server's listener does) until *done
 * counts `want` finished coroutines. */
typedef struct {
    uv_loop_t loop;
    loop_ctx_t lc;
    uv_timer_t keep;
    int *done, want;
} lp_t;

static void keep_cb(uv_timer_t *t)
{
    lp_t *l = t->data;
    if (*l->done >= l->want)
        uv_timer_stop(t);
}

/* Runs the loop until want coroutines counted themselves in *done. */
static void lp_run(lp_t *l, int *done, int want)
{
    l->done = done;
    l->want = want;
    uv_timer_init(&l->loop, &l->keep);
    l->keep.data = l;
    uv_timer_start(&l->keep, keep_cb, 1, 1);
    uv_run(&l->loop, UV_RUN_DEFAULT);
}

static void lp_init(lp_t *l, store_t *s)
{
    memset(l, 0, sizeof *l);
    uv_loop_init(&l->loop);
    l->lc.loop = &l->loop;
    l->lc.group_commit = true;
    l->lc.db = store_conn_open(s, &l->loop);
    loop_ctx_set(&l->lc);
    g_finished = 0;
}

static void close_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void lp_fini(lp_t *l)
{
    store_conn_close(l->lc.db);
    uv_walk(&l->loop, close_cb, NULL);
    uv_run(&l->loop, UV_RUN_DEFAULT);
    uv_loop_close(&l->loop);
    loop_ctx_set(NULL);
}

/* A member: insert row `id` (who = k), or roll back when k < 0. */
typedef struct {
    int id, who;
    int rc, status;
    int seen; /* after a 409: rows with its id another connection reads */
    bool done;
} member_t;


static void member_run(void *arg)
{
    member_t *m = arg;
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t e = {0};
    store_arg_t a[] = {ARG_INT(m->id), ARG_INT(m->who)};
    m->rc = store_begin(db, true, &e);
    if (m->rc == 0)
        m->rc = store_exec(db, "INSERT INTO t (id, who) VALUES ($1, $2)", a, 2, &e);
    if (m->rc == 0 && m->who < 0) {
        store_rollback(db);
    } else if (m->rc == 0) {
        m->rc = store_commit(db, &e);
    } else {
        store_rollback(db);
    }
    m->status = e.status;
    apierr_clear(&e);
    if (m->status == 409) { /* what it conflicted with: readable now */
        store_res_t *r = NULL;
        if (store_query(db, "SELECT COUNT(*) FROM t WHERE id = $1", a, 1, &r, &e) == 0)
            m->seen = (int)store_int(r, 0, 0);
        store_res_free(r);
    }
    m->done = true;
    g_finished++;
}

static void start_members(member_t *m, int n)
{
    for (int i = 0; i < n; i++) {
        coro_t *co = coro_spawn(member_run, NULL, &m[i]);
        assert_non_null(co);
        coro_resume(co); /* runs up to its wait for the group's COMMIT */
    }
}

static void test_one_group(void **state)
{
    fx_t *f = *state;
    lp_t l;
    lp_init(&l, f->s);
    store_conn_t *other = store_conn_open(f->s, NULL);
    sq_stats_t st0, st1;
    sq_stats(f->s, &st0);
    member_t m[MEMBERS] = {0};
    for (int i = 0; i < MEMBERS; i++)
        m[i] = (member_t){.id = 100 + i, .who = 1};
    m[5].id = 100;  /* the same key as m[0]: 409, only for it */
    m[7].who = -1;  /* rolls back */
    start_members(m, MEMBERS);
    for (int i = 0; i < MEMBERS; i++) /* all wait, the failed ones too */
        assert_false(m[i].done);
    /* Not committed yet: another connection sees nothing. */
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t"), 0);
    lp_run(&l, &g_finished, MEMBERS);
    for (int i = 0; i < MEMBERS; i++) {
        assert_true(m[i].done);
        if (i != 5)
            assert_int_equal(m[i].rc, 0);
    }
    assert_int_equal(m[5].rc, -1);
    assert_int_equal(m[5].status, 409);
    /* The row m[5] collided with (m[0]'s, uncommitted then) was committed
     * before m[5]'s caller went on: it reads it on its own connection. */
    assert_int_equal(m[5].seen, 1);
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t"), MEMBERS - 2);
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t WHERE who < 0"), 0);
    sq_stats(f->s, &st1);
    assert_int_equal(st1.group_commits - st0.group_commits, 1);
    assert_int_equal(st1.grouped - st0.grouped, MEMBERS - 2);
    store_conn_close(other);
    lp_fini(&l);
}

/* A write outside a coroutine (the loop's own stack here) commits the open
 * group before its own statement; the members then return committed. */
static void test_outside_writer_flushes(void **state)
{
    fx_t *f = *state;
    lp_t l;
    lp_init(&l, f->s);
    store_conn_t *other = store_conn_open(f->s, NULL);
    member_t m[3] = {{.id = 1, .who = 2}, {.id = 2, .who = 2}, {.id = 3, .who = 2}};
    start_members(m, 3);
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t"), 0);
    apierr_t e = {0};
    assert_int_equal(store_exec(l.lc.db, "UPDATE n SET v = 42 WHERE k = 1", NULL, 0, &e), 0);
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t"), 3); /* the group committed */
    assert_int_equal(one_int(other, "SELECT v FROM n WHERE k = 1"), 42);
    lp_run(&l, &g_finished, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(m[i].done);
        assert_int_equal(m[i].rc, 0);
    }
    store_conn_close(other);
    lp_fini(&l);
}

/* Twenty groups opened and committed within one turn of a loop (a write
 * outside a coroutine commits each): the loop's end-of-turn commit is due
 * once, not once per group (its 8 slots would run out: BEGIN refused). */
static void test_many_groups_one_turn(void **state)
{
    fx_t *f = *state;
    lp_t l;
    lp_init(&l, f->s);
    member_t m[MEMBERS] = {0};
    int started = 0;
    for (int i = 0; i < MEMBERS; i++) {
        m[i] = (member_t){.id = 500 + i, .who = 5};
        start_members(&m[i], 1);
        started++;
        apierr_t e = {0};
        assert_int_equal(store_exec(l.lc.db, "UPDATE n SET v = v + 1 WHERE k = 1", NULL, 0, &e),
                         0);
    }
    lp_run(&l, &g_finished, started);
    for (int i = 0; i < MEMBERS; i++) {
        assert_true(m[i].done);
        assert_int_equal(m[i].rc, 0);
    }
    assert_int_equal(one_int(l.lc.db, "SELECT COUNT(*) FROM t WHERE who = 5"), MEMBERS);
    lp_fini(&l);
}

/* A member on loop B does not wait for the turn of loop A, whose member
 * opened the group: B's own turn end commits both. Loop A does not run
 * at all until B's member is back (a semaphore, not a timing). */
typedef struct {
    store_t *s;
    sem_t back;
    member_t m;
} other_t;

static void *other_loop(void *arg)
{
    other_t *o = arg;
    lp_t l;
    lp_init(&l, o->s);
    start_members(&o->m, 1);
    lp_run(&l, &g_finished, 1);
    sem_post(&o->back);
    lp_fini(&l);
    coro_thread_cleanup();
    return NULL;
}

static void test_other_loop_commits(void **state)
{
    fx_t *f = *state;
    lp_t l;
    lp_init(&l, f->s);
    member_t ma = {.id = 1, .who = 4};
    start_members(&ma, 1); /* opens the group; this loop's turn never ends */
    other_t o = {.s = f->s, .m = {.id = 2, .who = 4}};
    sem_init(&o.back, 0, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, other_loop, &o), 0);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 30; /* a hang detector only */
    assert_int_equal(sem_timedwait(&o.back, &dl), 0);
    pthread_join(th, NULL);
    assert_true(o.m.done);
    assert_int_equal(o.m.rc, 0);
    assert_false(ma.done); /* committed, but its loop has not resumed it yet */
    store_conn_t *other = store_conn_open(f->s, NULL);
    assert_int_equal(one_int(other, "SELECT COUNT(*) FROM t WHERE who = 4"), 2);
    store_conn_close(other);
    lp_run(&l, &g_finished, 1);
    assert_true(ma.done);
    assert_int_equal(ma.rc, 0);
    sem_destroy(&o.back);
    lp_fini(&l);
}

/* Read-modify-write of one counter from coroutines on two loops at once;
 * each transaction also inserts a row. */
#define PER_LOOP 600
#define LANES 8

typedef struct {
    store_t *s;
    int who, failures, left, lanes_done;
} loop_job_t;

static void counter_lane(void *arg)
{
    loop_job_t *j = arg;
    store_conn_t *db = loop_ctx_get()->db;
    while (j->left > 0) {
        j->left--;
        if (rmw_once(db, j->who, NULL) < 0)
            j->failures++;
    }
    j->lanes_done++;
}

static void *loop_main(void *arg)
{
    loop_job_t *j = arg;
    lp_t l;
    lp_init(&l, j->s);
    j->left = PER_LOOP;
    for (int i = 0; i < LANES; i++)
        coro_resume(coro_spawn(counter_lane, NULL, j));
    lp_run(&l, &j->lanes_done, LANES);
    lp_fini(&l);
    coro_thread_cleanup();
    return NULL;
}

static void test_two_loops(void **state)
{
    fx_t *f = *state;
    sq_stats_t st0, st1;
    sq_stats(f->s, &st0);
    pthread_t th[2];
    loop_job_t j[2] = {{.s = f->s, .who = 1}, {.s = f->s, .who = 2}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, loop_main, &j[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(j[0].failures, 0);
    assert_int_equal(j[1].failures, 0);
    store_conn_t *c = store_conn_open(f->s, NULL);
    assert_int_equal(one_int(c, "SELECT COUNT(*) FROM t"), 2 * PER_LOOP);
    assert_int_equal(one_int(c, "SELECT v FROM n WHERE k = 1"), 2 * PER_LOOP); /* no lost update */
    store_conn_close(c);
    sq_stats(f->s, &st1);
    assert_int_equal(st1.grouped - st0.grouped, 2 * PER_LOOP);
    assert_true(st1.group_commits - st0.group_commits < 2 * PER_LOOP); /* they did group */
}

static void test_off(void **state)
{
    fx_t *f = *state;
    lp_t l;
    lp_init(&l, f->s);
    member_t m[3] = {{.id = 1, .who = 3}, {.id = 2, .who = 3}, {.id = 3, .who = 3}};
    start_members(m, 3);
    for (int i = 0; i < 3; i++) { /* each committed on its own, no wait */
        assert_true(m[i].done);
        assert_int_equal(m[i].rc, 0);
    }
    sq_stats_t st;
    sq_stats(f->s, &st);
    assert_int_equal(st.group_commits, 0);
    lp_fini(&l);
}

static int setup_off(void **state)
{
    setenv("TRAVLOC_SQLITE_GROUP", "0", 1);
    int rc = setup(state);
    unsetenv("TRAVLOC_SQLITE_GROUP");
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_writer_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_groups_one_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_loop_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off, setup_off, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

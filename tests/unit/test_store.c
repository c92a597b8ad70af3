/*
 * test_store.c - the SQLite driver's result paths: packed results
 * (store_query), streamed rows (store_query_each: values, NULLs, integers
 * written by the driver, early stop, a query from inside the callback on
 * the same statement), $N parameters used twice or not at all, and the
 * change stamp (moves on a write by this or another connection, not on a
 * read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg_int.h"
#include "store/store.h"

typedef struct {
    config_t cfg;
    store_t *s;
    store_conn_t *a, *b;
    char dir[64];
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/travloc-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->cfg.data_dir = f->dir;
    char err[256];
    assert_int_equal(store_open(&f->s, &f->cfg, err, sizeof err), 0);
    f->a = store_conn_open(f->s, NULL);
    f->b = store_conn_open(f->s, NULL);
    assert_non_null(f->a);
    assert_non_null(f->b);
    apierr_t e = {0};
    assert_int_equal(store_exec(f->a, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, "
                                      "n INTEGER, x REAL)", NULL, 0, &e), 0);
    for (int i = 1; i <= 5; i++) {
        store_arg_t args[] = {ARG_INT(i), i == 3 ? ARG_NULL : ARG_TEXT("row"),
                              ARG_INT(i == 5 ? INT64_MIN : -i * 1000), ARG_REAL(i / 4.0)};
        assert_int_equal(store_exec(f->a, "INSERT INTO t VALUES ($1, $2, $3, $4)", args, 4, &e),
                         0);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    store_conn_close(f->a);
    store_conn_close(f->b);
    store_close(f->s);
    char path[128];
    snprintf(path, sizeof path, "%s/travloc.db", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/travloc.db-wal", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/travloc.db-shm", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_packed(void **state)
{
    fx_t *f = *state;
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_INT(2), ARG_INT(99)}; /* $2 unused */
    assert_int_equal(store_query(f->a, "SELECT id, name, n, x FROM t WHERE id >= $1 ORDER BY id",
                                 a, 2, &r, &e), 0);
    assert_int_equal(r->nrows, 4);
    assert_int_equal(r->ncols, 4);
    assert_string_equal(r->names[1], "name");
    assert_null(store_val(r, 1, 1)); /* id 3: NULL name */
    assert_string_equal(store_val(r, 0, 1), "row");
    assert_int_equal(store_int(r, 0, 2), -2000);
    assert_string_equal(store_val(r, 3, 2), "-9223372036854775808");
    assert_true(store_real(r, 2, 3) == 1.0);
    assert_int_equal(r->lens[0 * 4 + 1], 3);
    store_res_free(r);
}

typedef struct {
    store_conn_t *db;
    int rows, stop_at;
    char seen[256];
} each_t;

static int on_row(const store_res_t *row, void *arg)
{
    each_t *x = arg;
    x->rows++;
    const char *name = store_val(row, 0, 1);
    char line[64];
    snprintf(line, sizeof line, "%s:%s:%s;", store_val(row, 0, 0), name ? name : "null",
             store_val(row, 0, 2));
    strncat(x->seen, line, sizeof x->seen - strlen(x->seen) - 1);
    if (x->db) { /* the same SQL again while its statement is running */
        apierr_t e = {0};
        store_res_t *r = NULL;
        assert_int_equal(store_query(x->db, "SELECT id, name, n FROM t ORDER BY id", NULL, 0, &r,
                                     &e), 0);
        assert_int_equal(r->nrows, 5);
        store_res_free(r);
    }
    return x->stop_at && x->rows == x->stop_at;
}

static void test_each(void **state)
{
    fx_t *f = *state;
    apierr_t e = {0};
    each_t x = {0};
    const char *sql = "SELECT id, name, n FROM t ORDER BY id";
    assert_int_equal(store_query_each(f->a, sql, NULL, 0, on_row, &x, &e), 5);
    assert_string_equal(x.seen, "1:row:-1000;2:row:-2000;3:null:-3000;4:row:-4000;"
                                "5:row:-9223372036854775808;");
    each_t y = {.stop_at = 2};
    assert_int_equal(store_query_each(f->a, sql, NULL, 0, on_row, &y, &e), 2);
    each_t z = {.db = f->a};
    assert_int_equal(store_query_each(f->a, sql, NULL, 0, on_row, &z, &e), 5);
    assert_string_equal(z.seen, x.seen);
    each_t w = {0};
    assert_int_equal(store_query_each(f->a, "SELECT nope FROM t", NULL, 0, on_row, &w, &e), -1);
    assert_int_equal(e.status, 500);
    apierr_clear(&e);
}

static void test_params_twice(void **state)
{
    fx_t *f = *state;
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_NULL, ARG_INT(4)};
    assert_int_equal(store_query(f->a, "SELECT count(*) FROM t WHERE id = $2 OR id + 1 = $2", a,
                                 2, &r, &e), 0);
    assert_int_equal(store_int(r, 0, 0), 2);
    store_res_free(r);
}

static void test_stamp(void **state)
{
    fx_t *f = *state;
    apierr_t e = {0};
    uint64_t s1[2], s2[2], s3[2], s4[2];
    assert_int_equal(store_change_stamp(f->a, s1), 0);
    assert_int_equal(store_exec(f->a, "SELECT count(*) FROM t", NULL, 0, &e), 0);
    assert_int_equal(store_change_stamp(f->a, s2), 0);
    assert_memory_equal(s1, s2, sizeof s1); /* a read changes nothing */
    store_arg_t a[] = {ARG_TEXT("x")};
    assert_int_equal(store_exec(f->b, "UPDATE t SET name = $1 WHERE id = 1", a, 1, &e), 0);
    assert_int_equal(store_change_stamp(f->a, s3), 0);
    assert_memory_not_equal(s2, s3, sizeof s2); /* another connection wrote */
    assert_int_equal(store_exec(f->a, "UPDATE t SET name = $1 WHERE id = 2", a, 1, &e), 0);
    assert_int_equal(store_change_stamp(f->a, s4), 0);
    assert_memory_not_equal(s3, s4, sizeof s3); /* this connection wrote */
    assert_int_equal(store_begin(f->a, false, &e), 0);
    assert_int_equal(store_change_stamp(f->a, s4), -1); /* not inside a transaction */
    store_rollback(f->a);
}

/* PostgreSQL pipelines plain reads only: a write's commit (or a row
 * lock's wait) would hold up everything queued behind it. */
static void test_pipe_suits(void **state)
{
    (void)state;
    assert_true(pg_pipe_suits("SELECT 1"));
    assert_true(pg_pipe_suits("  select u.role FROM sessions s WHERE s.id = $1"));
    assert_true(pg_pipe_suits("(SELECT a FROM t) UNION (SELECT b FROM u)"));
    assert_true(pg_pipe_suits("SELECT information FROM updates_log")); /* words, not clauses */
    assert_false(pg_pipe_suits("UPDATE sessions SET last_used_at = $2 WHERE id = $1"));
    assert_false(pg_pipe_suits("INSERT INTO t VALUES (1)"));
    assert_false(pg_pipe_suits("DELETE FROM t"));
    assert_false(pg_pipe_suits("WITH c AS (SELECT id FROM jobs) UPDATE jobs SET state = 'x'"));
    assert_false(pg_pipe_suits("SELECT id FROM jobs WHERE state = 'q' FOR UPDATE SKIP LOCKED"));
    assert_false(pg_pipe_suits("SELECT id FROM trips WHERE id = $1 for share"));
    assert_false(pg_pipe_suits("SELECT 1 FROM t FOR NO KEY UPDATE"));
    assert_false(pg_pipe_suits("BEGIN"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_packed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp, setup, teardown),
        cmocka_unit_test(test_pipe_suits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

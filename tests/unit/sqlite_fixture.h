/*
 * sqlite_fixture.h - what the SQLite write-path tests share (included by
 * one test program each, hence static): a store in a fresh temporary data
 * directory with two tables, t (id INTEGER PRIMARY KEY, who INTEGER, pad
 * TEXT) and the one-row counter n (k = 1, v = 0); its teardown, which
 * removes the directory; one_int, the first column of a query's first
 * row; and rmw_once, the write transaction the concurrency tests repeat.
 * Include after cmocka.h.
 */
#ifndef TRAVLOC_TESTS_SQLITE_FIXTURE_H
#define TRAVLOC_TESTS_SQLITE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/sqlite_int.h"

typedef struct {
    config_t cfg;
    store_t *s;
    char dir[64];
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/travloc-test-sqlite-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->cfg.data_dir = f->dir;
    char err[256];
    assert_int_equal(store_open(&f->s, &f->cfg, err, sizeof err), 0);
    store_conn_t *c = store_conn_open(f->s, NULL);
    apierr_t e = {0};
    assert_int_equal(store_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER, "
                                   "pad TEXT)", NULL, 0, &e), 0);
    assert_int_equal(store_exec(c, "CREATE TABLE n (k INTEGER PRIMARY KEY, v INTEGER)", NULL, 0,
                                &e), 0);
    assert_int_equal(store_exec(c, "INSERT INTO n VALUES (1, 0)", NULL, 0, &e), 0);
    store_conn_close(c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    store_close(f->s);
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/travloc.db%s", f->dir, sfx[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t one_int(store_conn_t *c, const char *sql)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    assert_int_equal(store_query(c, sql, NULL, 0, &r, &e), 0);
    int64_t v = store_int(r, 0, 0);
    store_res_free(r);
    return v;
}

/* One write transaction on c: a row (who, pad) into t and a
 * read-modify-write of the counter n (lost updates show there). 0, or -1
 * rolled back. */
static int rmw_once(store_conn_t *c, int who, const char *pad)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_INT(who), ARG_TEXT(pad)};
    int rc = -1;
    if (store_begin(c, true, &e) == 0 &&
        store_exec(c, "INSERT INTO t (who, pad) VALUES ($1, $2)", a, 2, &e) == 0 &&
        store_query(c, "SELECT v FROM n WHERE k = 1", NULL, 0, &r, &e) == 0) {
        store_arg_t u[] = {ARG_INT(store_int(r, 0, 0) + 1)};
        if (store_exec(c, "UPDATE n SET v = $1 WHERE k = 1", u, 1, &e) == 0 &&
            store_commit(c, &e) == 0)
            rc = 0;
    }
    store_res_free(r);
    if (rc < 0)
        store_rollback(c);
    apierr_clear(&e);
    return rc;
}

#endif

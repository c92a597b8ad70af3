/* Unit test for the automatic trip status sweep (src/api/trips_jobs.c) on
 * a throwaway SQLite store: which trips move, their versions and change
 * rows, and that a second pass changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/trips_jobs.h"
#include "core/config.h"
#include "core/validate.h"
#include "store/store.h"

static void exec_ok(store_conn_t *db, const char *sql)
{
    apierr_t e = {0};
    assert_int_equal(store_exec(db, sql, NULL, 0, &e), 0);
}

static void add_trip(store_conn_t *db, const char *id, const char *status, const char *start,
                     const char *end, int deleted)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO trips (id, owner_id, title, start_date, end_date, status, share_id, "
             "created_at, updated_at, deleted_at) VALUES ('%s', 'u1', 't', '%s', '%s', '%s', "
             "'%s', 1, 1, %s)",
             id, start, end, status, id, deleted ? "5" : "NULL");
    exec_ok(db, sql);
}

static const char *status_of(store_conn_t *db, const char *id, int64_t *version)
{
    static char st[16];
    store_arg_t a[] = {ARG_TEXT(id)};
    store_res_t *r = NULL;
    apierr_t e = {0};
    assert_int_equal(store_query(db, "SELECT status, version FROM trips WHERE id = $1", a, 1, &r, &e), 0);
    snprintf(st, sizeof st, "%s", store_val(r, 0, 0));
    *version = store_int(r, 0, 1);
    store_res_free(r);
    return st;
}

static void test_sweep(void **state)
{
    (void)state;
    char dir[] = "/tmp/travloc-sweep-XXXXXX", err[256];
    assert_non_null(mkdtemp(dir));
    config_t c;
    assert_int_equal(config_init(&c, err, sizeof err), 0);
    free(c.data_dir);
    c.data_dir = strdup(dir);
    free(c.database_url);
    c.database_url = NULL;
    store_t *st = NULL;
    assert_int_equal(store_open(&st, &c, err, sizeof err), 0);
    assert_int_equal(store_migrate(st, false, err, sizeof err), 0);
    store_conn_t *db = store_conn_open(st, NULL);
    exec_ok(db, "INSERT INTO users (id, email, created_at, updated_at) VALUES ('u1', 'a@b.co', 1, 1)");
    add_trip(db, "a", "PLANNING", "2027-05-01", "2027-05-05", 0); /* -> ACTIVE */
    add_trip(db, "b", "ACTIVE", "2027-04-28", "2027-05-02", 0);   /* -> COMPLETED */
    add_trip(db, "c", "PLANNING", "2027-04-01", "2027-04-10", 0); /* -> COMPLETED */
    add_trip(db, "d", "PLANNING", "2027-06-01", "2027-06-05", 0); /* future */
    add_trip(db, "e", "CANCELLED", "2027-04-01", "2027-04-02", 0);
    add_trip(db, "f", "PLANNING", "2027-05-01", "2027-05-05", 1); /* deleted */
    add_trip(db, "g", "ACTIVE", "2027-05-01", "2027-05-03", 0);   /* ends today */
    int64_t now = validate_days_from_civil(2027, 5, 3) * 86400000LL + 3600000;
    apierr_t e = {0};
    assert_int_equal(trips_status_sweep(db, now, &e), 3);
    int64_t v;
    assert_string_equal(status_of(db, "a", &v), "ACTIVE");
    assert_int_equal(v, 2);
    assert_string_equal(status_of(db, "b", &v), "COMPLETED");
    assert_string_equal(status_of(db, "c", &v), "COMPLETED");
    assert_string_equal(status_of(db, "d", &v), "PLANNING");
    assert_int_equal(v, 1);
    assert_string_equal(status_of(db, "e", &v), "CANCELLED");
    assert_string_equal(status_of(db, "f", &v), "PLANNING");
    assert_string_equal(status_of(db, "g", &v), "ACTIVE");
    assert_int_equal(v, 1);
    store_res_t *r = NULL;
    assert_int_equal(store_query(db, "SELECT entity_id, op, version FROM changes ORDER BY seq", NULL, 0, &r, &e), 0);
    assert_int_equal(r->nrows, 3);
    assert_string_equal(store_val(r, 0, 1), "update");
    assert_int_equal(store_int(r, 0, 2), 2);
    store_res_free(r);
    assert_int_equal(trips_status_sweep(db, now, &e), 0);
    assert_int_equal(trips_status_sweep(db, now + 86400000LL, &e), 1); /* g ended */
    store_conn_close(db);
    store_close(st);
    config_free(&c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

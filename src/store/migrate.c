/*
 * migrate.c - versioned schema migrations embedded in the binary.
 *
 * Files are src/store/migrations/<dialect>/NNNN_name.sql. Each applied
 * migration is a row of schema_migrations with its checksum. A migration
 * is first recorded dirty, then applied and marked clean in one
 * transaction; a row still dirty means a migration failed half way and
 * start-up refuses to go on until someone repairs it. A recorded
 * migration whose file changed, or one this binary does not know, is
 * also refused. On PostgreSQL an advisory lock serialises nodes starting
 * at the same time.
 */
#include "store/driver.h"

#include "core/clock.h"
#include "core/embedded.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "727274"

static void checksum(const embedded_file_t *f, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)f->data, f->len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static int fail(char *err, size_t errlen, apierr_t *e, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, e->message);
    apierr_clear(e);
    return -1;
}

static int check_applied(store_res_t *rows, const embedded_file_t *files, int nfiles, char *err,
                         size_t errlen)
{
    for (int i = 0; i < rows->nrows; i++) {
        int64_t v = store_int(rows, i, 0);
        const char *name = store_val(rows, i, 1);
        if (store_int(rows, i, 3)) {
            snprintf(err, errlen,
                     "database is dirty: migration %lld (%s) failed half way; repair the schema "
                     "by hand, delete its row from schema_migrations, and start again",
                     (long long)v, name);
            return -1;
        }
        int k = 0;
        while (k < nfiles && atoll(files[k].name) != v)
            k++;
        if (k == nfiles) {
            snprintf(err, errlen,
                     "database has migration %lld (%s), which this binary does not know: "
                     "a newer travloc ran against it",
                     (long long)v, name);
            return -1;
        }
        char sum[65];
        checksum(&files[k], sum);
        if (strcmp(sum, store_val(rows, i, 2)) != 0) {
            snprintf(err, errlen, "migration %s changed after it was applied", files[k].name);
            return -1;
        }
    }
    return 0;
}

static bool applied(store_res_t *rows, int64_t v)
{
    for (int i = 0; i < rows->nrows; i++)
        if (store_int(rows, i, 0) == v)
            return true;
    return false;
}

static int apply_one(store_t *s, store_conn_t *c, const embedded_file_t *f, char *err,
                     size_t errlen)
{
    apierr_t e = {0};
    char sum[65];
    checksum(f, sum);
    int64_t v = atoll(f->name);
    store_arg_t args[] = {ARG_INT(v), ARG_TEXT(f->name), ARG_TEXT(sum), ARG_INT(clock_now_ms())};
    if (store_exec(c,
                   "INSERT INTO schema_migrations (version, name, checksum, dirty, applied_at) "
                   "VALUES ($1, $2, $3, 1, $4)",
                   args, 4, &e) < 0)
        return fail(err, errlen, &e, "cannot record migration");
    if (store_begin(c, true, &e) < 0)
        return fail(err, errlen, &e, "cannot begin migration");
    if (s->drv->script(c, f->data, &e) < 0) {
        store_rollback(c);
        snprintf(err, errlen, "migration %s failed: %s", f->name, e.message);
        apierr_clear(&e);
        return -1;
    }
    if (store_exec(c, "UPDATE schema_migrations SET dirty = 0 WHERE version = $1", args, 1, &e) <
            0 ||
        store_commit(c, &e) < 0) {
        store_rollback(c);
        return fail(err, errlen, &e, "cannot finish migration");
    }
    return 0;
}

int store_migrate(store_t *s, bool verbose, char *err, size_t errlen)
{
    bool pg = store_kind(s) == STORE_POSTGRES;
    const embedded_file_t *files = pg ? embedded_postgres : embedded_sqlite;
    int nfiles = pg ? embedded_postgres_count : embedded_sqlite_count;
    store_conn_t *c = store_conn_open(s, NULL);
    apierr_t e = {0};
    store_res_t *rows = NULL;
    int rc = -1;
    if (!c) {
        snprintf(err, errlen, "cannot open the database");
        return -1;
    }
    if (pg && store_exec(c, "SELECT pg_advisory_lock(" LOCK_KEY ")", NULL, 0, &e) < 0) {
        fail(err, errlen, &e, "cannot lock for migrations");
        goto out;
    }
    if (store_exec(c,
                   "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
                   "name TEXT NOT NULL, checksum TEXT NOT NULL, dirty INTEGER NOT NULL, "
                   "applied_at BIGINT NOT NULL)",
                   NULL, 0, &e) < 0 ||
        store_query(c, "SELECT version, name, checksum, dirty FROM schema_migrations ORDER BY version",
                    NULL, 0, &rows, &e) < 0) {
        fail(err, errlen, &e, "cannot read schema_migrations");
        goto out;
    }
    if (check_applied(rows, files, nfiles, err, errlen) < 0)
        goto out;
    int done = 0;
    for (int i = 0; i < nfiles; i++) {
        if (applied(rows, atoll(files[i].name)))
            continue;
        if (apply_one(s, c, &files[i], err, errlen) < 0)
            goto out;
        if (verbose)
            printf("applied %s\n", files[i].name);
        done++;
    }
    if (verbose && done == 0)
        printf("database is up to date (%d migrations)\n", nfiles);
    rc = 0;
out:
    if (pg)
        store_exec(c, "SELECT pg_advisory_unlock(" LOCK_KEY ")", NULL, 0, &e);
    apierr_clear(&e);
    store_res_free(rows);
    store_conn_close(c);
    return rc;
}

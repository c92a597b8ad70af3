/*
 * sqlite.c - the embedded driver.
 *
 * One connection per loop thread (WAL lets readers run beside the one
 * writer), prepared statements cached per connection by SQL text, and
 * parameters bound by name ("$1", "$2", …) so the same SQL serves both
 * drivers. Queries run inline: SQLite answers from its page cache in
 * microseconds; a writer waiting on another thread's lock waits at most
 * the busy timeout.
 */
#include "store/driver.h"

#include "core/log.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CACHE_SLOTS 256

typedef struct {
    char *sql;
    sqlite3_stmt *stmt;
} cached_t;

typedef struct store_conn {
    store_t *store;       /* first: store.c reads it */
    sqlite3 *db;
    cached_t cache[CACHE_SLOTS];
    int depth;            /* open transactions */
} sq_conn_t;

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int sq_open(store_t *s, char *err, size_t errlen)
{
    const char *url = s->cfg->database_url;
    char path[4096];
    if (url && strncmp(url, "sqlite:", 7) == 0) {
        snprintf(path, sizeof path, "%s", url + 7);
    } else {
        if (mkdir_p(s->cfg->data_dir) < 0) {
            snprintf(err, errlen, "cannot create data directory '%s': %s", s->cfg->data_dir,
                     strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/travloc.db", s->cfg->data_dir);
    }
    if (!sqlite3_threadsafe()) {
        snprintf(err, errlen, "SQLite was built without thread support");
        return -1;
    }
    s->path = strdup(path);
    store_conn_t *probe = s->drv->conn_open(s, NULL);
    if (!probe) {
        snprintf(err, errlen, "cannot open SQLite database '%s'", path);
        return -1;
    }
    s->drv->conn_close(probe);
    return 0;
}

static void sq_close(store_t *s) { (void)s; }

static store_conn_t *sq_conn_open(store_t *s, uv_loop_t *loop)
{
    (void)loop;
    sq_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->store = s;
    int rc = sqlite3_open_v2(s->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        log_error("cannot open SQLite", "\"path\":\"%s\",\"error\":\"%s\"", s->path,
                  c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 5000);
    sqlite3_exec(c->db,
                 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                 NULL, NULL, NULL);
    atomic_fetch_add(&s->pool_size, 1);
    return c;
}

static void sq_conn_close(store_conn_t *base)
{
    sq_conn_t *c = (sq_conn_t *)base;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    sqlite3_close(c->db);
    atomic_fetch_sub(&c->store->pool_size, 1);
    free(c);
}

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static int map_error(sq_conn_t *c, int rc, const char *sql, apierr_t *err)
{
    int base = rc & 0xff;
    if (base == SQLITE_CONSTRAINT)
        return apierr_set(err, 409, "conflict", "the change conflicts with existing data");
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        return apierr_set(err, 503, "database_busy", "the database is busy; retry");
    log_error("sqlite error", "\"error\":\"%s\",\"sql\":\"%.80s\"", sqlite3_errmsg(c->db), sql);
    return apierr_set(err, 500, "internal", "internal database error");
}

static sqlite3_stmt *prepare(sq_conn_t *c, const char *sql, int *rc)
{
    cached_t *slot = &c->cache[hash_sql(sql) % CACHE_SLOTS];
    if (slot->sql && strcmp(slot->sql, sql) == 0) {
        *rc = SQLITE_OK;
        return slot->stmt;
    }
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    char *copy = strdup(sql);
    if (copy) {
        sqlite3_finalize(slot->stmt);
        free(slot->sql);
        slot->sql = copy;
        slot->stmt = st;
    }
    return st;
}

static int bind_args(sqlite3_stmt *st, const store_arg_t *args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue; /* the query does not use this argument */
        const store_arg_t *a = &args[i];
        int rc;
        switch (a->type) {
        case SA_TEXT:
            rc = sqlite3_bind_text(st, idx, a->s, a->len ? (int)a->len : -1, SQLITE_STATIC);
            break;
        case SA_BLOB:
            rc = sqlite3_bind_blob(st, idx, a->s, (int)a->len, SQLITE_STATIC);
            break;
        case SA_INT:
        case SA_BOOL:
            rc = sqlite3_bind_int64(st, idx, a->i);
            break;
        case SA_REAL:
            rc = sqlite3_bind_double(st, idx, a->d);
            break;
        default:
            rc = sqlite3_bind_null(st, idx);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

typedef struct {
    char **v;
    size_t *len;
    size_t n, cap;
} cells_t;

static int cells_push(cells_t *c, const char *v, size_t len)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **nv = realloc(c->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        c->v = nv;
        size_t *nl = realloc(c->len, cap * sizeof *nl);
        if (!nl)
            return -1;
        c->len = nl;
        c->cap = cap;
    }
    char *d = NULL;
    if (v) {
        d = malloc(len + 1);
        if (!d)
            return -1;
        memcpy(d, v, len);
        d[len] = '\0';
    }
    c->v[c->n] = d;
    c->len[c->n++] = len;
    return 0;
}

static store_res_t *collect(sq_conn_t *c, sqlite3_stmt *st, int *rc)
{
    int ncols = sqlite3_column_count(st);
    cells_t cells = {0};
    int nrows = 0;
    while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            size_t len = (size_t)sqlite3_column_bytes(st, i);
            if (sqlite3_column_type(st, i) == SQLITE_BLOB)
                v = sqlite3_column_blob(st, i);
            if (cells_push(&cells, v, len) < 0)
                *rc = SQLITE_NOMEM;
        }
        if (*rc == SQLITE_NOMEM)
            break;
        nrows++;
    }
    store_res_t *r = NULL;
    if (*rc == SQLITE_DONE) {
        *rc = SQLITE_OK;
        r = store_res_new(nrows, ncols);
        if (r) {
            for (int i = 0; i < ncols; i++)
                store_res_name(r, i, sqlite3_column_name(st, i));
            for (size_t i = 0; i < cells.n; i++) {
                r->vals[i] = cells.v[i];
                r->lens[i] = cells.len[i];
            }
            cells.n = 0;
            r->changes = sqlite3_changes64(c->db);
        } else {
            *rc = SQLITE_NOMEM;
        }
    }
    for (size_t i = 0; i < cells.n; i++)
        free(cells.v[i]);
    free(cells.v);
    free(cells.len);
    return r;
}

static int sq_query(store_conn_t *base, const char *sql, const store_arg_t *args, int nargs,
                    store_res_t **res, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    int rc;
    sqlite3_stmt *st = prepare(c, sql, &rc);
    if (!st)
        return map_error(c, rc, sql, err);
    rc = bind_args(st, args, nargs);
    store_res_t *r = rc == SQLITE_OK ? collect(c, st, &rc) : NULL;
    if (c->cache[hash_sql(sql) % CACHE_SLOTS].stmt == st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        store_res_free(r);
        return map_error(c, rc, sql, err);
    }
    if (res)
        *res = r;
    else
        store_res_free(r);
    return 0;
}

static int sq_begin(store_conn_t *base, bool write, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth++ > 0)
        return 0; /* nested: the outer transaction covers it */
    int rc = sqlite3_exec(c->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        c->depth--;
        return map_error(c, rc, "BEGIN", err);
    }
    return 0;
}

static int sq_commit(store_conn_t *base, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth == 0 || --c->depth > 0)
        return 0;
    int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return map_error(c, rc, "COMMIT", err);
    }
    return 0;
}

static void sq_rollback(store_conn_t *base)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth == 0)
        return;
    c->depth = 0;
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_script(store_conn_t *base, const char *sql, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        apierr_set(err, 500, "migration_failed", "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

const store_driver_t store_sqlite_driver = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .conn_open = sq_conn_open,
    .conn_close = sq_conn_close,
    .query = sq_query,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .script = sq_script,
};

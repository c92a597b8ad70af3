/*
 * sqlite.c - the embedded driver.
 *
 * One connection per loop thread (WAL lets readers run beside the one
 * writer), prepared statements cached per connection by SQL text, and
 * parameters bound by name ("$1", "$2", …; the index of each is worked
 * out once per cached statement) so the same SQL serves both drivers.
 * Queries run inline: SQLite answers from its page cache in microseconds.
 * Results are packed into one allocation (collect); store_query_each hands
 * out SQLite's own column pointers. Write transactions start with BEGIN
 * IMMEDIATE after the process write lock (sqlite_writer.c): every write
 * transaction, and every write statement outside one, runs on the one
 * shared writer connection, so loops never wait on SQLite's lock. A
 * writer of another process (CLI, worker) is waited for by on_busy
 * (yield, then sleeps of 20-500 us, at most 5 s) instead of SQLite's
 * default sleeps of up to 100 ms, which gave p99s of ~0.5 s.
 */
#include "store/sqlite_int.h"

#include "core/fsdir.h"
#include "core/log.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

#define CACHE_SLOTS SQ_CACHE_SLOTS
#define MAX_PARAMS SQ_MAX_PARAMS
#define EACH_MAX_COLS 64
#define BUSY_BUDGET_NS 5000000000ll

typedef sq_cached_t cached_t;

static int sq_open(store_t *s, char *err, size_t errlen)
{
    const char *url = s->cfg->database_url;
    char path[4096];
    if (url && strncmp(url, "sqlite:", 7) == 0) {
        snprintf(path, sizeof path, "%s", url + 7);
    } else {
        if (fsdir_make(s->cfg->data_dir) < 0) {
            snprintf(err, errlen, "cannot create data directory '%s': %s", s->cfg->data_dir,
                     strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/travloc.db", s->cfg->data_dir);
    }
    /* Before SQLite initialises: no global memory statistics. They take a
     * process-wide mutex on every SQLite malloc, which the loop threads
     * fought over (futex waits were ~10 % of a trip read under load).
     * SQLITE_MISUSE when something initialised SQLite first: harmless. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
    if (sq_writer_init(s) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void sq_close(store_t *s) { sq_writer_free(s); }

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Another connection holds the write lock. Write transactions here are
 * short (microseconds to a millisecond), so wait in fine steps instead
 * of SQLite's default sleeps (up to 100 ms each): yield the CPU first,
 * then sleep 20 us growing to 500 us, for at most BUSY_BUDGET_NS. */
static int on_busy(void *arg, int n)
{
    sq_conn_t *c = arg;
    int64_t now = mono_ns();
    sq_note_busy(c->store);
    if (n == 0)
        c->busy_since = now;
    else if (now - c->busy_since > BUSY_BUDGET_NS)
        return 0;
    if (n < 8) {
        sched_yield();
        return 1;
    }
    long us = 20L * (n - 7);
    struct timespec d = {0, (us > 500 ? 500 : us) * 1000L};
    nanosleep(&d, NULL);
    return 1;
}

/* A connection; the writer also keeps a larger page cache (it is never
 * invalidated by another writer of this process). */
sq_conn_t *sq_conn_new(store_t *s, bool writer)
{
    sq_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->store = s;
    c->writer = writer;
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
    sqlite3_busy_handler(c->db, on_busy, c);
    sqlite3_exec(c->db,
                 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                 NULL, NULL, NULL);
    if (writer)
        sqlite3_exec(c->db, "PRAGMA cache_size=-16384;", NULL, NULL, NULL);
    atomic_fetch_add(&s->pool_size, 1);
    return c;
}

static store_conn_t *sq_conn_open(store_t *s, uv_loop_t *loop)
{
    (void)loop;
    return sq_conn_new(s, false);
}

void sq_conn_free(sq_conn_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    free(c->text);
    free(c->off);
    sqlite3_close(c->db);
    atomic_fetch_sub(&c->store->pool_size, 1);
    free(c);
}

/* The connection c's statements run on: the writer while c holds the
 * write lock and had nothing open of its own, else c. */
static sq_conn_t *target(sq_conn_t *c) { return c->route ? c->route : c; }

static void sq_conn_close(store_conn_t *base)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->grouped) { /* closed inside a write transaction: undo it */
        sq_group_leave(c, false);
    } else if (c->locked) {
        sqlite3_exec(target(c)->db, "ROLLBACK", NULL, NULL, NULL);
        sq_write_unlock(c);
    }
    sq_conn_free(c);
}

/* A write statement outside any transaction of c: it takes the write
 * lock (and runs on the writer) like a one-statement transaction. */
static bool needs_lock(const sq_conn_t *c, const cached_t *p)
{
    return !c->writer && !c->locked && c->depth == 0 && !c->streaming &&
           c->store->drv_state && !sqlite3_stmt_readonly(p->stmt);
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

static void map_params(cached_t *p)
{
    p->nidx = 0;
    memset(p->idx, 0, sizeof p->idx);
    int n = sqlite3_bind_parameter_count(p->stmt);
    for (int j = 1; j <= n && j < 256; j++) {
        const char *name = sqlite3_bind_parameter_name(p->stmt, j);
        if (!name || name[0] != '$')
            continue;
        int k = atoi(name + 1);
        if (k >= 1 && k <= MAX_PARAMS) {
            p->idx[k - 1] = (unsigned char)j;
            if (k > p->nidx)
                p->nidx = k;
        }
    }
}

/* The cached statement for sql, or a fresh one in *tmp (finalized by the
 * caller) when the slot's statement is running (a query inside a
 * store_query_each callback) or could not be cached. */
static cached_t *prepare(sq_conn_t *c, const char *sql, cached_t *tmp, int *rc)
{
    cached_t *slot = &c->cache[hash_sql(sql) % CACHE_SLOTS];
    bool hit = slot->sql && strcmp(slot->sql, sql) == 0;
    if (hit && !(c->streaming && sqlite3_stmt_busy(slot->stmt))) {
        *rc = SQLITE_OK;
        return slot;
    }
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    bool keep = !c->streaming || !slot->stmt || !sqlite3_stmt_busy(slot->stmt);
    char *copy = keep && !hit ? strdup(sql) : NULL;
    cached_t *p = copy ? slot : tmp;
    if (copy) {
        sqlite3_finalize(slot->stmt);
        free(slot->sql);
        slot->sql = copy;
    } else {
        tmp->sql = NULL;
    }
    p->stmt = st;
    map_params(p);
    return p;
}

static void release_stmt(cached_t *p)
{
    if (p->sql) {
        sqlite3_reset(p->stmt);
        sqlite3_clear_bindings(p->stmt);
    } else {
        sqlite3_finalize(p->stmt);
    }
}

static int bind_args(const cached_t *p, const store_arg_t *args, int nargs)
{
    sqlite3_stmt *st = p->stmt;
    for (int i = 0; i < nargs && i < p->nidx; i++) {
        int idx = p->idx[i];
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

/* A column's bytes: text (NUL-terminated by SQLite) or a blob. */
static const char *column(sqlite3_stmt *st, int i, size_t *len)
{
    const char *v;
    if (sqlite3_column_type(st, i) == SQLITE_BLOB)
        v = sqlite3_column_blob(st, i);
    else
        v = (const char *)sqlite3_column_text(st, i);
    *len = (size_t)sqlite3_column_bytes(st, i);
    return v;
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*(void **)pp, n * elem);
    if (!q)
        return -1;
    *(void **)pp = q;
    *cap = n;
    return 0;
}

/* Steps through the rows into the connection's scratch, then packs the
 * result into one allocation (store_res_packed). */
static store_res_t *collect(sq_conn_t *c, sqlite3_stmt *st, int *rc)
{
    int ncols = sqlite3_column_count(st);
    size_t tlen = 0, ncells = 0;
    int nrows = 0;
    for (int i = 0; i < ncols; i++) { /* names first */
        const char *n = sqlite3_column_name(st, i);
        size_t l = n ? strlen(n) : 0;
        if (grow(&c->text, &c->text_cap, tlen + l + 1, 1) < 0) {
            *rc = SQLITE_NOMEM;
            return NULL;
        }
        memcpy(c->text + tlen, n ? n : "", l + 1);
        tlen += l + 1;
    }
    while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow(&c->off, &c->off_cap, 2 * (ncells + (size_t)ncols), sizeof *c->off) < 0) {
            *rc = SQLITE_NOMEM;
            return NULL;
        }
        for (int i = 0; i < ncols; i++, ncells++) {
            size_t len;
            const char *v = column(st, i, &len);
            c->off[2 * ncells] = v ? tlen : SIZE_MAX;
            c->off[2 * ncells + 1] = len;
            if (!v)
                continue;
            if (grow(&c->text, &c->text_cap, tlen + len + 1, 1) < 0) {
                *rc = SQLITE_NOMEM;
                return NULL;
            }
            memcpy(c->text + tlen, v, len);
            c->text[tlen + len] = '\0';
            tlen += len + 1;
        }
        nrows++;
    }
    if (*rc != SQLITE_DONE)
        return NULL;
    char *text;
    store_res_t *r = store_res_packed(nrows, ncols, tlen, &text);
    if (!r) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    *rc = SQLITE_OK;
    if (tlen)
        memcpy(text, c->text, tlen);
    size_t pos = 0;
    for (int i = 0; i < ncols; i++) {
        r->names[i] = text + pos;
        pos += strlen(text + pos) + 1;
    }
    for (size_t i = 0; i < ncells; i++) {
        r->vals[i] = c->off[2 * i] == SIZE_MAX ? NULL : text + c->off[2 * i];
        r->lens[i] = c->off[2 * i + 1];
    }
    r->changes = sqlite3_changes64(c->db);
    if (c->text_cap > (1u << 20)) { /* do not keep a huge scratch around */
        free(c->text);
        c->text = NULL;
        c->text_cap = 0;
        free(c->off);
        c->off = NULL;
        c->off_cap = 0;
    }
    return r;
}

/* How a statement outside any transaction holds the write lock. */
enum { SQ_UNLOCKED, SQ_LOCKED, SQ_GROUPED };

/* Ends what prepare_on's lock began; returns out, or the group's error
 * (a grouped write waits here for its COMMIT). */
static int finish_locked(sq_conn_t *base, int locked, int out, apierr_t *err)
{
    if (locked == SQ_LOCKED) {
        sq_write_unlock(base);
    } else if (locked == SQ_GROUPED) {
        int rc = sq_group_leave(base, out == 0);
        if (out == 0 && rc != SQLITE_OK)
            out = map_error(base, rc, "COMMIT", err);
    }
    return out;
}

/* sql prepared where base's statements run (*on). A write outside any
 * transaction takes the write lock first (*locked: the caller ends it
 * with finish_locked), in a coroutine as a one-statement member of the
 * group commit when group is true. NULL with err set on failure. */
static cached_t *prepare_on(sq_conn_t *base, const char *sql, cached_t *tmp, sq_conn_t **on,
                            int *locked, bool group, apierr_t *err)
{
    sq_conn_t *c = target(base);
    int rc;
    *locked = SQ_UNLOCKED;
    cached_t *p = prepare(c, sql, tmp, &rc);
    if (p && needs_lock(c, p)) {
        release_stmt(p);
        group = group && sq_group_capable(base);
        int got = sq_write_lock(base, group, err);
        if (got < 0)
            return NULL;
        *locked = got == 1 ? SQ_LOCKED : SQ_UNLOCKED;
        if (got == 1 && group && base->route) {
            if (sq_group_enter(base, &rc) < 0) {
                map_error(base->route, rc, "BEGIN", err);
                sq_write_unlock(base);
                *locked = SQ_UNLOCKED;
                return NULL;
            }
            *locked = SQ_GROUPED;
        }
        c = target(base);
        p = prepare(c, sql, tmp, &rc);
    }
    if (!p) {
        map_error(c, rc, sql, err);
        finish_locked(base, *locked, -1, err);
        *locked = SQ_UNLOCKED;
        return NULL;
    }
    *on = c;
    return p;
}

static int sq_query(store_conn_t *b, const char *sql, const store_arg_t *args, int nargs,
                    store_res_t **res, apierr_t *err)
{
    sq_conn_t *base = (sq_conn_t *)b, *c = NULL;
    int locked;
    cached_t tmp;
    cached_t *p = prepare_on(base, sql, &tmp, &c, &locked, true, err);
    if (!p)
        return -1;
    int rc = bind_args(p, args, nargs);
    store_res_t *r = rc == SQLITE_OK ? collect(c, p->stmt, &rc) : NULL;
    release_stmt(p);
    int out = 0;
    if (rc != SQLITE_OK) {
        store_res_free(r);
        r = NULL;
        out = map_error(c, rc, sql, err);
    }
    if ((out = finish_locked(base, locked, out, err)) < 0) {
        store_res_free(r);
        r = NULL;
    }
    if (res)
        *res = r;
    else
        store_res_free(r);
    return out;
}

/* Decimal text of v into out (>= 21 bytes), as SQLite writes integers. */
static size_t fmt_i64(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}

/* Rows straight from SQLite's column pointers: a one-row view per step.
 * Integers are written into a stack buffer instead (column_text would
 * convert them inside SQLite with an allocation per value). */
static int sq_each(store_conn_t *b, const char *sql, const store_arg_t *args, int nargs,
                   store_row_fn fn, void *ctx, apierr_t *err)
{
    sq_conn_t *base = (sq_conn_t *)b, *c = NULL;
    int locked;
    int rc;
    cached_t tmp;
    cached_t *p = prepare_on(base, sql, &tmp, &c, &locked, false, err);
    if (!p)
        return -1;
    sqlite3_stmt *st = p->stmt;
    int ncols = sqlite3_column_count(st);
    if (ncols > EACH_MAX_COLS) {
        release_stmt(p);
        finish_locked(base, locked, -1, err);
        return apierr_set(err, 500, "internal", "too many columns for store_query_each");
    }
    char *names[EACH_MAX_COLS + 1], *vals[EACH_MAX_COLS + 1];
    size_t lens[EACH_MAX_COLS + 1];
    char nums[EACH_MAX_COLS][24];
    for (int i = 0; i < ncols; i++)
        names[i] = (char *)sqlite3_column_name(st, i);
    store_res_t row = {.nrows = 1, .ncols = ncols, .names = names, .vals = vals, .lens = lens};
    int n = 0;
    rc = bind_args(p, args, nargs);
    c->streaming++;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++) {
            if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
                lens[i] = fmt_i64(nums[i], sqlite3_column_int64(st, i));
                vals[i] = nums[i];
            } else {
                vals[i] = (char *)column(st, i, &lens[i]);
            }
        }
        n++;
        if (fn(&row, ctx)) {
            rc = SQLITE_DONE;
            break;
        }
        rc = SQLITE_OK;
    }
    c->streaming--;
    release_stmt(p);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        n = map_error(c, rc, sql, err);
    finish_locked(base, locked, 0, err);
    return n;
}

static int sq_stamp(store_conn_t *base, uint64_t stamp[2])
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth > 0 || c->streaming || c->locked || !sqlite3_get_autocommit(c->db))
        return -1;
    cached_t tmp;
    int rc;
    cached_t *p = prepare(c, "PRAGMA data_version", &tmp, &rc);
    if (!p)
        return -1;
    rc = sqlite3_step(p->stmt);
    int64_t dv = rc == SQLITE_ROW ? sqlite3_column_int64(p->stmt, 0) : -1;
    release_stmt(p);
    if (dv < 0)
        return -1;
    stamp[0] = (uint64_t)dv;
    stamp[1] = (uint64_t)sqlite3_total_changes64(c->db);
    return 0;
}

/* A write transaction takes the process write lock first and runs on the
 * writer connection (sqlite_writer.c); a read transaction stays here. */
static int sq_begin(store_conn_t *base, bool write, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    /* The lock first: waiting for it may let the loop run other requests. */
    bool group = write && c->depth == 0 && sq_group_capable(c);
    int got = write && c->depth == 0 ? sq_write_lock(c, group, err) : 0;
    if (got < 0)
        return -1;
    if (c->depth++ > 0)
        return 0; /* nested: the outer transaction covers it (one opened while
                   * this coroutine waited included; its end unlocks) */
    int rc;
    if (got == 1 && group && c->route) { /* a member of the group commit */
        if (sq_group_enter(c, &rc) == 0)
            return 0;
        c->depth--;
        map_error(c->route, rc, "BEGIN", err);
        sq_write_unlock(c);
        return -1;
    }
    sq_conn_t *t = target(c);
    rc = sqlite3_exec(t->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        c->depth--;
        map_error(t, rc, "BEGIN", err);
        sq_write_unlock(c);
        return -1;
    }
    return 0;
}

static int sq_commit(store_conn_t *base, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth == 0 || --c->depth > 0)
        return 0;
    if (c->grouped) {
        int rc = sq_group_leave(c, true);
        return rc == SQLITE_OK ? 0 : map_error(c, rc, "COMMIT", err);
    }
    sq_conn_t *t = target(c);
    int rc = sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL), out = 0;
    if (rc != SQLITE_OK) {
        out = map_error(t, rc, "COMMIT", err);
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sq_write_unlock(c);
    return out;
}

static void sq_rollback(store_conn_t *base)
{
    sq_conn_t *c = (sq_conn_t *)base;
    if (c->depth == 0)
        return;
    c->depth = 0;
    if (c->grouped) {
        sq_group_leave(c, false);
        return;
    }
    sqlite3_exec(target(c)->db, "ROLLBACK", NULL, NULL, NULL);
    sq_write_unlock(c);
}

/* Inside a write transaction on the writer; outside one it takes the
 * write lock itself (a script may write). */
static int sq_script(store_conn_t *base, const char *sql, apierr_t *err)
{
    sq_conn_t *c = (sq_conn_t *)base;
    bool lock = !c->locked && c->depth == 0 && !c->streaming && !c->writer;
    if (lock) {
        int got = sq_write_lock(c, false, err);
        if (got < 0)
            return -1;
        lock = got == 1;
    }
    char *msg = NULL;
    int rc = sqlite3_exec(target(c)->db, sql, NULL, NULL, &msg), out = 0;
    if (rc != SQLITE_OK) {
        out = apierr_set(err, 500, "migration_failed", "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
    }
    if (lock)
        sq_write_unlock(c);
    return out < 0 ? -1 : 0;
}

const store_driver_t store_sqlite_driver = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .conn_open = sq_conn_open,
    .conn_close = sq_conn_close,
    .query = sq_query,
    .each = sq_each,
    .stamp = sq_stamp,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .script = sq_script,
};

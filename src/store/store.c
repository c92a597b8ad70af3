/*
 * store.c - driver dispatch, results, and counters for /metrics.
 */
#include "store/driver.h"

#include "core/buf.h"
#include "http/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_conn_base {
    store_t *store;
};

static store_t *g_store; /* for the metrics source */

static void store_metrics(buf_t *out)
{
    store_t *s = g_store;
    if (!s)
        return;
    buf_printf(out,
               "# HELP travloc_db_queries_total Database queries run.\n"
               "# TYPE travloc_db_queries_total counter\n"
               "travloc_db_queries_total{backend=\"%s\"} %llu\n"
               "# HELP travloc_db_query_errors_total Database queries that failed.\n"
               "# TYPE travloc_db_query_errors_total counter\n"
               "travloc_db_query_errors_total{backend=\"%s\"} %llu\n"
               "# HELP travloc_db_reconnects_total Database reconnections.\n"
               "# TYPE travloc_db_reconnects_total counter\n"
               "travloc_db_reconnects_total{backend=\"%s\"} %llu\n"
               "# HELP travloc_db_pool_connections Database connections by state.\n"
               "# TYPE travloc_db_pool_connections gauge\n"
               "travloc_db_pool_connections{state=\"open\"} %ld\n"
               "travloc_db_pool_connections{state=\"busy\"} %ld\n"
               "# HELP travloc_db_pool_waiting Queries waiting for a connection.\n"
               "# TYPE travloc_db_pool_waiting gauge\n"
               "travloc_db_pool_waiting %ld\n",
               s->drv->name, (unsigned long long)atomic_load(&s->queries), s->drv->name,
               (unsigned long long)atomic_load(&s->errors), s->drv->name,
               (unsigned long long)atomic_load(&s->reconnects), atomic_load(&s->pool_size),
               atomic_load(&s->pool_busy), atomic_load(&s->pool_waiting));
}

int store_open(store_t **out, const config_t *cfg, char *err, size_t errlen)
{
    store_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = cfg;
    s->drv = config_is_postgres(cfg) ? &store_pg_driver : &store_sqlite_driver;
    if (s->drv->open(s, err, errlen) < 0) {
        free(s->path);
        free(s->conninfo);
        free(s);
        return -1;
    }
    if (!g_store) {
        g_store = s;
        metrics_add_source(store_metrics);
    }
    *out = s;
    return 0;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    s->drv->close(s);
    if (g_store == s)
        g_store = NULL;
    free(s->path);
    free(s->conninfo);
    free(s);
}

store_kind_t store_kind(const store_t *s)
{
    return s->drv == &store_pg_driver ? STORE_POSTGRES : STORE_SQLITE;
}

const char *store_backend_name(const store_t *s) { return s->drv->name; }

store_kind_t store_conn_kind(const store_conn_t *c)
{
    return store_kind(((const struct store_conn_base *)c)->store);
}

store_conn_t *store_conn_open(store_t *s, uv_loop_t *loop) { return s->drv->conn_open(s, loop); }

void store_conn_close(store_conn_t *c)
{
    if (c)
        ((struct store_conn_base *)c)->store->drv->conn_close(c);
}

static store_t *conn_store(store_conn_t *c) { return ((struct store_conn_base *)c)->store; }

int store_query(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                store_res_t **res, apierr_t *err)
{
    if (res)
        *res = NULL;
    if (!c)
        return apierr_set(err, 503, "database_unavailable", "the database is not available");
    store_t *s = conn_store(c);
    atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
    int rc = s->drv->query(c, sql, args, nargs, res, err);
    if (rc < 0)
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    return rc;
}

int store_query_each(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                     store_row_fn fn, void *ctx, apierr_t *err)
{
    if (!c)
        return apierr_set(err, 503, "database_unavailable", "the database is not available");
    store_t *s = conn_store(c);
    if (s->drv->each) {
        atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed);
        int rc = s->drv->each(c, sql, args, nargs, fn, ctx, err);
        if (rc < 0)
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        return rc;
    }
    store_res_t *r = NULL;
    if (store_query(c, sql, args, nargs, &r, err) < 0)
        return -1;
    int n = store_res_each(r, fn, ctx);
    store_res_free(r);
    return n;
}

int store_exec(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
               apierr_t *err)
{
    store_res_t *r = NULL;
    int rc = store_query(c, sql, args, nargs, &r, err);
    store_res_free(r);
    return rc;
}

int store_begin(store_conn_t *c, bool write, apierr_t *err)
{
    if (!c)
        return apierr_set(err, 503, "database_unavailable", "the database is not available");
    return conn_store(c)->drv->begin(c, write, err);
}

int store_commit(store_conn_t *c, apierr_t *err) { return conn_store(c)->drv->commit(c, err); }

void store_rollback(store_conn_t *c)
{
    if (c)
        conn_store(c)->drv->rollback(c);
}

int store_change_stamp(store_conn_t *c, uint64_t stamp[2])
{
    if (!c || !conn_store(c)->drv->stamp)
        return -1;
    return conn_store(c)->drv->stamp(c, stamp);
}

int store_ping(store_conn_t *c, apierr_t *err)
{
    return store_exec(c, "SELECT 1", NULL, 0, err);
}

/* ---- results ------------------------------------------------------------------ */

store_res_t *store_res_new(int nrows, int ncols)
{
    store_res_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->nrows = nrows;
    r->ncols = ncols;
    size_t cells = (size_t)nrows * (size_t)ncols;
    r->names = calloc((size_t)ncols + 1, sizeof *r->names);
    r->vals = calloc(cells + 1, sizeof *r->vals);
    r->lens = calloc(cells + 1, sizeof *r->lens);
    if (!r->names || !r->vals || !r->lens) {
        store_res_free(r);
        return NULL;
    }
    return r;
}

store_res_t *store_res_packed(int nrows, int ncols, size_t textlen, char **text)
{
    size_t cells = (size_t)nrows * (size_t)ncols;
    size_t head = sizeof(store_res_t);
    size_t ptrs = ((size_t)ncols + 1 + cells + 1) * sizeof(char *);
    size_t lens = (cells + 1) * sizeof(size_t);
    char *block = malloc(head + ptrs + lens + textlen + 1);
    if (!block)
        return NULL;
    store_res_t *r = (store_res_t *)block;
    memset(r, 0, sizeof *r);
    r->nrows = nrows;
    r->ncols = ncols;
    r->packed = true;
    r->names = (char **)(block + head);
    r->vals = r->names + ncols + 1;
    r->lens = (size_t *)(block + head + ptrs);
    memset(r->names, 0, ptrs);
    memset(r->lens, 0, lens);
    *text = block + head + ptrs + lens;
    return r;
}

int store_res_each(const store_res_t *r, store_row_fn fn, void *ctx)
{
    store_res_t row = *r;
    row.nrows = r->nrows > 0 ? 1 : 0;
    for (int i = 0; i < r->nrows; i++) {
        row.vals = r->vals + (size_t)i * (size_t)r->ncols;
        row.lens = r->lens + (size_t)i * (size_t)r->ncols;
        if (fn(&row, ctx))
            return i + 1;
    }
    return r->nrows;
}

int store_res_set(store_res_t *r, int row, int col, const char *v, size_t len)
{
    size_t i = (size_t)row * (size_t)r->ncols + (size_t)col;
    if (!v)
        return 0;
    char *d = malloc(len + 1);
    if (!d)
        return -1;
    memcpy(d, v, len);
    d[len] = '\0';
    r->vals[i] = d;
    r->lens[i] = len;
    return 0;
}

int store_res_name(store_res_t *r, int col, const char *name)
{
    return (r->names[col] = strdup(name)) ? 0 : -1;
}

const char *store_val(const store_res_t *r, int row, int col)
{
    if (!r || row < 0 || col < 0 || row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->vals[(size_t)row * (size_t)r->ncols + (size_t)col];
}

int64_t store_int(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? strtoll(v, NULL, 10) : 0;
}

double store_real(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? strtod(v, NULL) : 0.0;
}

bool store_bool(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v && (v[0] == 't' || v[0] == '1');
}

void store_res_free(store_res_t *r)
{
    if (!r)
        return;
    if (r->hold_free)
        r->hold_free(r->hold);
    if (r->packed) {
        free(r);
        return;
    }
    size_t cells = (size_t)r->nrows * (size_t)r->ncols;
    if (r->vals)
        for (size_t i = 0; i < cells; i++)
            free(r->vals[i]);
    if (r->names)
        for (int i = 0; i < r->ncols; i++)
            free(r->names[i]);
    free(r->vals);
    free(r->lens);
    free(r->names);
    free(r);
}

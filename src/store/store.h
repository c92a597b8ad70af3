/*
 * store.h - the one storage interface, two drivers (SQLite, PostgreSQL).
 *
 * store_t is process-wide (configuration, counters); store_conn_t belongs
 * to one loop thread (an SQLite connection with its statement cache, or a
 * pool of asynchronous libpq connections). Queries are written once with
 * $1..$n placeholders and run on both drivers.
 *
 * Calling convention: inside a request coroutine a PostgreSQL query
 * suspends the coroutine until the result arrives (the loop keeps
 * serving); SQLite runs inline. Outside a coroutine (CLI commands,
 * migrations) both drivers block. Handlers never ask which driver runs.
 *
 * Ownership: store_query returns a store_res_t the caller frees with
 * store_res_free. Values are packed into the result's one allocation
 * (SQLite) or point into the driver's own result (PostgreSQL, kept alive
 * by the store_res_t); either way no per-value malloc. store_query_each
 * streams rows to a callback instead: each row is a one-row store_res_t
 * view whose values are valid only during the callback (SQLite hands out
 * its column pointers, nothing is copied). Errors come back as an apierr_t:
 * 409 "conflict" for a unique/foreign-key violation, 503
 * "database_unavailable" when the server is unreachable, 500 otherwise
 * (the SQL error is logged, never sent to the client).
 */
#ifndef TRAVLOC_STORE_H
#define TRAVLOC_STORE_H

#include "core/apierr.h"
#include "core/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct store store_t;
typedef struct store_conn store_conn_t;

typedef enum { STORE_SQLITE, STORE_POSTGRES } store_kind_t;

typedef enum { SA_NULL, SA_TEXT, SA_INT, SA_REAL, SA_BOOL, SA_BLOB } store_arg_type_t;

typedef struct {
    store_arg_type_t type;
    const char *s;      /* SA_TEXT, SA_BLOB */
    size_t len;         /* SA_BLOB; SA_TEXT uses strlen when 0 */
    int64_t i;          /* SA_INT, SA_BOOL */
    double d;           /* SA_REAL */
} store_arg_t;

#define ARG_NULL ((store_arg_t){.type = SA_NULL})
#define ARG_TEXT(v) store_arg_text(v)
#define ARG_INT(v) ((store_arg_t){.type = SA_INT, .i = (v)})
#define ARG_REAL(v) ((store_arg_t){.type = SA_REAL, .d = (v)})
#define ARG_BOOL(v) ((store_arg_t){.type = SA_BOOL, .i = (v) ? 1 : 0})
#define ARG_BLOB(p, n) ((store_arg_t){.type = SA_BLOB, .s = (const char *)(p), .len = (n)})

static inline store_arg_t store_arg_text(const char *v)
{
    return (store_arg_t){.type = v ? SA_TEXT : SA_NULL, .s = v};
}

typedef struct {
    int nrows, ncols;
    char **names;       /* ncols column names */
    char **vals;        /* nrows * ncols, NULL for SQL NULL */
    size_t *lens;
    int64_t changes;    /* rows changed by INSERT/UPDATE/DELETE */
    /* Private to the store: how the result is freed. */
    bool packed;        /* names/vals/lens/text live in this one block */
    void *hold;         /* driver result the values point into */
    void (*hold_free)(void *);
} store_res_t;

/* Row callback of store_query_each: row is a one-row view (store_val(row,
 * 0, col) etc.), valid only during the call. Return 0 to go on, nonzero to
 * stop. The callback must not keep pointers into row; it may run other
 * queries (they use other statements). */
typedef int (*store_row_fn)(const store_res_t *row, void *ctx);

/* Process-wide open: SQLite file under cfg->data_dir (created) or the
 * PostgreSQL server of cfg->database_url (checked with one connection). */
int store_open(store_t **out, const config_t *cfg, char *err, size_t errlen);
void store_close(store_t *s);
store_kind_t store_kind(const store_t *s);
const char *store_backend_name(const store_t *s);

/* Applies pending embedded migrations (blocking). verbose prints each. */
int store_migrate(store_t *s, bool verbose, char *err, size_t errlen);

/* Per-thread handle. loop NULL gives a blocking handle (CLI). */
store_conn_t *store_conn_open(store_t *s, uv_loop_t *loop);
void store_conn_close(store_conn_t *c);
/* The backend behind a handle (for the few statements written per dialect). */
store_kind_t store_conn_kind(const store_conn_t *c);

int store_query(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                store_res_t **res, apierr_t *err);
/* Runs a query and hands each row to fn without building a result set.
 * Returns the number of rows handed out (>= 0) or -1 with err. */
int store_query_each(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                     store_row_fn fn, void *ctx, apierr_t *err);
/* Same without a result. */
int store_exec(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
               apierr_t *err);
/* Transactions pin the connection to the calling coroutine until commit or
 * rollback. write=true takes the write lock up front on SQLite. */
int store_begin(store_conn_t *c, bool write, apierr_t *err);
int store_commit(store_conn_t *c, apierr_t *err);
void store_rollback(store_conn_t *c);
/* A value that changes whenever the database may have changed since the
 * last call returned it: a commit by this connection or by any other
 * connection or process. SQLite: PRAGMA data_version plus this
 * connection's total_changes. -1 when the driver cannot tell cheaply
 * (PostgreSQL: other nodes write too) or inside a transaction; caches
 * keyed by it are then not used. */
int store_change_stamp(store_conn_t *c, uint64_t stamp[2]);
/* Quick liveness probe for /ready. */
int store_ping(store_conn_t *c, apierr_t *err);

/* Result access. Row/column out of range gives NULL / 0. */
const char *store_val(const store_res_t *r, int row, int col);
int64_t store_int(const store_res_t *r, int row, int col);
double store_real(const store_res_t *r, int row, int col);
bool store_bool(const store_res_t *r, int row, int col);
void store_res_free(store_res_t *r);

#endif

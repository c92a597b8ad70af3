/*
 * driver.h - what a storage driver provides (store.c dispatches to it).
 */
#ifndef TRAVLOC_STORE_DRIVER_H
#define TRAVLOC_STORE_DRIVER_H

#include "store/store.h"

#include <stdatomic.h>

typedef struct {
    const char *name;
    int (*open)(store_t *s, char *err, size_t errlen);
    void (*close)(store_t *s);
    store_conn_t *(*conn_open)(store_t *s, uv_loop_t *loop);
    void (*conn_close)(store_conn_t *c);
    int (*query)(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                 store_res_t **res, apierr_t *err);
    /* Optional: streams rows (store.c falls back to query + views). */
    int (*each)(store_conn_t *c, const char *sql, const store_arg_t *args, int nargs,
                store_row_fn fn, void *ctx, apierr_t *err);
    int (*stamp)(store_conn_t *c, uint64_t stamp[2]); /* optional */
    int (*begin)(store_conn_t *c, bool write, apierr_t *err);
    int (*commit)(store_conn_t *c, apierr_t *err);
    void (*rollback)(store_conn_t *c);
    /* Runs several ;-separated statements (migrations; blocking handles). */
    int (*script)(store_conn_t *c, const char *sql, apierr_t *err);
} store_driver_t;

struct store {
    const store_driver_t *drv;
    const config_t *cfg;
    char *path;          /* SQLite file */
    char *conninfo;      /* PostgreSQL URL */
    void *drv_state;     /* driver-private, process-wide (SQLite: the writer) */
    _Atomic uint64_t queries, errors, reconnects;
    _Atomic long pool_size, pool_busy, pool_waiting;
};

extern const store_driver_t store_sqlite_driver;
extern const store_driver_t store_pg_driver;

/* Helpers shared by the drivers. */
store_res_t *store_res_new(int nrows, int ncols);
int store_res_set(store_res_t *r, int row, int col, const char *v, size_t len);
int store_res_name(store_res_t *r, int col, const char *name);
/* One block for a whole result: pointer arrays for nrows x ncols plus
 * textlen bytes of text (returned in *text) for names and values. */
store_res_t *store_res_packed(int nrows, int ncols, size_t textlen, char **text);
/* Calls fn for each row of r as a one-row view; the count or stop. */
int store_res_each(const store_res_t *r, store_row_fn fn, void *ctx);

#endif

/*
 * pg_int.h - shared between the PostgreSQL driver's files (pg.c: pool and
 * queries on the loop; pg_result.c: errors, parameters, results). Not a
 * public interface.
 */
#ifndef TRAVLOC_STORE_PG_INT_H
#define TRAVLOC_STORE_PG_INT_H

#include "store/driver.h"

#include <libpq-fe.h>

#define MAX_ARGS 64

/* libpq parameters for one query; text[] holds formatted numbers. */
typedef struct {
    const char *values[MAX_ARGS];
    int lengths[MAX_ARGS];
    int formats[MAX_ARGS];
    char text[MAX_ARGS][32];
} params_t;

/* Maps a failed result (or a dead connection) to 409/503/500 in err.
 * Returns -1. */
int pg_map_result_error(const PGresult *r, PGconn *pg, apierr_t *err);
/* Fills pp from args (borrowed; pp points into them). -1 when nargs >
 * MAX_ARGS. */
int pg_build_params(params_t *pp, const store_arg_t *args, int nargs);
/* Checks *r; with res, moves it into a new *res (and *r becomes NULL).
 * 0, or -1 with err. */
int pg_finish_result(PGresult **r, PGconn *pg, store_res_t **res, apierr_t *err);
/* A notice processor that drops server notices. */
void pg_notice_ignore(void *arg, const char *message);

#endif

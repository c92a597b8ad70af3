/*
 * pg_result.c - the PostgreSQL driver's pure parts: SQLSTATE to API
 * errors, store arguments to libpq parameters, PGresult to store_res_t
 * (values point into the PGresult, which the result then owns), and the
 * notice processor. No I/O; see pg.c for the connections.
 */
#include "store/pg_int.h"

#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------ */

int pg_map_result_error(const PGresult *r, PGconn *pg, apierr_t *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strncmp(state, "23", 2) == 0)
        return apierr_set(err, 409, "conflict", "the change conflicts with existing data");
    if (!state || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        PQstatus(pg) == CONNECTION_BAD)
        return apierr_set(err, 503, "database_unavailable", "the database is not available");
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return apierr_set(err, 503, "database_busy", "the database is busy; retry");
    log_error("postgres error", "\"sqlstate\":\"%s\",\"error\":\"%.200s\"", state,
              PQresultErrorMessage(r));
    return apierr_set(err, 500, "internal", "internal database error");
}

/* Server notices (e.g. "relation already exists, skipping" from the
 * migrations' IF NOT EXISTS) are not errors: keep them off stderr. */
void pg_notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int pg_build_params(params_t *pp, const store_arg_t *args, int nargs)
{
    if (nargs > MAX_ARGS)
        return -1;
    for (int i = 0; i < nargs; i++) {
        const store_arg_t *a = &args[i];
        pp->formats[i] = 0;
        pp->lengths[i] = 0;
        switch (a->type) {
        case SA_TEXT:
            pp->values[i] = a->s;
            break;
        case SA_BLOB:
            pp->values[i] = a->s;
            pp->lengths[i] = (int)a->len;
            pp->formats[i] = 1;
            break;
        case SA_INT:
            snprintf(pp->text[i], 32, "%lld", (long long)a->i);
            pp->values[i] = pp->text[i];
            break;
        case SA_BOOL:
            pp->values[i] = a->i ? "t" : "f";
            break;
        case SA_REAL:
            snprintf(pp->text[i], 32, "%.17g", a->d);
            pp->values[i] = pp->text[i];
            break;
        default:
            pp->values[i] = NULL;
        }
    }
    return 0;
}

static void clear_result(void *r) { PQclear(r); }

/* The result's values point into the PGresult (NUL-terminated text that
 * libpq keeps until PQclear), which the store_res_t now owns: one small
 * allocation for the pointer arrays, no copies. *r is NULL afterwards. */
static store_res_t *convert(PGresult **rp)
{
    PGresult *r = *rp;
    int nrows = PQntuples(r), ncols = PQnfields(r);
    char *text;
    store_res_t *res = store_res_packed(nrows, ncols, 0, &text);
    if (!res)
        return NULL;
    for (int j = 0; j < ncols; j++)
        res->names[j] = PQfname(r, j);
    size_t k = 0;
    for (int i = 0; i < nrows; i++)
        for (int j = 0; j < ncols; j++, k++)
            if (!PQgetisnull(r, i, j)) {
                res->vals[k] = PQgetvalue(r, i, j);
                res->lens[k] = (size_t)PQgetlength(r, i, j);
            }
    const char *n = PQcmdTuples(r);
    res->changes = n && *n ? strtoll(n, NULL, 10) : 0;
    res->hold = r;
    res->hold_free = clear_result;
    *rp = NULL;
    return res;
}

/* On success with res, the result moves into *res and *r becomes NULL. */
int pg_finish_result(PGresult **r, PGconn *pg, store_res_t **res, apierr_t *err)
{
    ExecStatusType st = *r ? PQresultStatus(*r) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return pg_map_result_error(*r, pg, err);
    if (res && !(*res = convert(r)))
        return apierr_set(err, 500, "internal", "out of memory");
    return 0;
}

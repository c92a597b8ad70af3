/*
 * sync_int.h - what sync.c (the endpoints) and sync_trip.c (trip
 * mutations and their conflict strategies) share.
 *
 * A sync_mut_t borrows every string and data from the request body.
 * Results are JSON objects {clientMutationId, status: applied | conflict
 * | rejected, entity, id, ...}; the functions returning them give new
 * references, or NULL with err set for a server failure (the caller rolls
 * back and answers 5xx).
 */
#ifndef TRAVLOC_SYNC_INT_H
#define TRAVLOC_SYNC_INT_H

#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *cmid, *entity, *id, *op;
    const char *user_id, *device;
    int64_t base_version, client_ts;
    json_t *data;           /* object for create / update */
    int strategy;           /* sync_strategy_t */
} sync_mut_t;

/* Applies one trip mutation inside the caller's transaction. */
json_t *sync_trip_apply(store_conn_t *db, const sync_mut_t *m, apierr_t *err);
/* The user's own entities (sync_user.c): whether entity is one of them,
 * and one mutation of it inside the caller's transaction. */
bool sync_user_entity(const char *entity);
json_t *sync_user_apply(store_conn_t *db, const sync_mut_t *m, apierr_t *err);
/* A "rejected" result from err (cleared). */
json_t *sync_rejected(const sync_mut_t *m, apierr_t *err);
/* Stores the result under the clientMutationId and keeps sync_conflicts
 * in step (a conflict is pending until an applied mutation of the same
 * entity from the same device). */
int sync_record(store_conn_t *db, const sync_mut_t *m, json_t *res, apierr_t *err);
/* One change-log row as pull returns it. */
json_t *sync_change_json(const store_res_t *r, int row);

#endif

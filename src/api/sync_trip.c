/*
 * sync_trip.c - trip mutations pushed by offline clients, and what each
 * strategy does when the mutation's baseVersion is not the server's:
 *
 *   server-wins      nothing changes; the result is a conflict carrying the
 *                    server's version and data (the default).
 *   client-wins      the client's fields are applied over the server's.
 *   last-write-wins  the later clientTimestamp wins (API writes count with
 *                    their server time); equal timestamps go to the greater
 *                    clientMutationId, and the server keeps an exact tie.
 *   merge            field-level: fields only the client changed since its
 *                    base are applied, fields only the server changed stay;
 *                    a field both changed keeps the server's value and is
 *                    listed in conflictingFields (status conflict, with the
 *                    non-overlapping edits applied).
 *
 * The client's base is found in the change log (the trip's data at
 * baseVersion). "data" is a JSON merge patch of the trip's editable
 * fields; a create's data is the whole trip.
 */
#include "api/sync_int.h"
#include "api/trips_int.h"

#include "trips/logic.h"

#include <stdio.h>
#include <string.h>

static json_t *result(const sync_mut_t *m, const char *status, json_t *trip)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "clientMutationId", m->cmid, "status", status,
                          "entity", m->entity, "id", m->id);
    if (trip) {
        json_object_set(o, "version", json_object_get(trip, "version"));
        json_object_set_new(o, "data", trip);
    }
    return o;
}

static json_t *conflict(const sync_mut_t *m, const store_res_t *cur, json_t *fields)
{
    json_t *o = result(m, "conflict", NULL);
    json_object_set_new(o, "serverVersion", json_integer(store_int(cur, 0, TC_VERSION)));
    json_object_set_new(o, "serverData", trip_json(cur, 0, false));
    if (fields)
        json_object_set_new(o, "conflictingFields", fields);
    return o;
}

/* Stores `next` (editable fields, owned) over the loaded trip. A
 * rejection (validation, transition) comes back as a rejected result. */
static json_t *store_next(store_conn_t *db, const sync_mut_t *m, const store_res_t *cur,
                          json_t *next, const char *status, json_t *fields, apierr_t *err)
{
    trip_fields_t f;
    int rc = trip_fields_parse(next, &f, err); /* f borrows from next */
    int from = trips_status_parse(store_val(cur, 0, TC_STATUS));
    if (rc == 0 && !trips_status_allowed((trip_status_t)from, (trip_status_t)f.status)) {
        apierr_set(err, 409, "illegal_transition", "a %s trip cannot become %s",
                   store_val(cur, 0, TC_STATUS), trips_status_name(f.status));
        rc = -1;
    }
    json_t *out = NULL;
    trip_write_t w = {.user_id = m->user_id, .id = m->id,
                      .expect = store_int(cur, 0, TC_VERSION), .client_ts = m->client_ts,
                      .client_tag = m->cmid};
    if (rc == 0)
        rc = trip_store(db, &w, &f, &out, err);
    trip_fields_free(&f);
    json_decref(next);
    if (rc < 0) {
        json_decref(fields);
        return err->status >= 500 ? NULL : sync_rejected(m, err);
    }
    json_t *o = result(m, status, out);
    if (fields)
        json_object_set_new(o, "conflictingFields", fields);
    return o;
}

/* The trip's editable fields at `version`, from the change log; NULL when
 * the log no longer has it. */
static json_t *base_at(store_conn_t *db, const char *id, int64_t version, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(version)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT data FROM changes WHERE entity_id = $1 AND version = $2 AND "
                    "entity = 'trip' AND data IS NOT NULL ORDER BY seq DESC LIMIT 1",
                    a, 2, &r, err) < 0)
        return NULL;
    json_t *full = r->nrows == 1 ? json_loads(store_val(r, 0, 0), 0, NULL) : NULL;
    store_res_free(r);
    json_t *e = full ? trip_editable(full) : NULL;
    json_decref(full);
    return e;
}

static json_t *apply_update(store_conn_t *db, const sync_mut_t *m, const store_res_t *cur,
                            apierr_t *err)
{
    json_t *full = trip_json(cur, 0, false);
    json_t *now = trip_editable(full);
    json_decref(full);
    json_t *patch = trip_editable(m->data);
    int64_t v = store_int(cur, 0, TC_VERSION);
    bool stale = m->base_version != v;
    json_t *next = NULL, *fields = NULL;
    const char *status = "applied";
    if (!stale || m->strategy == SYNC_CLIENT_WINS ||
        (m->strategy == SYNC_LAST_WRITE_WINS &&
         trips_lww_client_wins(store_int(cur, 0, TC_CLIENT_TS), store_val(cur, 0, TC_CLIENT_TAG),
                               m->client_ts, m->cmid))) {
        next = trips_merge_patch(now, patch);
    } else if (m->strategy == SYNC_MERGE) {
        apierr_t e2 = {0};
        json_t *base = base_at(db, m->id, m->base_version, &e2);
        apierr_clear(&e2);
        next = trips_merge_fields(base, now, patch, &fields);
        json_decref(base);
        if (json_array_size(fields) > 0)
            status = "conflict";
        if (json_equal(next, now)) { /* nothing of the client's survives */
            json_decref(next);
            json_decref(now);
            json_decref(patch);
            return conflict(m, cur, fields);
        }
    } else {
        json_decref(now);
        json_decref(patch);
        return conflict(m, cur, NULL);
    }
    json_decref(now);
    json_decref(patch);
    return store_next(db, m, cur, next, status, fields, err);
}

static json_t *apply_delete(store_conn_t *db, const sync_mut_t *m, const store_res_t *cur,
                            int role, apierr_t *err)
{
    if (role < ROLE_OWNER) {
        apierr_set(err, 403, "forbidden", "only the owner deletes a trip");
        return sync_rejected(m, err);
    }
    int64_t v = store_int(cur, 0, TC_VERSION);
    bool go = m->base_version == v || m->strategy == SYNC_CLIENT_WINS ||
              (m->strategy == SYNC_LAST_WRITE_WINS &&
               trips_lww_client_wins(store_int(cur, 0, TC_CLIENT_TS),
                                     store_val(cur, 0, TC_CLIENT_TAG), m->client_ts, m->cmid));
    if (!go)
        return conflict(m, cur, NULL);
    if (trip_delete_row(db, m->user_id, m->id, v, err) < 0)
        return err->status >= 500 ? NULL : sync_rejected(m, err);
    json_t *o = result(m, "applied", NULL);
    json_object_set_new(o, "version", json_integer(v + 1));
    return o;
}

static json_t *apply_create(store_conn_t *db, const sync_mut_t *m, apierr_t *err)
{
    store_res_t *r = NULL;
    if (trip_select(db, m->id, &r, err) < 0)
        return NULL;
    bool exists = r->nrows > 0;
    store_res_free(r);
    if (exists) {
        apierr_set(err, 409, "conflict", "a trip with this id already exists");
        return sync_rejected(m, err);
    }
    trip_fields_t f;
    json_t *out = NULL;
    trip_write_t w = {.user_id = m->user_id, .id = m->id, .client_ts = m->client_ts,
                      .client_tag = m->cmid};
    int rc = trip_fields_parse(m->data, &f, err);
    if (rc == 0)
        rc = trip_store(db, &w, &f, &out, err);
    trip_fields_free(&f);
    if (rc < 0)
        return err->status >= 500 ? NULL : sync_rejected(m, err);
    return result(m, "applied", out);
}

json_t *sync_trip_apply(store_conn_t *db, const sync_mut_t *m, apierr_t *err)
{
    if (strcmp(m->op, "create") == 0)
        return apply_create(db, m, err);
    store_res_t *cur = NULL;
    int role = 0;
    int need = strcmp(m->op, "delete") == 0 ? ROLE_VIEWER : ROLE_EDITOR;
    if (trip_lock(db, m->id, err) < 0 || trip_load(db, m->id, m->user_id, need, &cur, &role, err) < 0)
        return err->status >= 500 ? NULL : sync_rejected(m, err);
    json_t *res = strcmp(m->op, "update") == 0 ? apply_update(db, m, cur, err)
                                               : apply_delete(db, m, cur, role, err);
    store_res_free(cur);
    return res;
}

/*
 * trips_nested.c - destinations of a trip: /v1/trips/:id/destinations CRUD,
 * and the destination JSON shape that GET /v1/trips/:id embeds. A
 * destination's stay (arrival..departure, dates) must lie inside the
 * trip's dates. Viewers read; editors write. Every write bumps the row's
 * version, reindexes the trip's search text and logs a change, in one
 * transaction.
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "trips/logic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEST_COLS                                                                             \
    "id, trip_id, name, type, arrival, departure, lat, lng, address, notes, version, "        \
    "created_at, updated_at"
enum { DC_ID, DC_TRIP, DC_NAME, DC_TYPE, DC_ARR, DC_DEP, DC_LAT, DC_LNG, DC_ADDR, DC_NOTES,
       DC_VERSION, DC_CREATED, DC_UPDATED };

static json_t *col_str(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? json_string(v) : json_null();
}

static json_t *dest_json(const store_res_t *r, int row, bool pub)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", col_str(r, row, DC_ID));
    json_object_set_new(o, "tripId", col_str(r, row, DC_TRIP));
    json_object_set_new(o, "name", col_str(r, row, DC_NAME));
    json_object_set_new(o, "type", col_str(r, row, DC_TYPE));
    json_object_set_new(o, "arrival", col_str(r, row, DC_ARR));
    json_object_set_new(o, "departure", col_str(r, row, DC_DEP));
    json_object_set_new(o, "coordinates",
                        store_val(r, row, DC_LAT)
                            ? json_pack("{s:f, s:f}", "lat", store_real(r, row, DC_LAT), "lng",
                                        store_real(r, row, DC_LNG))
                            : json_null());
    if (!pub) {
        json_object_set_new(o, "address", col_str(r, row, DC_ADDR));
        json_object_set_new(o, "notes", col_str(r, row, DC_NOTES));
        json_object_set_new(o, "version", json_integer(store_int(r, row, DC_VERSION)));
        json_object_set_new(o, "createdAt", acc_time(store_int(r, row, DC_CREATED)));
        json_object_set_new(o, "updatedAt", acc_time(store_int(r, row, DC_UPDATED)));
    }
    return o;
}

json_t *dest_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT " DEST_COLS " FROM destinations WHERE trip_id = $1 AND deleted_at "
                    "IS NULL ORDER BY arrival, id",
                    a, 1, &r, err) < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(arr, dest_json(r, i, public_view));
    store_res_free(r);
    return arr;
}

typedef struct {
    const char *name, *type, *arrival, *departure, *address, *notes;
    bool has_coord;
    double lat, lng;
} dest_fields_t;

static int dest_parse(json_t *b, const store_res_t *trip, dest_fields_t *f, apierr_t *err)
{
    memset(f, 0, sizeof *f);
    if (acc_str(b, "name", 1, 200, true, &f->name, err) < 0 ||
        acc_str(b, "type", 1, 40, false, &f->type, err) < 0 ||
        tf_date(b, "arrival", false, &f->arrival, err) < 0 ||
        tf_date(b, "departure", false, &f->departure, err) < 0 ||
        acc_str(b, "address", 0, 500, false, &f->address, err) < 0 ||
        acc_str(b, "notes", 0, 5000, false, &f->notes, err) < 0)
        return -1;
    const char *ts = store_val(trip, 0, TC_START), *te = store_val(trip, 0, TC_END);
    if (f->arrival && (strcmp(f->arrival, ts) < 0 || strcmp(f->arrival, te) > 0))
        return acc_invalid(err, "arrival", "must be within the trip's dates (%s to %s)", ts, te);
    if (f->departure && (strcmp(f->departure, ts) < 0 || strcmp(f->departure, te) > 0))
        return acc_invalid(err, "departure", "must be within the trip's dates (%s to %s)", ts,
                           te);
    if (f->arrival && f->departure && strcmp(f->departure, f->arrival) < 0)
        return acc_invalid(err, "departure", "must not be before arrival");
    json_t *c = json_object_get(b, "coordinates");
    if (c && !json_is_null(c)) {
        json_t *la = json_object_get(c, "lat"), *ln = json_object_get(c, "lng");
        if (!json_is_object(c) || !json_is_number(la) || !json_is_number(ln))
            return acc_invalid(err, "coordinates", "must be {\"lat\": number, \"lng\": number}");
        f->lat = json_number_value(la);
        f->lng = json_number_value(ln);
        if (!(f->lat >= -90 && f->lat <= 90 && f->lng >= -180 && f->lng <= 180))
            return acc_invalid(err, "coordinates", "lat must be -90..90 and lng -180..180");
        f->has_coord = true;
    }
    if (!f->type)
        f->type = "city";
    if (!f->address)
        f->address = "";
    if (!f->notes)
        f->notes = "";
    return 0;
}

/* Reads one live destination of the trip; 404 when none. */
static int dest_get_row(store_conn_t *db, const char *trip_id, const char *id, store_res_t **out,
                        apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(trip_id)};
    if (store_query(db,
                    "SELECT " DEST_COLS " FROM destinations WHERE id = $1 AND trip_id = $2 AND "
                    "deleted_at IS NULL",
                    a, 2, out, err) < 0)
        return -1;
    if ((*out)->nrows != 1) {
        store_res_free(*out);
        *out = NULL;
        return apierr_set(err, 404, "not_found", "no such destination");
    }
    return 0;
}

/* Writes (expect 0: inserts) and logs; *out gets the new JSON. */
static int dest_store(store_conn_t *db, const char *trip_id, const char *id, int64_t expect,
                      const dest_fields_t *f, json_t **out, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(trip_id), ARG_TEXT(f->name), ARG_TEXT(f->type),
                       ARG_TEXT(f->arrival), ARG_TEXT(f->departure),
                       f->has_coord ? ARG_REAL(f->lat) : ARG_NULL,
                       f->has_coord ? ARG_REAL(f->lng) : ARG_NULL, ARG_TEXT(f->address),
                       ARG_TEXT(f->notes), ARG_INT(now), ARG_INT(expect)};
    store_res_t *r = NULL;
    int rc = expect == 0
                 ? store_query(db,
                               "INSERT INTO destinations (id, trip_id, name, type, arrival, "
                               "departure, lat, lng, address, notes, created_at, updated_at) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                               a, 11, &r, err)
                 : store_query(db,
                               "UPDATE destinations SET name = $3, type = $4, arrival = $5, "
                               "departure = $6, lat = $7, lng = $8, address = $9, notes = $10, "
                               "updated_at = $11, version = version + 1 WHERE id = $1 AND "
                               "trip_id = $2 AND version = $12 AND deleted_at IS NULL",
                               a, 12, &r, err);
    if (rc < 0)
        return -1;
    bool ok = r->changes == 1;
    store_res_free(r);
    if (!ok)
        return apierr_set(err, 412, "precondition_failed", "the destination changed meanwhile");
    if (trip_reindex(db, trip_id, err) < 0 || dest_get_row(db, trip_id, id, &r, err) < 0)
        return -1;
    *out = dest_json(r, 0, false);
    int64_t v = store_int(r, 0, DC_VERSION);
    store_res_free(r);
    if (changes_log(db, trip_id, NULL, "destination", id, expect ? "update" : "create", v, *out,
                    err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

void dest_list_h(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = dest_list(db, tid, false, &err);
    if (!items)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

void dest_get_h(http_req_t *req)
{
    const char *tid, *did;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "destId", &did) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0 ||
        dest_get_row(db, tid, did, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t v = store_int(r, 0, DC_VERSION);
    http_send_json(req, 200, dest_json(r, 0, false));
    store_res_free(r);
    acc_etag(req, v);
}

/* Shared by create and patch: body (owned) is the full new state. */
static void dest_write(http_req_t *req, const char *tid, const char *did, json_t *body)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *trip = NULL, *cur = NULL;
    json_t *out = NULL;
    dest_fields_t f;
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_lock(db, tid, &err) < 0 ||
        trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0)
        goto fail;
    int64_t expect = 0;
    char id[UUID_STR_LEN];
    if (did) {
        if (dest_get_row(db, tid, did, &cur, &err) < 0)
            goto fail;
        expect = store_int(cur, 0, DC_VERSION);
        if (trip_if_match(req, expect) < 0) {
            store_rollback(db);
            trip_send_stale(req, expect, dest_json(cur, 0, false));
            goto done;
        }
        json_t *base = dest_json(cur, 0, false);
        json_t *merged = trips_merge_patch(base, body);
        json_decref(base);
        json_decref(body);
        body = merged;
        snprintf(id, sizeof id, "%s", did);
    } else {
        uuid_v7(id);
    }
    if (dest_parse(body, trip, &f, &err) < 0 || dest_store(db, tid, id, expect, &f, &out, &err) < 0 ||
        store_commit(db, &err) < 0)
        goto fail;
    int64_t v = json_integer_value(json_object_get(out, "version"));
    http_send_json(req, did ? 200 : 201, out);
    acc_etag(req, v);
    goto done;
fail:
    store_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(body);
    store_res_free(trip);
    store_res_free(cur);
}

static void dest_create_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    dest_write(req, tid, NULL, json_incref(req->json));
}

void dest_create_h(http_req_t *req)
{
    idem_run(req, dest_create_inner);
}

void dest_patch_h(http_req_t *req)
{
    const char *tid, *did;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "destId", &did) < 0 ||
        !acc_body(req))
        return;
    dest_write(req, tid, did, json_incref(req->json));
}

static json_t *dest_current(store_conn_t *db, const store_res_t *r, apierr_t *err)
{
    (void)db;
    (void)err;
    return dest_json(r, 0, false);
}

/* A deleted destination's activities stay, unattached; positions close up. */
static int dest_remove(store_conn_t *db, const char *tid, const char *id, int64_t now,
                       apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(now), ARG_TEXT(tid)};
    if (store_exec(db,
                   "UPDATE destinations SET deleted_at = $2, updated_at = $2, version = version "
                   "+ 1 WHERE id = $1 AND trip_id = $3",
                   a, 3, err) < 0 ||
        store_exec(db, "UPDATE activities SET destination_id = NULL WHERE destination_id = $1",
                   a, 1, err) < 0)
        return -1;
    return trip_reindex(db, tid, err);
}

void dest_delete_h(http_req_t *req)
{
    static const trip_child_t kind = {"destId", "destination", DC_VERSION, dest_get_row,
                                      dest_current, dest_remove};
    trip_child_delete(req, &kind);
}

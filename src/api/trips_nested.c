/*
 * trips_nested.c - destinations of a trip: /v1/trips/:id/destinations CRUD
 * (through the shared child handlers of trips_child.c, which this file
 * describes a destination to), and the destination rows that
 * GET /v1/trips/:id embeds. A destination's stay (arrival..departure,
 * dates) must lie inside the trip's dates. Viewers read; editors write.
 * Every write bumps the row's version, reindexes the trip's search text
 * and logs a change, in one transaction.
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Inserts (s->expect 0) or updates at s->expect, then reindexes the trip. */
static int dest_save(store_conn_t *db, const trip_save_t *s, json_t *body, json_t **extra,
                     apierr_t *err)
{
    (void)extra;
    dest_fields_t f;
    if (dest_parse(body, s->trip, &f, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(s->id), ARG_TEXT(s->trip_id), ARG_TEXT(f.name), ARG_TEXT(f.type),
                       ARG_TEXT(f.arrival), ARG_TEXT(f.departure),
                       f.has_coord ? ARG_REAL(f.lat) : ARG_NULL,
                       f.has_coord ? ARG_REAL(f.lng) : ARG_NULL, ARG_TEXT(f.address),
                       ARG_TEXT(f.notes), ARG_INT(clock_now_ms()), ARG_INT(s->expect)};
    if (trip_child_exec(db, s, "destination",
                        "INSERT INTO destinations (id, trip_id, name, type, arrival, "
                        "departure, lat, lng, address, notes, created_at, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                        11,
                        "UPDATE destinations SET name = $3, type = $4, arrival = $5, "
                        "departure = $6, lat = $7, lng = $8, address = $9, notes = $10, "
                        "updated_at = $11, version = version + 1 WHERE id = $1 AND "
                        "trip_id = $2 AND version = $12 AND deleted_at IS NULL",
                        12, a, err) < 0)
        return -1;
    return trip_reindex(db, s->trip_id, err);
}

static json_t *dest_current(store_conn_t *db, const store_res_t *r, int row, bool pub,
                            apierr_t *err)
{
    (void)db;
    (void)err;
    return row_json(&dest_shape, r, row, pub);
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

static const trip_child_t destination = {
    .param = "destId", .entity = "destination", .version_col = DC_VERSION,
    .current = dest_current, .remove = dest_remove, .save = dest_save,
    .table = "destinations", .cols = DEST_COLS, .order_key = "COALESCE(arrival, '')",
    .int_key = false, .key_col = DC_ARR,
};

int dest_select(store_conn_t *db, const char *trip_id, const trip_page_t *pg, store_res_t **out,
                apierr_t *err)
{
    return trip_child_select(db, &destination, trip_id, pg, out, err);
}

json_t *dest_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err)
{
    return trip_child_list(db, &destination, trip_id, public_view, NULL, NULL, err);
}

void dest_list_h(http_req_t *req) { trip_child_list_h(req, &destination); }
void dest_get_h(http_req_t *req) { trip_child_get_h(req, &destination); }
void dest_delete_h(http_req_t *req) { trip_child_delete(req, &destination); }

static void dest_create_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    trip_child_write(req, &destination, tid, NULL, req->json);
}

void dest_create_h(http_req_t *req) { idem_run(req, dest_create_inner); }

void dest_patch_h(http_req_t *req)
{
    const char *tid, *did;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "destId", &did) < 0 ||
        !acc_body(req))
        return;
    trip_child_write(req, &destination, tid, did, req->json);
}

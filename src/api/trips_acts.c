/*
 * trips_acts.c - activities of a trip: /v1/trips/:id/activities CRUD
 * (through the shared child handlers of trips_child.c, which this file
 * describes an activity to), and the activity rows GET /v1/trips/:id
 * embeds. An activity's times must fall inside the trip's dates (UTC
 * days) and, when it names a destination, inside that destination's stay;
 * cost needs a currency. Overlaps with the trip's other (not cancelled)
 * activities are allowed but reported in the write's response as
 * "overlaps" (ids).
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_status[] = {"PLANNED", "CONFIRMED", "COMPLETED", "CANCELLED"};

typedef struct {
    const char *dest, *name, *type, *currency, *status, *notes;
    bool has_start, has_end, has_cost;
    int64_t start, end, cost;
} act_fields_t;

static int64_t day_ms(const char *date)
{
    validate_date_t d;
    validate_date_parse(date, 10, &d);
    return validate_days_from_civil(d.year, d.month, d.day) * 86400000LL;
}

/* Checks [start, end] against [from day, to day] (either may be NULL). */
static int within(const act_fields_t *f, const char *from, const char *to, const char *what,
                  apierr_t *err)
{
    if (from && ((f->has_start && f->start < day_ms(from)) || (f->has_end && f->end < day_ms(from))))
        return acc_invalid(err, f->has_start ? "startAt" : "endAt", "must not be before %s (%s)",
                           what, from);
    int64_t lim = to ? day_ms(to) + 86400000LL : 0;
    if (to && ((f->has_start && f->start >= lim) || (f->has_end && f->end > lim)))
        return acc_invalid(err, f->has_end ? "endAt" : "startAt", "must not be after %s (%s)",
                           what, to);
    return 0;
}

static int act_parse(store_conn_t *db, json_t *b, const store_res_t *trip, act_fields_t *f,
                     apierr_t *err)
{
    memset(f, 0, sizeof *f);
    if (acc_str(b, "destinationId", 36, 36, false, &f->dest, err) < 0 ||
        acc_str(b, "name", 1, 200, true, &f->name, err) < 0 ||
        acc_str(b, "type", 1, 40, false, &f->type, err) < 0 ||
        tf_time(b, "startAt", false, &f->has_start, &f->start, err) < 0 ||
        tf_time(b, "endAt", false, &f->has_end, &f->end, err) < 0 ||
        tf_int(b, "cost", 0, 1000000000000000LL, false, &f->has_cost, &f->cost, err) < 0 ||
        tf_currency(b, "currency", false, &f->currency, err) < 0 ||
        acc_str(b, "status", 1, 20, false, &f->status, err) < 0 ||
        acc_str(b, "notes", 0, 5000, false, &f->notes, err) < 0)
        return -1;
    if (f->has_cost && !f->currency)
        return acc_invalid(err, "currency", "is required with a cost");
    if (f->has_start && f->has_end && f->end < f->start)
        return acc_invalid(err, "endAt", "must not be before startAt");
    if (!f->status)
        f->status = "PLANNED";
    int ok = 0;
    for (int i = 0; i < 4; i++)
        ok |= strcmp(f->status, act_status[i]) == 0;
    if (!ok)
        return acc_invalid(err, "status", "must be PLANNED, CONFIRMED, COMPLETED or CANCELLED");
    if (within(f, store_val(trip, 0, TC_START), store_val(trip, 0, TC_END), "the trip", err) < 0)
        return -1;
    if (f->dest) {
        store_arg_t a[] = {ARG_TEXT(f->dest), ARG_TEXT(store_val(trip, 0, TC_ID))};
        store_res_t *r = NULL;
        if (store_query(db,
                        "SELECT arrival, departure FROM destinations WHERE id = $1 AND "
                        "trip_id = $2 AND deleted_at IS NULL",
                        a, 2, &r, err) < 0)
            return -1;
        int rc = r->nrows == 1 ? within(f, store_val(r, 0, 0), store_val(r, 0, 1),
                                        "the destination's stay", err)
                               : acc_invalid(err, "destinationId", "is not a destination of this trip");
        store_res_free(r);
        if (rc < 0)
            return -1;
    }
    if (!f->type)
        f->type = "other";
    if (!f->notes)
        f->notes = "";
    return 0;
}

static json_t *overlaps(store_conn_t *db, const char *tid, const char *id, const act_fields_t *f,
                        apierr_t *err)
{
    json_t *arr = json_array();
    if (!f->has_start || !f->has_end || strcmp(f->status, "CANCELLED") == 0)
        return arr;
    store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(id), ARG_INT(f->start), ARG_INT(f->end)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id FROM activities WHERE trip_id = $1 AND id <> $2 AND deleted_at IS "
                    "NULL AND status <> 'CANCELLED' AND start_at < $4 AND end_at > $3 ORDER BY id",
                    a, 4, &r, err) < 0) {
        json_decref(arr);
        return NULL;
    }
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(arr, json_string(store_val(r, i, 0)));
    store_res_free(r);
    return arr;
}

/* Inserts (s->expect 0) or updates at s->expect; *extra gets the overlaps. */
static int act_save(store_conn_t *db, const trip_save_t *s, json_t *body, json_t **extra,
                    apierr_t *err)
{
    act_fields_t f;
    if (act_parse(db, body, s->trip, &f, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(s->id), ARG_TEXT(s->trip_id), ARG_TEXT(f.dest), ARG_TEXT(f.name),
                       ARG_TEXT(f.type), f.has_start ? ARG_INT(f.start) : ARG_NULL,
                       f.has_end ? ARG_INT(f.end) : ARG_NULL,
                       f.has_cost ? ARG_INT(f.cost) : ARG_NULL, ARG_TEXT(f.currency),
                       ARG_TEXT(f.status), ARG_TEXT(f.notes), ARG_INT(clock_now_ms()),
                       ARG_INT(s->expect)};
    if (trip_child_exec(db, s, "activity",
                        "INSERT INTO activities (id, trip_id, destination_id, name, type, "
                        "start_at, end_at, cost, currency, status, notes, created_at, "
                        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                        "$11, $12, $12)",
                        12,
                        "UPDATE activities SET destination_id = $3, name = $4, type = $5, "
                        "start_at = $6, end_at = $7, cost = $8, currency = $9, "
                        "status = $10, notes = $11, updated_at = $12, version = version "
                        "+ 1 WHERE id = $1 AND trip_id = $2 AND version = $13 AND "
                        "deleted_at IS NULL",
                        13, a, err) < 0)
        return -1;
    json_t *ov = overlaps(db, s->trip_id, s->id, &f, err);
    if (!ov)
        return -1;
    *extra = json_pack("{s:o}", "overlaps", ov);
    return 0;
}

static json_t *act_current(store_conn_t *db, const store_res_t *r, int row, bool pub,
                           apierr_t *err)
{
    (void)db;
    (void)err;
    return row_json(&act_shape, r, row, pub);
}

static int act_remove(store_conn_t *db, const char *tid, const char *id, int64_t now,
                      apierr_t *err)
{
    (void)tid;
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(now)};
    return store_exec(db,
                      "UPDATE activities SET deleted_at = $2, updated_at = $2, "
                      "version = version + 1 WHERE id = $1",
                      a, 2, err);
}

static const trip_child_t activity = {
    .param = "actId", .entity = "activity", .version_col = AC_VERSION,
    .current = act_current, .remove = act_remove, .save = act_save,
    .table = "activities", .cols = ACT_COLS, .order_key = "COALESCE(start_at, -1)",
    .int_key = true, .key_col = AC_START,
};

int act_select(store_conn_t *db, const char *trip_id, const trip_page_t *pg, store_res_t **out,
               apierr_t *err)
{
    return trip_child_select(db, &activity, trip_id, pg, out, err);
}

json_t *act_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err)
{
    return trip_child_list(db, &activity, trip_id, public_view, NULL, NULL, err);
}

void act_list_h(http_req_t *req) { trip_child_list_h(req, &activity); }
void act_get_h(http_req_t *req) { trip_child_get_h(req, &activity); }
void act_delete_h(http_req_t *req) { trip_child_delete(req, &activity); }

static void act_create_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    trip_child_write(req, &activity, tid, NULL, req->json);
}

void act_create_h(http_req_t *req) { idem_run(req, act_create_inner); }

void act_patch_h(http_req_t *req)
{
    const char *tid, *aid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "actId", &aid) < 0 ||
        !acc_body(req))
        return;
    trip_child_write(req, &activity, tid, aid, req->json);
}

/*
 * trips_acts.c - activities of a trip: /v1/trips/:id/activities CRUD, and
 * the activity JSON that GET /v1/trips/:id embeds. An activity's times
 * must fall inside the trip's dates (UTC days) and, when it names a
 * destination, inside that destination's stay; cost needs a currency.
 * Overlaps with the trip's other (not cancelled) activities are allowed
 * but reported in the write's response as "overlaps" (ids).
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "trips/logic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACT_COLS                                                                              \
    "id, trip_id, destination_id, name, type, start_at, end_at, cost, currency, status, "     \
    "notes, version, created_at, updated_at"
enum { AC_ID, AC_TRIP, AC_DEST, AC_NAME, AC_TYPE, AC_START, AC_END, AC_COST, AC_CUR, AC_STATUS,
       AC_NOTES, AC_VERSION, AC_CREATED, AC_UPDATED };

static const char *const act_status[] = {"PLANNED", "CONFIRMED", "COMPLETED", "CANCELLED"};

static json_t *col_str(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? json_string(v) : json_null();
}

static json_t *act_json(const store_res_t *r, int row, bool pub)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", col_str(r, row, AC_ID));
    json_object_set_new(o, "tripId", col_str(r, row, AC_TRIP));
    json_object_set_new(o, "destinationId", col_str(r, row, AC_DEST));
    json_object_set_new(o, "name", col_str(r, row, AC_NAME));
    json_object_set_new(o, "type", col_str(r, row, AC_TYPE));
    json_object_set_new(o, "startAt", store_val(r, row, AC_START) ? acc_time(store_int(r, row, AC_START)) : json_null());
    json_object_set_new(o, "endAt", store_val(r, row, AC_END) ? acc_time(store_int(r, row, AC_END)) : json_null());
    json_object_set_new(o, "status", col_str(r, row, AC_STATUS));
    if (!pub) {
        json_object_set_new(o, "cost", store_val(r, row, AC_COST) ? json_integer(store_int(r, row, AC_COST)) : json_null());
        json_object_set_new(o, "currency", col_str(r, row, AC_CUR));
        json_object_set_new(o, "notes", col_str(r, row, AC_NOTES));
        json_object_set_new(o, "version", json_integer(store_int(r, row, AC_VERSION)));
        json_object_set_new(o, "createdAt", acc_time(store_int(r, row, AC_CREATED)));
        json_object_set_new(o, "updatedAt", acc_time(store_int(r, row, AC_UPDATED)));
    }
    return o;
}

json_t *act_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT " ACT_COLS " FROM activities WHERE trip_id = $1 AND deleted_at IS "
                    "NULL ORDER BY start_at, id",
                    a, 1, &r, err) < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(arr, act_json(r, i, public_view));
    store_res_free(r);
    return arr;
}

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

static int act_get_row(store_conn_t *db, const char *tid, const char *id, store_res_t **out,
                       apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(tid)};
    if (store_query(db,
                    "SELECT " ACT_COLS " FROM activities WHERE id = $1 AND trip_id = $2 AND "
                    "deleted_at IS NULL",
                    a, 2, out, err) < 0)
        return -1;
    if ((*out)->nrows != 1) {
        store_res_free(*out);
        *out = NULL;
        return apierr_set(err, 404, "not_found", "no such activity");
    }
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

static int act_store(store_conn_t *db, const char *tid, const char *id, int64_t expect,
                     const act_fields_t *f, json_t **out, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(tid), ARG_TEXT(f->dest), ARG_TEXT(f->name),
                       ARG_TEXT(f->type), f->has_start ? ARG_INT(f->start) : ARG_NULL,
                       f->has_end ? ARG_INT(f->end) : ARG_NULL,
                       f->has_cost ? ARG_INT(f->cost) : ARG_NULL, ARG_TEXT(f->currency),
                       ARG_TEXT(f->status), ARG_TEXT(f->notes), ARG_INT(now), ARG_INT(expect)};
    store_res_t *r = NULL;
    int rc = expect == 0
                 ? store_query(db,
                               "INSERT INTO activities (id, trip_id, destination_id, name, type, "
                               "start_at, end_at, cost, currency, status, notes, created_at, "
                               "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                               "$11, $12, $12)",
                               a, 12, &r, err)
                 : store_query(db,
                               "UPDATE activities SET destination_id = $3, name = $4, type = $5, "
                               "start_at = $6, end_at = $7, cost = $8, currency = $9, "
                               "status = $10, notes = $11, updated_at = $12, version = version "
                               "+ 1 WHERE id = $1 AND trip_id = $2 AND version = $13 AND "
                               "deleted_at IS NULL",
                               a, 13, &r, err);
    if (rc < 0)
        return -1;
    bool ok = r->changes == 1;
    store_res_free(r);
    if (!ok)
        return apierr_set(err, 412, "precondition_failed", "the activity changed meanwhile");
    if (act_get_row(db, tid, id, &r, err) < 0)
        return -1;
    *out = act_json(r, 0, false);
    int64_t v = store_int(r, 0, AC_VERSION);
    store_res_free(r);
    if (changes_log(db, tid, NULL, "activity", id, expect ? "update" : "create", v, *out, err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

void act_list_h(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = act_list(db, tid, false, &err);
    if (!items)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

void act_get_h(http_req_t *req)
{
    const char *tid, *aid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "actId", &aid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0 ||
        act_get_row(db, tid, aid, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t v = store_int(r, 0, AC_VERSION);
    http_send_json(req, 200, act_json(r, 0, false));
    store_res_free(r);
    acc_etag(req, v);
}

static void act_write(http_req_t *req, const char *tid, const char *aid, json_t *body)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *trip = NULL, *cur = NULL;
    json_t *out = NULL, *ov = NULL;
    act_fields_t f;
    char id[UUID_STR_LEN];
    int64_t expect = 0;
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_lock(db, tid, &err) < 0 ||
        trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0)
        goto fail;
    if (aid) {
        if (act_get_row(db, tid, aid, &cur, &err) < 0)
            goto fail;
        expect = store_int(cur, 0, AC_VERSION);
        if (trip_if_match(req, expect) < 0) {
            store_rollback(db);
            trip_send_stale(req, expect, act_json(cur, 0, false));
            goto done;
        }
        json_t *base = act_json(cur, 0, false);
        json_t *merged = trips_merge_patch(base, body);
        json_decref(base);
        json_decref(body);
        body = merged;
        snprintf(id, sizeof id, "%s", aid);
    } else {
        uuid_v7(id);
    }
    if (act_parse(db, body, trip, &f, &err) < 0 || act_store(db, tid, id, expect, &f, &out, &err) < 0 ||
        !(ov = overlaps(db, tid, id, &f, &err)) || store_commit(db, &err) < 0)
        goto fail;
    int64_t v = json_integer_value(json_object_get(out, "version"));
    json_object_set_new(out, "overlaps", ov);
    ov = NULL;
    http_send_json(req, aid ? 200 : 201, out);
    out = NULL;
    acc_etag(req, v);
    goto done;
fail:
    store_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(out);
    json_decref(ov);
    json_decref(body);
    store_res_free(trip);
    store_res_free(cur);
}

static void act_create_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    act_write(req, tid, NULL, json_incref(req->json));
}

void act_create_h(http_req_t *req)
{
    idem_run(req, act_create_inner);
}

void act_patch_h(http_req_t *req)
{
    const char *tid, *aid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "actId", &aid) < 0 ||
        !acc_body(req))
        return;
    act_write(req, tid, aid, json_incref(req->json));
}

static json_t *act_current(store_conn_t *db, const store_res_t *r, apierr_t *err)
{
    (void)db;
    (void)err;
    return act_json(r, 0, false);
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

void act_delete_h(http_req_t *req)
{
    static const trip_child_t kind = {"actId", "activity", AC_VERSION, act_get_row, act_current,
                                      act_remove};
    trip_child_delete(req, &kind);
}

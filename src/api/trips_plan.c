/*
 * trips_plan.c - lists a trip keeps whole: the itinerary (day plans,
 * GET/PUT /v1/trips/:id/itinerary) and the packing list (GET/PUT
 * /v1/trips/:id/packing-list). A PUT replaces the list: rows are matched
 * (days by date, items by id), changed rows get a new version, missing
 * ones become tombstones, and every row change is logged for sync. The
 * list's own version (trips.itinerary_version / packing_version) is its
 * ETag and what If-Match is checked against.
 *
 * Itinerary rules: each day lies inside the trip's dates, once; each
 * activity id is a live activity of the trip, used once, and an activity
 * with a start time sits on that (UTC) day. Overlapping activities within
 * a day are allowed and reported.
 */
#include "api/api.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS_MAX 366
#define ITEMS_MAX 500

static store_conn_t *db_(void) { return loop_ctx_get()->db; }

static int64_t list_version(store_conn_t *db, const char *tid, const char *col, apierr_t *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT %s FROM trips WHERE id = $1", col);
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db, sql, a, 1, &r, err) < 0)
        return -1;
    int64_t v = store_int(r, 0, 0);
    store_res_free(r);
    return v;
}

/* ---- itinerary ---------------------------------------------------------------- */

/* Overlapping pairs among one day's activities (ids in the day's order). */
static void day_overlaps(store_conn_t *db, const char *tid, const char *date, json_t *ids,
                         json_t *out)
{
    apierr_t err = {0};
    size_t n = json_array_size(ids);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(json_string_value(json_array_get(ids, i))),
                               ARG_TEXT(json_string_value(json_array_get(ids, j)))};
            store_res_t *r = NULL;
            if (store_query(db,
                            "SELECT 1 FROM activities x JOIN activities y ON y.id = $3 AND "
                            "y.trip_id = $1 WHERE x.id = $2 AND x.trip_id = $1 AND x.start_at < "
                            "y.end_at AND y.start_at < x.end_at AND x.status <> 'CANCELLED' AND "
                            "y.status <> 'CANCELLED'",
                            a, 3, &r, &err) < 0) {
                apierr_clear(&err);
                continue;
            }
            if (r->nrows)
                json_array_append_new(out, json_pack("{s:s, s:[O,O]}", "date", date,
                                                     "activityIds", json_array_get(ids, i),
                                                     json_array_get(ids, j)));
            store_res_free(r);
        }
}

static json_t *itinerary_json(store_conn_t *db, const char *tid, int64_t *version, apierr_t *err)
{
    if ((*version = list_version(db, tid, "itinerary_version", err)) < 0)
        return NULL;
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, day, activity_ids, notes, version FROM day_plans WHERE trip_id = "
                    "$1 AND deleted_at IS NULL ORDER BY day",
                    a, 1, &r, err) < 0)
        return NULL;
    json_t *days = json_array(), *ov = json_array();
    for (int i = 0; i < r->nrows; i++) {
        json_t *ids = acc_json_col(r, i, 2, true);
        day_overlaps(db, tid, store_val(r, i, 1), ids, ov);
        json_array_append_new(days, json_pack("{s:s, s:s, s:o, s:s, s:I}", "id", store_val(r, i, 0),
                                              "date", store_val(r, i, 1), "activityIds", ids,
                                              "notes", store_val(r, i, 3), "version",
                                              (json_int_t)store_int(r, i, 4)));
    }
    store_res_free(r);
    return json_pack("{s:o, s:o, s:I}", "days", days, "overlaps", ov, "version",
                     (json_int_t)*version);
}

static void send_list(http_req_t *req, json_t *body, int64_t v, apierr_t *err)
{
    if (!body)
        ACC_FAIL(req, err);
    http_send_json(req, 200, body);
    acc_etag(req, v);
}

void itinerary_get(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    int64_t v = 0;
    if (trip_check(db_(), tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    send_list(req, itinerary_json(db_(), tid, &v, &err), v, &err);
}

/* Checks one day against the trip and the activities used so far. */
static int day_check(store_conn_t *db, const store_res_t *trip, json_t *d, size_t i, json_t *seen,
                     apierr_t *err)
{
    json_t *date = json_object_get(d, "date"), *ids = json_object_get(d, "activityIds");
    json_t *notes = json_object_get(d, "notes");
    validate_date_t dd;
    if (!json_is_string(date) || validate_date_parse(json_string_value(date), json_string_length(date), &dd) != 0)
        return acc_invalid(err, "days", "day %zu: date must be a date like 2026-07-01", i);
    const char *ds = json_string_value(date);
    if (strcmp(ds, store_val(trip, 0, TC_START)) < 0 || strcmp(ds, store_val(trip, 0, TC_END)) > 0)
        return acc_invalid(err, "days", "day %s is outside the trip's dates", ds);
    if (json_object_get(seen, ds))
        return acc_invalid(err, "days", "day %s appears twice", ds);
    json_object_set_new(seen, ds, json_true());
    if (notes && (!json_is_string(notes) || json_string_length(notes) > 5000))
        return acc_invalid(err, "days", "day %s: notes must be text up to 5000 characters", ds);
    if (ids && (!json_is_array(ids) || json_array_size(ids) > 100))
        return acc_invalid(err, "days", "day %s: activityIds must be an array of ids", ds);
    int64_t lo = validate_days_from_civil(dd.year, dd.month, dd.day) * 86400000LL;
    size_t k;
    json_t *id;
    json_array_foreach(ids, k, id) {
        const char *s = json_string_value(id);
        if (!s || json_object_get(seen, s))
            return acc_invalid(err, "days", "day %s: activity ids must be strings used once", ds);
        json_object_set_new(seen, s, json_true());
        store_arg_t a[] = {ARG_TEXT(s), ARG_TEXT(store_val(trip, 0, TC_ID))};
        store_res_t *r = NULL;
        if (store_query(db,
                        "SELECT start_at FROM activities WHERE id = $1 AND trip_id = $2 AND "
                        "deleted_at IS NULL",
                        a, 2, &r, err) < 0)
            return -1;
        int rc = 0;
        if (r->nrows != 1)
            rc = acc_invalid(err, "days", "day %s: %s is not an activity of this trip", ds, s);
        else if (store_val(r, 0, 0) && (store_int(r, 0, 0) < lo || store_int(r, 0, 0) >= lo + 86400000LL))
            rc = acc_invalid(err, "days", "day %s: activity %s starts on another day", ds, s);
        store_res_free(r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Writes one day (insert or update by date) and logs it. */
static int day_store(store_conn_t *db, const char *tid, json_t *d, int64_t now, apierr_t *err)
{
    json_t *ids = json_object_get(d, "activityIds");
    char *idtext = json_dumps(ids ? ids : json_array(), JSON_COMPACT);
    const char *notes = json_string_value(json_object_get(d, "notes"));
    const char *date = json_string_value(json_object_get(d, "date"));
    char nid[UUID_STR_LEN];
    uuid_v7(nid);
    store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(date), ARG_TEXT(idtext), ARG_TEXT(notes ? notes : ""),
                       ARG_INT(now), ARG_TEXT(nid)};
    store_res_t *r = NULL;
    int rc = store_query(db,
                         "UPDATE day_plans SET activity_ids = $3, notes = $4, updated_at = $5, "
                         "version = version + 1 WHERE trip_id = $1 AND day = $2 AND deleted_at IS "
                         "NULL AND (activity_ids <> $3 OR notes <> $4) RETURNING id, version",
                         a, 5, &r, err);
    if (rc == 0 && r->nrows == 0) {
        store_res_free(r);
        r = NULL;
        rc = store_query(db, "SELECT id FROM day_plans WHERE trip_id = $1 AND day = $2 AND deleted_at IS NULL",
                         a, 2, &r, err);
        bool exists = rc == 0 && r->nrows > 0;
        store_res_free(r);
        r = NULL;
        if (rc == 0 && !exists)
            rc = store_query(db,
                             "INSERT INTO day_plans (id, trip_id, day, activity_ids, notes, "
                             "created_at, updated_at) VALUES ($6, $1, $2, $3, $4, $5, $5) "
                             "RETURNING id, version",
                             a, 6, &r, err);
    }
    if (rc == 0 && r && r->nrows == 1) {
        json_t *data = json_pack("{s:s, s:s, s:O, s:s}", "tripId", tid, "date", date,
                                 "activityIds", ids ? ids : json_array(), "notes", notes ? notes : "");
        rc = changes_log(db, tid, NULL, "dayPlan", store_val(r, 0, 0), "update", store_int(r, 0, 1),
                         data, err);
        json_decref(data);
    }
    store_res_free(r);
    free(idtext);
    return rc;
}

/* Tombstones the trip's live rows of `table` whose `key` column is not in
 * `keep` (day plans by date, packing items by id) and logs each deletion
 * as `entity`. table/key/entity are constants of this file, never input. */
static int rows_prune(store_conn_t *db, const char *tid, const char *table, const char *key,
                      const char *entity, json_t *keep, int64_t now, apierr_t *err)
{
    char sel[160], upd[200];
    snprintf(sel, sizeof sel,
             "SELECT id, %s, version FROM %s WHERE trip_id = $1 AND deleted_at IS NULL", key, table);
    snprintf(upd, sizeof upd,
             "UPDATE %s SET deleted_at = $2, updated_at = $2, version = version + 1 WHERE id = $1",
             table);
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db, sel, a, 1, &r, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < r->nrows && rc == 0; i++) {
        if (json_object_get(keep, store_val(r, i, 1)))
            continue;
        store_arg_t u[] = {ARG_TEXT(store_val(r, i, 0)), ARG_INT(now)};
        rc = store_exec(db, upd, u, 2, err);
        if (rc == 0)
            rc = changes_log(db, tid, NULL, entity, store_val(r, i, 0), "delete",
                             store_int(r, i, 2) + 1, NULL, err);
    }
    store_res_free(r);
    return rc;
}

void itinerary_put(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    json_t *days = json_object_get(req->json, "days");
    apierr_t err = {0};
    if (!json_is_array(days) || json_array_size(days) > DAYS_MAX) {
        acc_invalid(&err, "days", "must be an array of at most %d days", DAYS_MAX);
        ACC_FAIL(req, &err);
    }
    store_conn_t *db = db_();
    store_res_t *trip = NULL;
    json_t *seen = json_object();
    int64_t now = clock_now_ms(), v = 0;
    size_t i;
    json_t *d;
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_lock(db, tid, &err) < 0 || trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0 ||
        (v = list_version(db, tid, "itinerary_version", &err)) < 0)
        goto fail;
    if (trip_if_match(req, v) < 0) {
        json_t *cur = itinerary_json(db, tid, &v, &err);
        sync_rollback(db);
        if (cur)
            trip_send_stale(req, v, cur);
        else
            trip_fail(req, &err);
        goto done;
    }
    json_array_foreach(days, i, d) {
        if (!json_is_object(d)) {
            acc_invalid(&err, "days", "day %zu must be an object", i);
            goto fail;
        }
        if (day_check(db, trip, d, i, seen, &err) < 0)
            goto fail;
    }
    /* All row updates first, then the log (see changes_log). */
    if (trip_bump_list(db, tid, "itinerary_version", &v, &err) < 0)
        goto fail;
    json_array_foreach(days, i, d) if (day_store(db, tid, d, now, &err) < 0) goto fail;
    if (rows_prune(db, tid, "day_plans", "day", "dayPlan", seen, now, &err) < 0 || sync_commit(db, &err) < 0)
        goto fail;
    send_list(req, itinerary_json(db, tid, &v, &err), v, &err);
    goto done;
fail:
    sync_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(seen);
    store_res_free(trip);
}

/* ---- packing list ------------------------------------------------------------ */

static json_t *packing_json(store_conn_t *db, const char *tid, int64_t *version, apierr_t *err)
{
    if ((*version = list_version(db, tid, "packing_version", err)) < 0)
        return NULL;
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, name, category, quantity, packed, assignee_id, version FROM "
                    "packing_items WHERE trip_id = $1 AND deleted_at IS NULL ORDER BY position, id",
                    a, 1, &r, err) < 0)
        return NULL;
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:I, s:b, s:o, s:I}", "id",
                                               store_val(r, i, 0), "name", store_val(r, i, 1),
                                               "category", store_val(r, i, 2), "quantity",
                                               (json_int_t)store_int(r, i, 3), "packed",
                                               store_bool(r, i, 4), "assigneeId",
                                               store_val(r, i, 5) ? json_string(store_val(r, i, 5)) : json_null(),
                                               "version", (json_int_t)store_int(r, i, 6)));
    store_res_free(r);
    return json_pack("{s:o, s:I}", "items", items, "version", (json_int_t)*version);
}

void packing_get(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    int64_t v = 0;
    if (trip_check(db_(), tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    send_list(req, packing_json(db_(), tid, &v, &err), v, &err);
}

typedef struct {
    const char *id, *name, *category, *assignee;
    int64_t quantity;
    bool packed;
} item_t;

static int item_parse(json_t *o, size_t i, const store_res_t *mem, item_t *it, apierr_t *err)
{
    bool has;
    memset(it, 0, sizeof *it);
    if (!json_is_object(o))
        return acc_invalid(err, "items", "item %zu must be an object", i);
    if (acc_str(o, "id", 36, 36, false, &it->id, err) < 0 ||
        acc_str(o, "name", 1, 200, true, &it->name, err) < 0 ||
        acc_str(o, "category", 1, 40, false, &it->category, err) < 0 ||
        tf_int(o, "quantity", 1, 1000, false, &has, &it->quantity, err) < 0 ||
        tf_bool(o, "packed", false, &it->packed, err) < 0 ||
        acc_str(o, "assigneeId", 36, 36, false, &it->assignee, err) < 0)
        return -1;
    if (!has)
        it->quantity = 1;
    if (!it->category)
        it->category = "other";
    if (it->assignee && trip_member_index(mem, it->assignee) < 0)
        return acc_invalid(err, "assigneeId", "must be a member of the trip");
    return 0;
}

/* Upserts item i (position i); logs it when it changed. */
static int item_store(store_conn_t *db, const char *tid, const item_t *it, int pos, int64_t now,
                      char *id_out, apierr_t *err)
{
    store_res_t *r = NULL;
    if (it->id) {
        store_arg_t a[] = {ARG_TEXT(it->id), ARG_TEXT(tid), ARG_TEXT(it->name), ARG_TEXT(it->category),
                           ARG_INT(it->quantity), ARG_INT(it->packed ? 1 : 0), ARG_TEXT(it->assignee),
                           ARG_INT(pos), ARG_INT(now)};
        if (store_query(db,
                        "UPDATE packing_items SET name = $3, category = $4, quantity = $5, "
                        "packed = $6, assignee_id = $7, position = $8, updated_at = $9, version = "
                        "version + 1 WHERE id = $1 AND trip_id = $2 AND deleted_at IS NULL "
                        "RETURNING version",
                        a, 9, &r, err) < 0)
            return -1;
        if (r->nrows != 1) {
            store_res_free(r);
            return acc_invalid(err, "items", "item %d: %s is not an item of this list", pos, it->id);
        }
        snprintf(id_out, UUID_STR_LEN, "%s", it->id);
    } else {
        uuid_v7(id_out);
        store_arg_t a[] = {ARG_TEXT(id_out), ARG_TEXT(tid), ARG_TEXT(it->name), ARG_TEXT(it->category),
                           ARG_INT(it->quantity), ARG_INT(it->packed ? 1 : 0), ARG_TEXT(it->assignee),
                           ARG_INT(pos), ARG_INT(now)};
        if (store_query(db,
                        "INSERT INTO packing_items (id, trip_id, name, category, quantity, packed, "
                        "assignee_id, position, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                        "$5, $6, $7, $8, $9, $9) RETURNING version",
                        a, 9, &r, err) < 0)
            return -1;
    }
    store_res_free(r);
    return 0;
}

void packing_put(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    json_t *items = json_object_get(req->json, "items");
    apierr_t err = {0};
    if (!json_is_array(items) || json_array_size(items) > ITEMS_MAX) {
        acc_invalid(&err, "items", "must be an array of at most %d items", ITEMS_MAX);
        ACC_FAIL(req, &err);
    }
    store_conn_t *db = db_();
    store_res_t *mem = NULL;
    json_t *kept = json_object(), *list = NULL;
    int64_t now = clock_now_ms(), v = 0;
    size_t i;
    json_t *o;
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_lock(db, tid, &err) < 0 || trip_check(db, tid, req->user_id, ROLE_EDITOR, NULL, &err) < 0 ||
        trip_members(db, tid, &mem, &err) < 0 || (v = list_version(db, tid, "packing_version", &err)) < 0)
        goto fail;
    if (trip_if_match(req, v) < 0) {
        json_t *cur = packing_json(db, tid, &v, &err);
        sync_rollback(db);
        if (cur)
            trip_send_stale(req, v, cur);
        else
            trip_fail(req, &err);
        goto done;
    }
    json_array_foreach(items, i, o) {
        item_t it;
        char id[UUID_STR_LEN];
        if (item_parse(o, i, mem, &it, &err) < 0 || (it.id && json_object_get(kept, it.id)) ||
            item_store(db, tid, &it, (int)i, now, id, &err) < 0) {
            if (!err.status)
                acc_invalid(&err, "items", "item %zu: an id appears twice", i);
            goto fail;
        }
        json_object_set_new(kept, id, json_true());
    }
    if (rows_prune(db, tid, "packing_items", "id", "packingItem", kept, now, &err) < 0 ||
        trip_bump_list(db, tid, "packing_version", &v, &err) < 0 ||
        !(list = packing_json(db, tid, &v, &err)))
        goto fail;
    json_array_foreach(json_object_get(list, "items"), i, o) {
        json_t *d = json_deep_copy(o);
        json_object_set_new(d, "tripId", json_string(tid));
        int rc = changes_log(db, tid, NULL, "packingItem", json_string_value(json_object_get(o, "id")),
                             "update", json_integer_value(json_object_get(o, "version")), d, &err);
        json_decref(d);
        if (rc < 0)
            goto fail;
    }
    if (sync_commit(db, &err) < 0)
        goto fail;
    http_send_json(req, 200, list);
    list = NULL;
    acc_etag(req, v);
    goto done;
fail:
    sync_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(list);
    json_decref(kept);
    store_res_free(mem);
}

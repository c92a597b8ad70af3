/*
 * trips.c - /v1/trips: create, list (filters, text search, keyset
 * pagination by start date), read with destinations and activities,
 * replace, JSON merge patch, delete; the public read by share id; the
 * travel history. Writes run in one transaction with their change-log row
 * (trips_int.h); reads send ETag, writes honour If-Match (412 carries the
 * current representation). Handlers own every store result they get and
 * free it before they answer.
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "http/server.h"
#include "trips/logic.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static store_conn_t *db_(void) { return loop_ctx_get()->db; }

int trip_select(store_conn_t *db, const char *id, store_res_t **out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id)};
    return store_query(db, "SELECT " TRIP_COLS " FROM trips t WHERE t.id = $1", a, 1, out, err);
}

static int store_new(store_conn_t *db, const trip_write_t *w, const trip_fields_t *f,
                     int64_t now, int64_t cts, apierr_t *err)
{
    unsigned char rnd[16];
    char share[33];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(share, sizeof share, rnd, sizeof rnd);
    store_arg_t a[] = {ARG_TEXT(w->id), ARG_TEXT(w->user_id), ARG_TEXT(f->title),
                       ARG_TEXT(f->description), ARG_TEXT(f->start), ARG_TEXT(f->end),
                       ARG_TEXT(trips_status_name(f->status)),
                       f->has_budget ? ARG_INT(f->budget) : ARG_NULL, ARG_TEXT(f->currency),
                       ARG_INT(f->is_public ? 1 : 0), ARG_TEXT(share), ARG_TEXT(f->preferences),
                       ARG_TEXT(f->notes), ARG_INT(now), ARG_INT(cts),
                       ARG_TEXT(w->client_tag ? w->client_tag : "")};
    if (store_exec(db,
                   "INSERT INTO trips (id, owner_id, title, description, start_date, end_date, "
                   "status, budget, currency, is_public, share_id, preferences, notes, "
                   "created_at, updated_at, client_ts, client_tag) VALUES ($1, $2, $3, $4, $5, "
                   "$6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16)",
                   a, 16, err) < 0)
        return -1;
    char bid[UUID_STR_LEN];
    uuid_v7(bid);
    store_arg_t b[] = {ARG_TEXT(bid), ARG_TEXT(w->id), ARG_TEXT(w->user_id), ARG_INT(now)};
    return store_exec(db,
                      "INSERT INTO trip_buddies (id, trip_id, user_id, role, state, invited_by, "
                      "created_at, updated_at) VALUES ($1, $2, $3, 'owner', 'accepted', $3, $4, "
                      "$4)",
                      b, 4, err);
}

static int store_update(store_conn_t *db, const trip_write_t *w, const trip_fields_t *f,
                        int64_t now, int64_t cts, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(w->id), ARG_INT(w->expect), ARG_TEXT(f->title),
                       ARG_TEXT(f->description), ARG_TEXT(f->start), ARG_TEXT(f->end),
                       ARG_TEXT(trips_status_name(f->status)),
                       f->has_budget ? ARG_INT(f->budget) : ARG_NULL, ARG_TEXT(f->currency),
                       ARG_INT(f->is_public ? 1 : 0), ARG_TEXT(f->preferences), ARG_TEXT(f->notes),
                       ARG_INT(now), ARG_INT(cts), ARG_TEXT(w->client_tag ? w->client_tag : "")};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE trips SET title = $3, description = $4, start_date = $5, "
                    "end_date = $6, status = $7, budget = $8, currency = $9, is_public = $10, "
                    "preferences = $11, notes = $12, updated_at = $13, client_ts = $14, "
                    "client_tag = $15, version = version + 1 WHERE id = $1 AND version = $2 AND "
                    "deleted_at IS NULL",
                    a, 15, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    if (n != 1)
        return apierr_set(err, 412, "precondition_failed", "the trip changed meanwhile");
    return 0;
}

int trip_store(store_conn_t *db, const trip_write_t *w, const trip_fields_t *f, json_t **out,
               apierr_t *err)
{
    int64_t now = clock_now_ms();
    int64_t cts = w->client_ts ? w->client_ts : now;
    *out = NULL;
    if ((w->expect == 0 ? store_new(db, w, f, now, cts, err)
                        : store_update(db, w, f, now, cts, err)) < 0 ||
        trip_reindex(db, w->id, err) < 0)
        return -1;
    store_res_t *r = NULL;
    if (trip_select(db, w->id, &r, err) < 0)
        return -1;
    json_t *j = trip_json(r, 0, false);
    int64_t version = store_int(r, 0, TC_VERSION);
    store_res_free(r);
    if (changes_log(db, w->id, NULL, "trip", w->id, w->expect == 0 ? "create" : "update",
                    version, j, err) < 0) {
        json_decref(j);
        return -1;
    }
    *out = j;
    return 0;
}

int trip_delete_row(store_conn_t *db, const char *user_id, const char *id, int64_t expect,
                    apierr_t *err)
{
    (void)user_id;
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(expect), ARG_INT(now)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE trips SET deleted_at = $3, updated_at = $3, version = version + 1 "
                    "WHERE id = $1 AND version = $2 AND deleted_at IS NULL",
                    a, 3, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    if (n != 1)
        return apierr_set(err, 412, "precondition_failed", "the trip changed meanwhile");
    return changes_log(db, id, NULL, "trip", id, "delete", expect + 1, NULL, err);
}

/* ---- handlers --------------------------------------------------------------- */

static void send_trip(http_req_t *req, int status, json_t *trip)
{
    int64_t v = json_integer_value(json_object_get(trip, "version"));
    char loc[96];
    snprintf(loc, sizeof loc, "/v1/trips/%s", json_string_value(json_object_get(trip, "id")));
    http_send_json(req, status, trip);
    acc_etag(req, v);
    if (status == 201)
        http_add_header(req, "Location", loc);
}

static void trips_create_inner(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    trip_fields_t f;
    const char *cid = NULL;
    if (trip_fields_parse(b, &f, &err) < 0 || acc_str(b, "id", 36, 36, false, &cid, &err) < 0) {
        trip_fields_free(&f);
        trip_fail(req, &err);
        return;
    }
    if (cid && validate_uuid_parse(cid, 36, NULL) != 0) {
        trip_fields_free(&f);
        acc_invalid(&err, "id", "must be a UUID");
        trip_fail(req, &err);
        return;
    }
    char id[UUID_STR_LEN];
    if (cid) {
        for (int i = 0; i < 36; i++) /* canonical lower case */
            id[i] = (char)(cid[i] >= 'A' && cid[i] <= 'F' ? cid[i] + 32 : cid[i]);
        id[36] = 0;
    } else {
        uuid_v7(id);
    }
    store_conn_t *db = db_();
    json_t *out = NULL;
    trip_write_t w = {.user_id = req->user_id, .id = id};
    if (store_begin(db, true, &err) < 0 || trip_store(db, &w, &f, &out, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        sync_rollback(db);
        trip_fields_free(&f);
        if (err.status == 409) {
            apierr_clear(&err);
            apierr_set(&err, 409, "conflict", "a trip with this id already exists");
        }
        trip_fail(req, &err);
        return;
    }
    trip_fields_free(&f);
    send_trip(req, 201, out);
}

void trips_create(http_req_t *req)
{
    idem_run(req, trips_create_inner);
}

/* GET /v1/trips/:id (the full view) is in trips_read.c. */

/* The shared tail of PUT and PATCH: `next` (owned) holds the editable
 * fields to store over the loaded trip r. */
static void trip_replace(http_req_t *req, store_conn_t *db, store_res_t *r, json_t *next)
{
    apierr_t err = {0};
    trip_fields_t f;
    int rc = trip_fields_parse(next, &f, &err); /* f borrows from next */
    int from = trips_status_parse(store_val(r, 0, TC_STATUS));
    if (rc == 0 && !trips_status_allowed((trip_status_t)from, (trip_status_t)f.status)) {
        apierr_set(&err, 409, "illegal_transition", "a %s trip cannot become %s",
                   store_val(r, 0, TC_STATUS), trips_status_name(f.status));
        apierr_detail(&err, "field", json_string("status"));
        rc = -1;
    }
    json_t *out = NULL;
    trip_write_t w = {.user_id = req->user_id, .id = store_val(r, 0, TC_ID),
                      .expect = store_int(r, 0, TC_VERSION)};
    if (rc == 0)
        rc = trip_store(db, &w, &f, &out, &err);
    trip_fields_free(&f);
    json_decref(next);
    if (rc < 0 || sync_commit(db, &err) < 0) {
        sync_rollback(db);
        store_res_free(r);
        json_decref(out);
        ACC_FAIL(req, &err);
    }
    store_res_free(r);
    send_trip(req, 200, out);
}

/* Opens the write transaction and loads the trip for an editor; answers
 * 412 when If-Match is stale. NULL when answered. */
static store_res_t *begin_write(http_req_t *req, store_conn_t *db, const char *id, int need)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    if (store_begin(db, true, &err) < 0) {
        trip_fail(req, &err);
        return NULL;
    }
    if (trip_lock(db, id, &err) < 0 || trip_load(db, id, req->user_id, need, &r, NULL, &err) < 0) {
        sync_rollback(db);
        trip_fail(req, &err);
        return NULL;
    }
    int64_t v = store_int(r, 0, TC_VERSION);
    if (trip_if_match(req, v) < 0) {
        sync_rollback(db);
        trip_send_stale(req, v, trip_json(r, 0, false));
        store_res_free(r);
        return NULL;
    }
    return r;
}

void trips_put(http_req_t *req)
{
    const char *id;
    if (trip_path_id(req, "id", &id) < 0 || !acc_body(req))
        return;
    store_conn_t *db = db_();
    store_res_t *r = begin_write(req, db, id, ROLE_EDITOR);
    if (r)
        trip_replace(req, db, r, trip_editable(req->json));
}

void trips_patch(http_req_t *req)
{
    const char *id;
    if (trip_path_id(req, "id", &id) < 0 || !acc_body(req))
        return;
    store_conn_t *db = db_();
    store_res_t *r = begin_write(req, db, id, ROLE_EDITOR);
    if (!r)
        return;
    json_t *cur = trip_json(r, 0, false);
    json_t *base = trip_editable(cur);
    json_t *patch = trip_editable(req->json);
    json_t *next = trips_merge_patch(base, patch);
    json_decref(cur);
    json_decref(base);
    json_decref(patch);
    trip_replace(req, db, r, next);
}

void trips_delete(http_req_t *req)
{
    const char *id;
    if (trip_path_id(req, "id", &id) < 0)
        return;
    store_conn_t *db = db_();
    store_res_t *r = begin_write(req, db, id, ROLE_OWNER);
    if (!r)
        return;
    apierr_t err = {0};
    if (trip_delete_row(db, req->user_id, id, store_int(r, 0, TC_VERSION), &err) < 0 ||
        sync_commit(db, &err) < 0) {
        sync_rollback(db);
        store_res_free(r);
        ACC_FAIL(req, &err);
    }
    store_res_free(r);
    http_send_raw(req, 204, NULL, NULL, 0);
}

void trips_public_get(http_req_t *req)
{
    const char *share = http_param(req, "shareId");
    if (!share || strlen(share) != 32 || strspn(share, "0123456789abcdef") != 32) {
        http_send_error(req, 404, "not_found", "no such trip");
        return;
    }
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(share)};
    store_res_t *r = NULL;
    store_conn_t *db = db_();
    if (store_query(db,
                    "SELECT " TRIP_COLS " FROM trips t WHERE t.share_id = $1 AND "
                    "t.is_public = 1 AND t.deleted_at IS NULL",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    if (r->nrows != 1) {
        store_res_free(r);
        http_send_error(req, 404, "not_found", "no such trip");
        return;
    }
    json_t *j = trip_json(r, 0, true);
    int64_t v = store_int(r, 0, TC_VERSION);
    json_t *d = dest_list(db, store_val(r, 0, TC_ID), true, &err);
    json_t *ac = d ? act_list(db, store_val(r, 0, TC_ID), true, &err) : NULL;
    store_res_free(r);
    if (!ac) {
        json_decref(d);
        json_decref(j);
        ACC_FAIL(req, &err);
    }
    json_object_set_new(j, "destinations", d);
    json_object_set_new(j, "activities", ac);
    http_send_json(req, 200, j);
    acc_etag(req, v);
}

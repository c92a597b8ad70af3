/*
 * buddies.c - travel buddies: /v1/trips/:id/buddies. The owner invites by
 * e-mail or user id (an e-mail without an account yet is kept and matched
 * when that person signs up and accepts), changes roles (editor/viewer)
 * and removes buddies; the invitee accepts or declines; any member may
 * leave. Pending invitations are listed at GET /v1/trip-invitations.
 * Every membership change is logged for sync; a removed member gets a
 * trip tombstone of their own so their devices drop the trip.
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "messaging/messaging.h"
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>

#define BUDDY_COLS                                                                            \
    "b.id, b.trip_id, b.user_id, b.email, b.role, b.state, b.invited_by, b.version, "         \
    "b.created_at, b.updated_at, u.first_name, u.last_name"
#define BUDDY_FROM " FROM trip_buddies b LEFT JOIN users u ON u.id = b.user_id "

static json_t *col_str(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? json_string(v) : json_null();
}

static json_t *buddy_json(const store_res_t *r, int row)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", col_str(r, row, 0));
    json_object_set_new(o, "tripId", col_str(r, row, 1));
    json_object_set_new(o, "userId", col_str(r, row, 2));
    if (!store_val(r, row, 2))
        json_object_set_new(o, "email", col_str(r, row, 3));
    json_object_set_new(o, "role", col_str(r, row, 4));
    json_object_set_new(o, "state", col_str(r, row, 5));
    json_object_set_new(o, "invitedBy", col_str(r, row, 6));
    json_object_set_new(o, "firstName", col_str(r, row, 10));
    json_object_set_new(o, "lastName", col_str(r, row, 11));
    json_object_set_new(o, "version", json_integer(store_int(r, row, 7)));
    json_object_set_new(o, "createdAt", acc_time(store_int(r, row, 8)));
    json_object_set_new(o, "updatedAt", acc_time(store_int(r, row, 9)));
    return o;
}

/* Loads buddy row `id` and logs it (op) for the trip's members. */
static int buddy_logged(store_conn_t *db, const char *bid, const char *op, json_t **out,
                        apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(bid)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT " BUDDY_COLS BUDDY_FROM "WHERE b.id = $1", a, 1, &r, err) < 0)
        return -1;
    if (r->nrows != 1) {
        store_res_free(r);
        return apierr_set(err, 404, "not_found", "no such buddy");
    }
    json_t *j = buddy_json(r, 0);
    int rc = changes_log(db, store_val(r, 0, 1), NULL, "buddy", bid, op, store_int(r, 0, 7),
                         strcmp(op, "delete") == 0 ? NULL : j, err);
    store_res_free(r);
    if (rc < 0 || !out)
        json_decref(j);
    else
        *out = j;
    return rc;
}

void buddies_list(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    trip_page_t pg;
    if (trip_page_parse(req, PAGE_DEFAULT, PAGE_MAX, true, &pg, &err) < 0)
        ACC_FAIL(req, &err);
    store_arg_t a[] = {ARG_TEXT(tid), trip_page_key_arg(&pg), ARG_TEXT(pg.id),
                       ARG_INT(pg.limit + 1)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT " BUDDY_COLS BUDDY_FROM "WHERE b.trip_id = $1 AND b.deleted_at IS "
                    "NULL AND " TRIP_PAGE_WHERE("b.created_at", "b.id", "$2", "$3")
                    TRIP_PAGE_ORDER("b.created_at", "b.id") "LIMIT $4",
                    a, 4, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    int n = r->nrows > pg.limit ? pg.limit : r->nrows;
    for (int i = 0; i < n; i++)
        json_array_append_new(items, buddy_json(r, i));
    json_t *next = trip_page_next(&pg, r, 8, 0);
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

typedef struct {
    const char *user_id, *role;
    char email[VALIDATE_EMAIL_MAX + 1];
} invite_t;

static int invite_parse(store_conn_t *db, http_req_t *req, invite_t *in, apierr_t *err)
{
    json_t *b = req->json;
    memset(in, 0, sizeof *in);
    const char *email = NULL;
    if (acc_str(b, "userId", 36, 36, false, &in->user_id, err) < 0 ||
        acc_str(b, "email", 1, VALIDATE_EMAIL_MAX, false, &email, err) < 0 ||
        acc_str(b, "role", 1, 10, false, &in->role, err) < 0)
        return -1;
    if (!in->role)
        in->role = "viewer";
    if (strcmp(in->role, "editor") != 0 && strcmp(in->role, "viewer") != 0)
        return acc_invalid(err, "role", "must be editor or viewer");
    if (!!email == !!in->user_id)
        return acc_invalid(err, email ? "userId" : "email", "give either email or userId");
    store_res_t *r = NULL;
    if (email) {
        if (validate_email_normalize(email, strlen(email), in->email, sizeof in->email) <= 0)
            return acc_invalid(err, "email", "is not a valid e-mail address");
        store_arg_t a[] = {ARG_TEXT(in->email)};
        if (store_query(db, "SELECT id FROM users WHERE email = $1 AND status <> 'deleted'", a, 1,
                        &r, err) < 0)
            return -1;
        if (r->nrows == 1)
            in->user_id = pool_strdup(&req->pool, store_val(r, 0, 0));
    } else {
        if (validate_uuid_parse(in->user_id, 36, NULL) != 0)
            return acc_invalid(err, "userId", "must be a user id");
        store_arg_t a[] = {ARG_TEXT(in->user_id)};
        if (store_query(db, "SELECT email FROM users WHERE id = $1 AND status = 'active'", a, 1,
                        &r, err) < 0)
            return -1;
        if (r->nrows != 1) {
            store_res_free(r);
            return acc_invalid(err, "userId", "no such user");
        }
        snprintf(in->email, sizeof in->email, "%s", store_val(r, 0, 0));
    }
    store_res_free(r);
    if (in->user_id && strcmp(in->user_id, req->user_id) == 0)
        return acc_invalid(err, email ? "email" : "userId", "you are already on the trip");
    return 0;
}

static int invite_store(store_conn_t *db, http_req_t *req, const char *tid, const invite_t *in,
                        json_t **out, apierr_t *err)
{
    store_arg_t q[] = {ARG_TEXT(tid), ARG_TEXT(in->user_id), ARG_TEXT(in->email)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, state, deleted_at FROM trip_buddies WHERE trip_id = $1 AND "
                    "(user_id = $2 OR email = $3)",
                    q, 3, &r, err) < 0)
        return -1;
    int64_t now = clock_now_ms();
    char bid[UUID_STR_LEN];
    int rc;
    if (r->nrows > 0 && !store_val(r, 0, 2) && strcmp(store_val(r, 0, 1), "declined") != 0) {
        bool member = strcmp(store_val(r, 0, 1), "accepted") == 0;
        store_res_free(r);
        return apierr_set(err, 409, member ? "already_member" : "already_invited",
                          member ? "this person is already on the trip"
                                 : "this person is already invited");
    }
    if (r->nrows > 0) {
        snprintf(bid, sizeof bid, "%s", store_val(r, 0, 0));
        store_arg_t a[] = {ARG_TEXT(bid), ARG_TEXT(in->role), ARG_TEXT(req->user_id),
                           ARG_INT(now), ARG_TEXT(in->user_id)};
        rc = store_exec(db,
                        "UPDATE trip_buddies SET role = $2, state = 'pending', invited_by = $3, "
                        "user_id = COALESCE($5, user_id), updated_at = $4, deleted_at = NULL, "
                        "version = version + 1 WHERE id = $1",
                        a, 5, err);
    } else {
        uuid_v7(bid);
        store_arg_t a[] = {ARG_TEXT(bid), ARG_TEXT(tid), ARG_TEXT(in->user_id),
                           ARG_TEXT(in->email), ARG_TEXT(in->role), ARG_TEXT(req->user_id),
                           ARG_INT(now)};
        rc = store_exec(db,
                        "INSERT INTO trip_buddies (id, trip_id, user_id, email, role, state, "
                        "invited_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
                        "'pending', $6, $7, $7)",
                        a, 7, err);
    }
    store_res_free(r);
    if (rc < 0)
        return -1;
    return buddy_logged(db, bid, "create", out, err);
}

static void buddies_invite_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    invite_t in;
    json_t *out = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (trip_lock(db, tid, &err) < 0 ||
        trip_check(db, tid, req->user_id, ROLE_OWNER, NULL, &err) < 0 ||
        invite_parse(db, req, &in, &err) < 0 || invite_store(db, req, tid, &in, &out, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        json_decref(out);
        sync_rollback(db);
        ACC_FAIL(req, &err);
    }
    notify_trip_invitation(db, tid, req->user_id, in.user_id); /* the invitee hears of it */
    http_send_json(req, 201, out);
}

void buddies_invite(http_req_t *req)
{
    idem_run(req, buddies_invite_inner);
}

/* A new member's cursor may already be past the trip's history, so the
 * trip's current state is logged again, addressed to them alone. */
static int snapshot_for(store_conn_t *db, const char *tid, const char *uid, apierr_t *err)
{
    store_res_t *r = NULL;
    if (trip_select(db, tid, &r, err) < 0)
        return -1;
    json_t *t = trip_json(r, 0, false);
    store_res_free(r);
    int rc = changes_log(db, NULL, uid, "trip", tid, "update",
                         json_integer_value(json_object_get(t, "version")), t, err);
    json_decref(t);
    const char *kinds[] = {"destination", "activity"};
    for (int k = 0; k < 2 && rc == 0; k++) {
        json_t *arr = k == 0 ? dest_list(db, tid, false, err) : act_list(db, tid, false, err);
        if (!arr)
            return -1;
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o) {
            if (rc == 0)
                rc = changes_log(db, NULL, uid, kinds[k], json_string_value(json_object_get(o, "id")),
                                 "update", json_integer_value(json_object_get(o, "version")), o,
                                 err);
        }
        json_decref(arr);
    }
    return rc;
}

/* Accept or decline the caller's pending invitation to trip :id. */
static void answer(http_req_t *req, const char *state)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    json_t *out = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (trip_lock(db, tid, &err) < 0 ||
        store_query(db,
                    "SELECT b.id FROM trip_buddies b JOIN trips t ON t.id = b.trip_id WHERE "
                    "b.trip_id = $1 AND b.state = 'pending' AND b.deleted_at IS NULL AND "
                    "t.deleted_at IS NULL AND (b.user_id = $2 OR (b.user_id IS NULL AND b.email "
                    "= (SELECT email FROM users WHERE id = $2)))",
                    a, 2, &r, &err) < 0)
        goto fail;
    if (r->nrows != 1) {
        apierr_set(&err, 404, "not_found", "you have no pending invitation to this trip");
        goto fail;
    }
    store_arg_t u[] = {ARG_TEXT(store_val(r, 0, 0)), ARG_TEXT(state), ARG_TEXT(req->user_id),
                       ARG_INT(clock_now_ms())};
    if (store_exec(db,
                   "UPDATE trip_buddies SET state = $2, user_id = $3, updated_at = $4, version = "
                   "version + 1 WHERE id = $1",
                   u, 4, &err) < 0 ||
        buddy_logged(db, store_val(r, 0, 0), "update", &out, &err) < 0 ||
        (strcmp(state, "accepted") == 0 && snapshot_for(db, tid, req->user_id, &err) < 0) ||
        sync_commit(db, &err) < 0)
        goto fail;
    store_res_free(r);
    http_send_json(req, 200, out);
    return;
fail:
    json_decref(out);
    sync_rollback(db);
    store_res_free(r);
    ACC_FAIL(req, &err);
}

void buddies_accept(http_req_t *req) { answer(req, "accepted"); }
void buddies_decline(http_req_t *req) { answer(req, "declined"); }

/* Loads the live buddy row of user :userId on trip tid: id, role, state. */
static int target_row(store_conn_t *db, const char *tid, const char *uid, store_res_t **r,
                      apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(uid)};
    if (store_query(db,
                    "SELECT id, role, state FROM trip_buddies WHERE trip_id = $1 AND user_id = $2 "
                    "AND deleted_at IS NULL",
                    a, 2, r, err) < 0)
        return -1;
    if ((*r)->nrows != 1) {
        store_res_free(*r);
        *r = NULL;
        return apierr_set(err, 404, "not_found", "no such buddy");
    }
    return 0;
}

void buddies_set_role(http_req_t *req)
{
    const char *tid, *uid, *role = NULL;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "userId", &uid) < 0 ||
        !acc_body(req))
        return;
    apierr_t err = {0};
    if (acc_str(req->json, "role", 1, 10, true, &role, &err) < 0)
        ACC_FAIL(req, &err);
    if (strcmp(role, "editor") != 0 && strcmp(role, "viewer") != 0) {
        acc_invalid(&err, "role", "must be editor or viewer");
        ACC_FAIL(req, &err);
    }
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    json_t *out = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (trip_lock(db, tid, &err) < 0 ||
        trip_check(db, tid, req->user_id, ROLE_OWNER, NULL, &err) < 0 ||
        target_row(db, tid, uid, &r, &err) < 0)
        goto fail;
    if (strcmp(store_val(r, 0, 1), "owner") == 0) {
        apierr_set(&err, 409, "owner_role", "the owner's role cannot change");
        goto fail;
    }
    store_arg_t u[] = {ARG_TEXT(store_val(r, 0, 0)), ARG_TEXT(role), ARG_INT(clock_now_ms())};
    if (store_exec(db,
                   "UPDATE trip_buddies SET role = $2, updated_at = $3, version = version + 1 "
                   "WHERE id = $1",
                   u, 3, &err) < 0 ||
        buddy_logged(db, store_val(r, 0, 0), "update", &out, &err) < 0 ||
        sync_commit(db, &err) < 0)
        goto fail;
    store_res_free(r);
    http_send_json(req, 200, out);
    return;
fail:
    json_decref(out);
    sync_rollback(db);
    store_res_free(r);
    ACC_FAIL(req, &err);
}

void buddies_remove(http_req_t *req)
{
    const char *tid, *uid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "userId", &uid) < 0)
        return;
    bool self = strcmp(uid, req->user_id) == 0;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (trip_lock(db, tid, &err) < 0 ||
        trip_check(db, tid, req->user_id, self ? ROLE_VIEWER : ROLE_OWNER, NULL, &err) < 0 ||
        target_row(db, tid, uid, &r, &err) < 0)
        goto fail;
    if (strcmp(store_val(r, 0, 1), "owner") == 0) {
        apierr_set(&err, 409, "owner_cannot_leave", "the owner cannot leave; delete the trip");
        goto fail;
    }
    bool was_member = strcmp(store_val(r, 0, 2), "accepted") == 0;
    int64_t now = clock_now_ms();
    store_arg_t u[] = {ARG_TEXT(store_val(r, 0, 0)), ARG_INT(now)};
    if (store_exec(db,
                   "UPDATE trip_buddies SET deleted_at = $2, updated_at = $2, version = version + "
                   "1 WHERE id = $1",
                   u, 2, &err) < 0 ||
        buddy_logged(db, store_val(r, 0, 0), "delete", NULL, &err) < 0 ||
        (was_member &&
         changes_log(db, NULL, uid, "trip", tid, "delete", 0, NULL, &err) < 0) ||
        sync_commit(db, &err) < 0)
        goto fail;
    store_res_free(r);
    msg_trip_member_removed(db, tid, uid); /* their sockets leave the trip's rooms */
    http_send_raw(req, 204, NULL, NULL, 0);
    return;
fail:
    sync_rollback(db);
    store_res_free(r);
    ACC_FAIL(req, &err);
}

void buddies_invitations(http_req_t *req)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(loop_ctx_get()->db,
                    "SELECT " BUDDY_COLS ", t.title, t.start_date, t.end_date" BUDDY_FROM
                    "JOIN trips t ON t.id = b.trip_id WHERE b.state = 'pending' AND "
                    "b.deleted_at IS NULL AND t.deleted_at IS NULL AND (b.user_id = $1 OR "
                    "(b.user_id IS NULL AND b.email = (SELECT email FROM users WHERE id = $1))) "
                    "ORDER BY b.created_at, b.id LIMIT 200",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++) {
        json_t *j = buddy_json(r, i);
        json_object_set_new(j, "trip", json_pack("{s:s, s:s, s:s}", "title", store_val(r, i, 12),
                                                 "startDate", store_val(r, i, 13), "endDate",
                                                 store_val(r, i, 14)));
        json_array_append_new(items, j);
    }
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

/*
 * notifications_inbox.c - the in-app list (GET /v1/notifications with
 * unreadCount and an id cursor, newest first), read marks, and delivery
 * tracking of one notification. Only in-app notifications (in_app = 1)
 * appear in the list; deliveries are readable for any of the caller's own
 * notifications and 404 for anyone else's.
 */
#include "api/acc_util.h"
#include "api/notifications_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t unread_count(store_conn_t *db, const char *uid, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT count(*) FROM notifications WHERE user_id = $1 AND in_app = 1 AND "
                    "read_at IS NULL",
                    a, 1, &r, err) < 0)
        return -1;
    int64_t n = store_int(r, 0, 0);
    store_res_free(r);
    return n;
}

void notifications_list(http_req_t *req)
{
    apierr_t err = {0};
    const char *l = http_query(req, "limit"), *cursor = http_query(req, "cursor");
    const char *unread = http_query(req, "unread");
    long limit = 20;
    if (l) {
        char *end;
        limit = strtol(l, &end, 10);
        if (!*l || *end || limit < 1 || limit > 100) {
            acc_invalid(&err, "limit", "must be 1..100");
            ACC_FAIL(req, &err);
        }
    }
    if (cursor && !uuid_valid(cursor)) {
        acc_invalid(&err, "cursor", "is not a cursor this list gave");
        ACC_FAIL(req, &err);
    }
    if (unread && strcmp(unread, "true") && strcmp(unread, "false")) {
        acc_invalid(&err, "unread", "must be true or false");
        ACC_FAIL(req, &err);
    }
    bool only_unread = unread && strcmp(unread, "true") == 0;
    store_conn_t *db = loop_ctx_get()->db;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " NOTIFY_COLS " FROM notifications WHERE user_id = $1 AND in_app = 1%s%s "
             "ORDER BY id DESC LIMIT $2",
             only_unread ? " AND read_at IS NULL" : "", cursor ? " AND id < $3" : "");
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_INT(limit + 1), ARG_TEXT(cursor)};
    store_res_t *r = NULL;
    if (store_query(db, sql, a, cursor ? 3 : 2, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t unread_n = unread_count(db, req->user_id, &err);
    if (unread_n < 0) {
        store_res_free(r);
        ACC_FAIL(req, &err);
    }
    json_t *items = json_array();
    int n = r->nrows > limit ? (int)limit : r->nrows;
    for (int i = 0; i < n; i++)
        json_array_append_new(items, notify_row_json(r, i));
    json_t *next = r->nrows > limit ? json_string(store_val(r, n - 1, 0)) : json_null();
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:o, s:I}", "items", items, "nextCursor", next,
                                       "unreadCount", (json_int_t)unread_n));
}

void notifications_read(http_req_t *req)
{
    const char *id = http_param(req, "id");
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_exec(db,
                   "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND "
                   "user_id = $2 AND in_app = 1",
                   a, 3, &err) < 0 ||
        store_query(db,
                    "SELECT " NOTIFY_COLS " FROM notifications WHERE id = $1 AND user_id = $2 AND "
                    "in_app = 1",
                    a, 2, &r, &err) < 0)
        ACC_FAIL(req, &err);
    if (r->nrows != 1) {
        store_res_free(r);
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    json_t *j = notify_row_json(r, 0);
    store_res_free(r);
    http_send_json(req, 200, j);
}

/* POST /:id/opened {deviceId?}: the app reports that the user opened the
 * notification (tapped the push). Marks it read and stamps opened_at on its
 * push deliveries (only that device's when deviceId is given) and its in-app
 * delivery; the first time counts. */
void notifications_opened(http_req_t *req)
{
    const char *id = http_param(req, "id");
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    apierr_t err = {0};
    const char *device = NULL;
    if (req->json) { /* the body is optional; when given it is an object */
        json_t *body = acc_body(req);
        if (!body)
            return;
        if (acc_str(body, "deviceId", 1, 64, false, &device, &err) < 0)
            ACC_FAIL(req, &err);
        if (device && !uuid_valid(device)) {
            acc_invalid(&err, "deviceId", "must be a device id");
            ACC_FAIL(req, &err);
        }
    }
    store_conn_t *db = loop_ctx_get()->db;
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id), ARG_INT(now),
                       device ? ARG_TEXT(device) : ARG_NULL};
    store_res_t *r = NULL;
    if (store_begin(db, true, &err) < 0 ||
        store_exec(db,
                   "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND "
                   "user_id = $2",
                   a, 3, &err) < 0 ||
        store_exec(db,
                   "UPDATE notification_deliveries SET opened_at = COALESCE(opened_at, $3), "
                   "updated_at = $3 WHERE notification_id = (SELECT id FROM notifications WHERE "
                   "id = $1 AND user_id = $2) AND (channel = 'inApp' OR (channel = 'push' AND "
                   "device_id = COALESCE($4, device_id)))",
                   a, 4, &err) < 0 ||
        store_query(db,
                    "SELECT " NOTIFY_COLS " FROM notifications WHERE id = $1 AND user_id = $2", a,
                    2, &r, &err) < 0 ||
        store_commit(db, &err) < 0) {
        store_rollback(db);
        store_res_free(r);
        ACC_FAIL(req, &err);
    }
    if (r->nrows != 1) {
        store_res_free(r);
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    json_t *j = notify_row_json(r, 0);
    store_res_free(r);
    http_send_json(req, 200, j);
}

void notifications_read_all(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND in_app = 1 AND "
                    "read_at IS NULL",
                    a, 2, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t n = r->changes;
    store_res_free(r);
    int64_t left = unread_count(db, req->user_id, &err);
    if (left < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:I, s:I}", "updated", (json_int_t)n, "unreadCount",
                                       (json_int_t)left));
}

static json_t *attempts_of(const store_res_t *att, const char *did)
{
    json_t *arr = json_array();
    for (int i = 0; i < att->nrows; i++) {
        if (strcmp(store_val(att, i, 0), did) != 0)
            continue;
        const char *why = store_val(att, i, 3), *st = store_val(att, i, 4);
        json_array_append_new(arr, json_pack("{s:I, s:s, s:o, s:o, s:o}", "attempt",
                                             (json_int_t)store_int(att, i, 1), "state",
                                             store_val(att, i, 2), "reason",
                                             why ? json_string(why) : json_null(), "httpStatus",
                                             st ? json_integer(store_int(att, i, 4)) : json_null(),
                                             "at", acc_time_col(att, i, 5)));
    }
    return arr;
}

void notifications_deliveries(http_req_t *req)
{
    const char *id = http_param(req, "id");
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
    store_res_t *r = NULL, *att = NULL;
    if (store_query(db,
                    "SELECT d.id, d.channel, d.device_id, d.state, d.attempts, d.reason, "
                    "d.not_before, d.created_at, d.updated_at, d.opened_at FROM "
                    "notification_deliveries d JOIN "
                    "notifications n ON n.id = d.notification_id WHERE n.id = $1 AND n.user_id = "
                    "$2 ORDER BY d.id",
                    a, 2, &r, &err) < 0 ||
        store_query(db,
                    "SELECT t.delivery_id, t.attempt, t.state, t.reason, t.status, t.at FROM "
                    "notification_attempts t JOIN notification_deliveries d ON d.id = "
                    "t.delivery_id JOIN notifications n ON n.id = d.notification_id WHERE n.id = "
                    "$1 AND n.user_id = $2 ORDER BY t.delivery_id, t.attempt",
                    a, 2, &att, &err) < 0) {
        store_res_free(r);
        ACC_FAIL(req, &err);
    }
    store_res_t *own = NULL;
    if (r->nrows == 0 &&
        store_query(db, "SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2", a, 2, &own,
                    &err) == 0 &&
        own->nrows == 0) {
        store_res_free(own);
        store_res_free(r);
        store_res_free(att);
        http_send_error(req, 404, "not_found", "no such notification");
        return;
    }
    store_res_free(own);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++) {
        const char *dev = store_val(r, i, 2), *why = store_val(r, i, 5);
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                             store_val(r, i, 0), "channel", store_val(r, i, 1), "deviceId",
                             dev ? json_string(dev) : json_null(), "state", store_val(r, i, 3),
                             "attemptCount", (json_int_t)store_int(r, i, 4), "reason",
                             why ? json_string(why) : json_null(), "notBefore",
                             acc_time_col(r, i, 6), "createdAt", acc_time_col(r, i, 7),
                             "updatedAt", acc_time_col(r, i, 8), "openedAt",
                             acc_time_col(r, i, 9), "attempts",
                             attempts_of(att, store_val(r, i, 0))));
    }
    store_res_free(r);
    store_res_free(att);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

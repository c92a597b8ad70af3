/*
 * messages.c - /v1/messages: conversations, history, sending, receipts,
 * group membership and media. Handlers parse the request and call
 * messaging/ (which owns the rules, the store and the publishing);
 * uploads are written here (messages_media.c). Every route needs a
 * signed-in user; a conversation the caller is not a member of is 404.
 */
#include "api/api.h"
#include "api/acc_util.h"
#include "api/idempotency.h"
#include "auth/session_cache.h"

#include "core/loopctx.h"
#include "messaging/messaging.h"

#include <stdlib.h>
#include <string.h>

#define MSG_BODY (64 * 1024)
#define PAGE_MAX 100

static store_conn_t *db(void) { return loop_ctx_get()->db; }

/* ?name= as an integer in min..max (def when absent); 422 otherwise. */
static int query_int(http_req_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                     int64_t *out, apierr_t *err)
{
    const char *v = http_query(req, name);
    *out = def;
    if (!v)
        return 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return acc_invalid(err, name, "must be an integer from %lld to %lld", (long long)min,
                           (long long)max);
    *out = n;
    return 0;
}

static void conv_create(http_req_t *req)
{
    if (!acc_body(req))
        return;
    apierr_t err = {0};
    json_t *out;
    bool created;
    if (msg_conv_create(db(), req->user_id, req->json, &out, &created, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, created ? 201 : 200, out);
}

static void conv_create_idem(http_req_t *req) { idem_run(req, conv_create); }

static void conv_list(http_req_t *req)
{
    apierr_t err = {0};
    int64_t limit;
    json_t *out;
    if (query_int(req, "limit", 1, PAGE_MAX, 20, &limit, &err) < 0 ||
        msg_conv_list(db(), req->user_id, (int)limit, http_query(req, "cursor"), &out, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, out);
}

static void page(http_req_t *req, bool media_only)
{
    apierr_t err = {0};
    msg_page_t pg = {0};
    int64_t limit;
    const char *cursor = http_query(req, "cursor");
    json_t *out;
    if (query_int(req, "limit", 1, PAGE_MAX, 50, &limit, &err) < 0 ||
        query_int(req, "after", 0, INT64_MAX, 0, &pg.after, &err) < 0)
        ACC_FAIL(req, &err);
    if (cursor) {
        char *end = NULL;
        long long b = strtoll(cursor, &end, 10);
        if (!*cursor || *end || b <= 0) {
            http_send_error(req, 400, "invalid_cursor", "the cursor is not one this server gave");
            return;
        }
        pg.before = b;
    }
    pg.limit = (int)limit;
    pg.media_only = media_only;
    if (msg_history(db(), req->user_id, http_param(req, "id"), &pg, &out, &err) < 0)
        ACC_FAIL(req, &err);
    if (media_only)
        json_object_del(out, "conversation");
    http_send_json(req, 200, out);
}

static void conv_history(http_req_t *req) { page(req, false); }
static void conv_media_list(http_req_t *req) { page(req, true); }

/* On PostgreSQL the session is checked inside the send's statement
 * (ROUTE_SESSION_LATE); when the send failed before that statement ran,
 * it is checked on its own, so a dead session is a 401 before anything. */
static void conv_send(http_req_t *req)
{
    bool late = session_late(req);
    msg_session_t ses = {.sid = late ? req->session_id : NULL};
    apierr_t err = {0};
    json_t *out = NULL;
    bool created = false;
    int rc = -1;
    if (req->json && json_is_object(req->json))
        rc = msg_send(db(), req->user_id, http_param(req, "id"), req->json, NULL, &ses, &out,
                      &created, &err);
    if (late && (ses.checked ? session_late_check(req, db(), ses.live ? ses.role : NULL,
                                                  ses.live ? ses.status : NULL, ses.last_used)
                             : session_late_verify(req, db())) < 0) {
        json_decref(out);
        apierr_clear(&err);
        return;
    }
    if (!acc_body(req))
        return;
    if (rc < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, created ? 201 : 200, out);
}

static void conv_read(http_req_t *req)
{
    if (!acc_body(req))
        return;
    apierr_t err = {0};
    json_t *out, *upto = json_object_get(req->json, "upTo");
    if (!upto) {
        acc_invalid(&err, "upTo", "is required");
        ACC_FAIL(req, &err);
    }
    if (msg_mark(db(), req->user_id, http_param(req, "id"), upto, true, &out, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, out);
}

static void members_add(http_req_t *req)
{
    if (!acc_body(req))
        return;
    apierr_t err = {0};
    json_t *out;
    if (msg_members_add(db(), req->user_id, http_param(req, "id"), req->json, &out, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, out);
}

static void member_remove(http_req_t *req)
{
    apierr_t err = {0};
    const char *target = http_param(req, "userId");
    if (strcmp(target, "me") == 0)
        target = req->user_id;
    if (msg_member_remove(db(), req->user_id, http_param(req, "id"), target, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}

static void conv_get(http_req_t *req) { conv_history(req); }

const route_t messages_routes[] = {
    {"POST", "/v1/messages/conversations", conv_create_idem, 0, MSG_BODY,
     "Start a conversation (direct, group, trip or booking)", 0},
    {"GET", "/v1/messages/conversations", conv_list, 0, 0,
     "Your conversations, most recent activity first", 0},
    {"GET", "/v1/messages/conversations/:id", conv_get, 0, 0,
     "A conversation and its messages, newest first", 0},
    {"POST", "/v1/messages/conversations/:id", conv_send, ROUTE_SESSION_LATE, MSG_BODY,
     "Send a message", 0},
    {"POST", "/v1/messages/conversations/:id/read", conv_read, 0, MSG_BODY,
     "Mark messages read up to a seq or message id", 0},
    {"POST", "/v1/messages/conversations/:id/members", members_add, 0, MSG_BODY,
     "Add members to a group", 0},
    {"DELETE", "/v1/messages/conversations/:id/members/:userId", member_remove, 0, 0,
     "Leave a group, or remove a member (admin)", 0},
    {"GET", "/v1/messages/conversations/:id/media", conv_media_list, 0, 0,
     "Media messages of a conversation, newest first", 0},
    {"POST", "/v1/messages/conversations/:id/media", messages_media_post, ROUTE_RAW_BODY,
     MSG_MEDIA_MAX, "Send an image (JPEG, PNG or WebP, at most 10 MiB)", 0},
};
const int messages_routes_count = (int)(sizeof messages_routes / sizeof messages_routes[0]);

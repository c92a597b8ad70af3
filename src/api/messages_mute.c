/*
 * messages_mute.c - muting a conversation's notifications for the caller:
 *
 *   GET  /v1/messages/conversations/:id/mute    the caller's mute state
 *   POST /v1/messages/conversations/:id/mute    {until?} (RFC 3339, future;
 *                                               absent/null = until unmuted)
 *   POST /v1/messages/conversations/:id/unmute  (no body, or {})
 *
 * Each answers {conversationId, muted, mutedUntil}. A conversation the
 * caller is not a member of is 404. The rules and the store live in
 * messaging/notify_offline.c; muted members get no chat notification
 * (they still get message:new on their sockets).
 */
#include "api/api.h"
#include "api/acc_util.h"

#include "core/loopctx.h"
#include "messaging/notify_offline.h"

#define MUTE_BODY 4096

/* The JSON body, or NULL for an empty one; false (answered 400) when the
 * body is present but not an object. */
static bool body_or_empty(http_req_t *req, json_t **body)
{
    *body = NULL;
    if (req->body.len == 0 && !req->json)
        return true;
    *body = acc_body(req);
    return *body != NULL;
}

static void mute(http_req_t *req, bool on)
{
    json_t *body, *out;
    apierr_t err = {0};
    if (!body_or_empty(req, &body))
        return;
    if (msg_mute_set(loop_ctx_get()->db, req->user_id, http_param(req, "id"), body, on, &out,
                     &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, out);
}

static void mute_on(http_req_t *req) { mute(req, true); }
static void mute_off(http_req_t *req) { mute(req, false); }

static void mute_get(http_req_t *req)
{
    json_t *out;
    apierr_t err = {0};
    if (msg_mute_get(loop_ctx_get()->db, req->user_id, http_param(req, "id"), &out, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, out);
}

const route_t messages_mute_routes[] = {
    {"GET", "/v1/messages/conversations/:id/mute", mute_get, 0, 0,
     "Whether you muted a conversation's notifications", 0},
    {"POST", "/v1/messages/conversations/:id/mute", mute_on, 0, MUTE_BODY,
     "Mute a conversation's notifications for you", 0},
    {"POST", "/v1/messages/conversations/:id/unmute", mute_off, 0, MUTE_BODY,
     "Unmute a conversation's notifications for you", 0},
};
const int messages_mute_routes_count =
    (int)(sizeof messages_mute_routes / sizeof messages_mute_routes[0]);

/*
 * messages_rt.c - messaging over the real-time channel:
 *
 *   message:send      ({conversationId, type, text, location, bookingId,
 *                     clientMessageId}, ack) - the same as POST
 *                     /v1/messages/conversations/:id; ack [{ok, created,
 *                     message}] or [{ok:false, error:{status, code, …}}]
 *   message:delivered ({conversationId, upTo}, ack) - this device received
 *                     messages up to seq (or message id) upTo
 *   message:read      ({conversationId, upTo}, ack) - as POST …/:id/read
 *
 * It also decides who may join which room (conversation:<id> for members,
 * trip:<id> for accepted buddies; user:<own id> is always allowed by the
 * engine) and fans presence changes out as presence:update to the
 * user:<id> room of everyone who shares a conversation or a trip.
 * Handlers run in the socket's coroutine with the loop's store handle.
 */
#include "api/api.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "messaging/messaging.h"
#include "realtime/realtime.h"

#include <stdio.h>
#include <string.h>

static store_conn_t *db(void) { return loop_ctx_get()->db; }

static void ack_error(realtime_event_t *ev, apierr_t *err)
{
    if (!err->status)
        apierr_set(err, 500, "internal", "unexpected error");
    json_t *e = json_pack("{s:i, s:s, s:s}", "status", err->status, "code", err->code,
                          "message", err->message);
    if (err->details)
        json_object_set(e, "details", err->details);
    apierr_clear(err);
    realtime_ack(ev, json_pack("[{s:b, s:o}]", "ok", 0, "error", e));
}

/* The event's first argument as an object with a conversationId. */
static json_t *event_body(realtime_event_t *ev, json_t *args, const char **cid)
{
    json_t *body = json_array_get(args, 0);
    *cid = json_string_value(json_object_get(body, "conversationId"));
    if (!json_is_object(body) || !*cid) {
        apierr_t err = {0};
        apierr_set(&err, 422, "validation_failed", "the argument must be an object with a conversationId");
        apierr_detail(&err, "field", json_string("conversationId"));
        ack_error(ev, &err);
        return NULL;
    }
    return body;
}

static void on_send(realtime_event_t *ev, const char *user_id, json_t *args)
{
    const char *cid;
    json_t *body = event_body(ev, args, &cid), *out;
    if (!body)
        return;
    apierr_t err = {0};
    bool created;
    if (msg_send(db(), user_id, cid, body, NULL, NULL, &out, &created, &err) < 0) {
        ack_error(ev, &err);
        return;
    }
    realtime_ack(ev, json_pack("[{s:b, s:b, s:o}]", "ok", 1, "created", created, "message", out));
}

static void mark(realtime_event_t *ev, const char *user_id, json_t *args, bool read)
{
    const char *cid;
    json_t *body = event_body(ev, args, &cid), *out;
    if (!body)
        return;
    apierr_t err = {0};
    json_t *upto = json_object_get(body, "upTo");
    if (!upto) {
        apierr_set(&err, 422, "validation_failed", "upTo is required");
        apierr_detail(&err, "field", json_string("upTo"));
        ack_error(ev, &err);
        return;
    }
    if (msg_mark(db(), user_id, cid, upto, read, &out, &err) < 0) {
        ack_error(ev, &err);
        return;
    }
    json_object_set_new(out, "ok", json_true());
    realtime_ack(ev, json_pack("[o]", out));
}

static void on_delivered(realtime_event_t *ev, const char *user_id, json_t *args)
{
    mark(ev, user_id, args, false);
}

static void on_read(realtime_event_t *ev, const char *user_id, json_t *args)
{
    mark(ev, user_id, args, true);
}

static bool entitled(const char *user_id, const char *room)
{
    if (strncmp(room, "conversation:", 13) == 0)
        return msg_is_member(db(), room + 13, user_id);
    if (strncmp(room, "trip:", 5) == 0)
        return msg_is_trip_member(db(), room + 5, user_id);
    return false;
}

static void presence_changed(const char *user_id, bool online, int64_t at_ms)
{
    store_res_t *r = NULL;
    apierr_t err = {0};
    if (msg_contacts(db(), user_id, &r, &err) == 0) {
        char ts[40];
        clock_rfc3339(at_ms, ts, sizeof ts);
        json_t *payload = json_pack("{s:s, s:b, s:s}", "userId", user_id, "online", online,
                                    "lastSeen", ts);
        for (int i = 0; i < r->nrows; i++) {
            char room[96];
            snprintf(room, sizeof room, "user:%s", store_val(r, i, 0));
            realtime_publish(room, "presence:update", payload);
        }
        json_decref(payload);
    }
    store_res_free(r);
    apierr_clear(&err);
}

int messages_realtime_init(void)
{
    realtime_set_entitlement(entitled);
    realtime_set_presence_hook(presence_changed);
    if (realtime_on("message:send", on_send) < 0 ||
        realtime_on("message:delivered", on_delivered) < 0 ||
        realtime_on("message:read", on_read) < 0)
        return -1;
    return 0;
}

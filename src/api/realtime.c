/*
 * realtime.c - HTTP routes of the real-time engine: the Engine.IO polling
 * endpoint (GET/POST /socket.io/; WebSocket upgrades of the same path are
 * taken over by server.c before routing) and GET /v1/presence.
 *
 * The engine itself lives in src/realtime/; these handlers only adapt.
 */
#include "api/api.h"

#include "core/clock.h"
#include "realtime/realtime.h"

#include <stdio.h>
#include <string.h>

void realtime_socketio(http_req_t *req) { realtime_polling(req); }

#define PRESENCE_MAX_IDS 100

static bool user_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void invalid_ids(http_req_t *req, const char *msg)
{
    apierr_t e = {0};
    apierr_set(&e, 422, "validation_failed", "%s", msg);
    apierr_detail(&e, "field", json_string("userIds"));
    http_send_apierr(req, &e);
}

void realtime_presence(http_req_t *req)
{
    const char *ids = http_query(req, "userIds");
    if (!ids || !*ids) {
        invalid_ids(req, "userIds is required (comma separated user ids)");
        return;
    }
    json_t *items = json_array();
    int count = 0;
    for (const char *p = ids; *p;) {
        size_t n = strcspn(p, ",");
        if (!user_id_ok(p, n) || ++count > PRESENCE_MAX_IDS) {
            json_decref(items);
            invalid_ids(req, count > PRESENCE_MAX_IDS ? "at most 100 user ids"
                                                      : "each user id is 1-64 of [A-Za-z0-9_-]");
            return;
        }
        char id[65];
        memcpy(id, p, n);
        id[n] = '\0';
        realtime_presence_t pr;
        realtime_presence_get(id, &pr);
        char ts[40];
        json_array_append_new(
            items, json_pack("{s:s, s:b, s:o}", "userId", id, "online", pr.online, "lastSeen",
                             pr.last_seen_ms ? json_string(clock_rfc3339(pr.last_seen_ms, ts,
                                                                          sizeof ts))
                                             : json_null()));
        p += n;
        if (*p == ',')
            p++;
    }
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

/* Polling is exempt from the HTTP rate limit (ROUTE_OPS): a long poll per
 * pingInterval per device would exhaust it; Engine.IO has its own limits. */
const route_t realtime_routes[] = {
    {.method = "GET", .pattern = "/socket.io/", .handler = realtime_socketio,
     .flags = ROUTE_OPS | ROUTE_PUBLIC | ROUTE_RAW_BODY,
     .summary = "Engine.IO long-polling: handshake and receive"},
    {.method = "POST", .pattern = "/socket.io/", .handler = realtime_socketio,
     .flags = ROUTE_OPS | ROUTE_PUBLIC | ROUTE_RAW_BODY, .summary = "Engine.IO long-polling: send"},
    {.method = "GET", .pattern = "/v1/presence", .handler = realtime_presence,
     .summary = "Online status and last seen of users"},
};
const int realtime_routes_count = (int)(sizeof realtime_routes / sizeof realtime_routes[0]);

/* cluster/remote.c -- the receiving side of cluster mode: messages from
 * other nodes into the local real-time engine, and presence look-ups in
 * Redis (one synchronous hiredis connection behind a mutex, used from the
 * thread pool; reconnected on error, 1 s timeouts). */
#include "cluster/cluster_int.h"

#include "core/clock.h"
#include "core/loopctx.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cluster_deliver(const char *msg, size_t len, const char *self)
{
    json_t *m = json_loadb(msg, len, 0, NULL);
    const char *node = json_string_value(json_object_get(m, "n"));
    const char *type = json_string_value(json_object_get(m, "t"));
    const char *room = json_string_value(json_object_get(m, "r"));
    if (node && type && room && strcmp(node, self) != 0) {
        if (strcmp(type, "p") == 0) {
            const char *event = json_string_value(json_object_get(m, "e"));
            if (event)
                realtime_publish_local(room, event, json_object_get(m, "d"));
        } else if (strcmp(type, "x") == 0) {
            const char *user = json_string_value(json_object_get(m, "u"));
            if (user)
                realtime_room_remove_user_local(room, user);
        }
    }
    json_decref(m);
}

static uv_mutex_t P_mu;
static redisContext *P_conn;

void cluster_presence_init(void) { uv_mutex_init(&P_mu); }

void cluster_presence_fini(void)
{
    if (P_conn)
        redisFree(P_conn);
    P_conn = NULL;
    uv_mutex_destroy(&P_mu);
}

typedef struct {
    const char *user;
    bool online;
    int64_t seen_ms;
    bool ok;
} lookup_t;

static redisReply *command(const char *fmt, const char *arg, long long num)
{
    if (!P_conn) {
        struct timeval tv = {1, 0};
        P_conn = redisConnectWithTimeout(cluster_host(), cluster_port(), tv);
        if (!P_conn || P_conn->err || redisSetTimeout(P_conn, tv) != REDIS_OK) {
            if (P_conn)
                redisFree(P_conn);
            P_conn = NULL;
            return NULL;
        }
    }
    redisReply *r = num >= 0 ? redisCommand(P_conn, fmt, arg, num) : redisCommand(P_conn, fmt, arg);
    if (!r) {
        redisFree(P_conn);
        P_conn = NULL;
    }
    return r;
}

static void lookup(void *arg)
{
    lookup_t *l = arg;
    char key[160];
    uv_mutex_lock(&P_mu);
    snprintf(key, sizeof key, CLUSTER_PRESENCE_KEY "%s", l->user);
    redisReply *r = command("ZCOUNT %s %lld +inf", key, (long long)clock_now_ms());
    if (r && r->type == REDIS_REPLY_INTEGER) {
        l->ok = true;
        l->online = r->integer > 0;
    }
    freeReplyObject(r);
    snprintf(key, sizeof key, CLUSTER_SEEN_KEY "%s", l->user);
    r = l->ok ? command("GET %s", key, -1) : NULL;
    if (r && r->type == REDIS_REPLY_STRING)
        l->seen_ms = strtoll(r->str, NULL, 10);
    freeReplyObject(r);
    uv_mutex_unlock(&P_mu);
}

void cluster_presence_merge(const char *user_id, realtime_presence_t *out)
{
    if (!cluster_enabled())
        return;
    lookup_t l = {.user = user_id};
    if (loop_run_blocking(lookup, &l) < 0 || !l.ok)
        return;
    out->online = out->online || l.online;
    if (l.seen_ms > out->last_seen_ms)
        out->last_seen_ms = l.seen_ms;
}

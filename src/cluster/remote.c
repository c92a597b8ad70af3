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
    const char *to = json_string_value(json_object_get(m, "to"));
    if (node && type && to && strcmp(node, self) != 0 && strcmp(to, self) == 0) {
        if (strcmp(type, "c") == 0)
            cluster_claim_request(m); /* another node recovers a socket of ours */
        else if (strcmp(type, "r") == 0)
            cluster_claim_reply(m);
    } else if (node && type && room && strcmp(node, self) != 0) {
        const char *event = json_string_value(json_object_get(m, "e"));
        if (strcmp(type, "p") == 0) {
            if (event)
                realtime_publish_gid(room, event, json_object_get(m, "d"),
                                     json_string_value(json_object_get(m, "o")));
        } else if (strcmp(type, "v") == 0) {
            if (event)
                realtime_publish_volatile_local(room, event, json_object_get(m, "d"),
                                                json_string_value(json_object_get(m, "x")));
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

/* AUTH and SELECT as REDIS_URL asks; -1 when refused. */
static int login(redisContext *c, const cluster_url_t *u)
{
    redisReply *r = NULL;
    if (u->pass[0] && u->user[0])
        r = redisCommand(c, "AUTH %s %s", u->user, u->pass);
    else if (u->pass[0])
        r = redisCommand(c, "AUTH %s", u->pass);
    bool bad = (u->pass[0] && !r) || (r && r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = !bad && u->db ? redisCommand(c, "SELECT %d", u->db) : NULL;
    bad = bad || (u->db && (!r || r->type == REDIS_REPLY_ERROR));
    freeReplyObject(r);
    return bad ? -1 : 0;
}

/* The look-up connection, (re)connected when needed; NULL when Redis is
 * unreachable. Under P_mu. */
static redisContext *conn(void)
{
    if (!P_conn) {
        struct timeval tv = {1, 0};
        const cluster_url_t *u = cluster_url();
        P_conn = redisConnectWithTimeout(u->host, u->port, tv);
        if (!P_conn || P_conn->err || redisSetTimeout(P_conn, tv) != REDIS_OK ||
            login(P_conn, u) < 0) {
            if (P_conn)
                redisFree(P_conn);
            P_conn = NULL;
        }
    }
    return P_conn;
}

static redisReply *command(const char *fmt, const char *arg, long long num)
{
    if (!conn())
        return NULL;
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

/* ---- many users at once (chat notifications) ---- */

typedef struct {
    const char *const *users;
    size_t n;
    bool *online;
    bool ok;
} many_t;

/* One pipelined round trip: ZCOUNT per user. */
static void lookup_many(void *arg)
{
    many_t *m = arg;
    char key[160];
    long long now = (long long)clock_now_ms();
    uv_mutex_lock(&P_mu);
    if (conn()) {
        for (size_t i = 0; i < m->n; i++) {
            snprintf(key, sizeof key, CLUSTER_PRESENCE_KEY "%s", m->users[i]);
            redisAppendCommand(P_conn, "ZCOUNT %s %lld +inf", key, now);
        }
        m->ok = true;
        for (size_t i = 0; i < m->n; i++) {
            redisReply *r = NULL;
            if (redisGetReply(P_conn, (void **)&r) != REDIS_OK || !r) {
                m->ok = false;
                redisFree(P_conn); /* replies still owed: drop the connection */
                P_conn = NULL;
                break;
            }
            m->online[i] = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
            freeReplyObject(r);
        }
    }
    uv_mutex_unlock(&P_mu);
}

int cluster_presence_online(const char *const *users, size_t n, bool *online)
{
    for (size_t i = 0; i < n; i++)
        online[i] = false;
    if (n == 0)
        return 0;
    cluster_stats_t st;
    cluster_get_stats(&st);
    if (!st.connected) /* Redis down (or not cluster mode): do not wait for it */
        return -1;
    many_t m = {.users = users, .n = n, .online = online};
    if (loop_run_blocking(lookup_many, &m) < 0 || !m.ok)
        return -1;
    return 0;
}

/* cluster/cluster.c -- the cluster thread: Redis publisher + subscriber.
 *
 * Other threads append items (a message to PUBLISH, a presence change) to
 * a mutex-protected list and wake the thread with uv_async; the thread
 * owns every hiredis async context and the online-user map. Items are
 * freed by the thread once sent (or dropped while Redis is down).
 */
#include "cluster/cluster_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "http/metrics.h"
#include "realtime/hmap.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 100000
#define TICK_MS 250
#define REFRESH_MS 10000

typedef enum { ITEM_PUB, ITEM_PRESENCE } item_kind_t;

typedef struct item {
    struct item *next;
    item_kind_t kind;
    bool online;
    int64_t at_ms;
    size_t len;
    char data[]; /* message (ITEM_PUB) or user id (ITEM_PRESENCE) */
} item_t;

static struct {
    bool enabled;
    cluster_role_t role;
    char host[256];
    int port;
    char node[CLUSTER_NODE_LEN + 1];
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t tick;
    uv_mutex_t mu;
    item_t *head, *tail;
    size_t queued;
    bool stopping;
    /* cluster thread only */
    redisAsyncContext *pub, *sub;
    bool pub_up, sub_up, was_up, down_logged, ping_pending;
    int64_t pub_since, sub_since, ping_ms;
    int backoff_ms;
    int64_t next_try_ms, next_refresh_ms;
    hmap_t online; /* user id -> (void *)1 */
    atomic_ullong published, received, dropped, reconnects;
    atomic_bool up; /* pub_up, for other threads (metrics) */
} C;

bool cluster_enabled(void) { return C.enabled; }
const char *cluster_node_id(void) { return C.node; }
const char *cluster_host(void) { return C.host; }
int cluster_port(void) { return C.port; }

void cluster_get_stats(cluster_stats_t *out)
{
    out->published = C.published;
    out->received = C.received;
    out->dropped = C.dropped;
    out->reconnects = C.reconnects;
    out->connected = C.enabled && C.up;
}

static void metrics_source(buf_t *out)
{
    cluster_stats_t st;
    cluster_get_stats(&st);
    buf_printf(out,
               "# HELP travloc_cluster_redis_up Whether the Redis publisher connection is up.\n"
               "# TYPE travloc_cluster_redis_up gauge\n"
               "travloc_cluster_redis_up %d\n"
               "# HELP travloc_cluster_messages_total Real-time messages through Redis.\n"
               "# TYPE travloc_cluster_messages_total counter\n"
               "travloc_cluster_messages_total{direction=\"published\"} %llu\n"
               "travloc_cluster_messages_total{direction=\"received\"} %llu\n"
               "travloc_cluster_messages_total{direction=\"dropped\"} %llu\n"
               "# HELP travloc_cluster_redis_reconnects_total Redis reconnections.\n"
               "# TYPE travloc_cluster_redis_reconnects_total counter\n"
               "travloc_cluster_redis_reconnects_total %llu\n",
               st.connected ? 1 : 0, (unsigned long long)st.published,
               (unsigned long long)st.received, (unsigned long long)st.dropped,
               (unsigned long long)st.reconnects);
}

/* ---- producers (any thread) ---- */

static void enqueue(item_t *it)
{
    it->next = NULL;
    uv_mutex_lock(&C.mu);
    if (C.stopping || C.queued >= QUEUE_MAX) {
        uv_mutex_unlock(&C.mu);
        C.dropped++;
        free(it);
        return;
    }
    if (C.tail)
        C.tail->next = it;
    else
        C.head = it;
    C.tail = it;
    C.queued++;
    uv_async_send(&C.wake);
    uv_mutex_unlock(&C.mu);
}

static void enqueue_json(json_t *msg)
{
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!s)
        return;
    size_t n = strlen(s);
    item_t *it = malloc(sizeof *it + n + 1);
    if (!it)
        abort();
    it->kind = ITEM_PUB;
    it->len = n;
    memcpy(it->data, s, n + 1);
    free(s);
    enqueue(it);
}

void cluster_publish(const char *room, const char *event, json_t *payload)
{
    if (!C.enabled)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:O?}", "n", C.node, "t", "p", "r", room, "e",
                          event, "d", payload);
    if (m)
        enqueue_json(m);
}

void cluster_room_remove(const char *room, const char *user_id)
{
    if (!C.enabled)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "n", C.node, "t", "x", "r", room, "u", user_id);
    if (m)
        enqueue_json(m);
}

void cluster_presence(const char *user_id, bool online, int64_t at_ms)
{
    if (!C.enabled)
        return;
    size_t n = strlen(user_id);
    item_t *it = malloc(sizeof *it + n + 1);
    if (!it)
        abort();
    it->kind = ITEM_PRESENCE;
    it->online = online;
    it->at_ms = at_ms;
    it->len = n;
    memcpy(it->data, user_id, n + 1);
    enqueue(it);
}

/* ---- the cluster thread ---- */

static void presence_cmds(const char *user, bool online, int64_t at_ms)
{
    char key[160], seen[160];
    snprintf(key, sizeof key, CLUSTER_PRESENCE_KEY "%s", user);
    snprintf(seen, sizeof seen, CLUSTER_SEEN_KEY "%s", user);
    if (online) {
        redisAsyncCommand(C.pub, NULL, NULL, "ZADD %s %lld %s", key,
                          (long long)(clock_now_ms() + CLUSTER_PRESENCE_TTL_MS), C.node);
        redisAsyncCommand(C.pub, NULL, NULL, "PEXPIRE %s %d", key, 2 * CLUSTER_PRESENCE_TTL_MS);
    } else {
        redisAsyncCommand(C.pub, NULL, NULL, "ZREM %s %s", key, C.node);
    }
    if (at_ms)
        redisAsyncCommand(C.pub, NULL, NULL, "SET %s %lld EX 2592000", seen, (long long)at_ms);
}

static void handle_item(item_t *it)
{
    if (it->kind == ITEM_PRESENCE) {
        if (it->online) {
            if (!hmap_get(&C.online, it->data))
                hmap_put(&C.online, it->data, (void *)1);
        } else {
            hmap_del(&C.online, it->data);
        }
        if (C.pub_up)
            presence_cmds(it->data, it->online, it->at_ms);
    } else if (C.pub_up) {
        redisAsyncCommand(C.pub, NULL, NULL, "PUBLISH %s %b", CLUSTER_CHANNEL, it->data, it->len);
        C.published++;
    } else {
        C.dropped++;
    }
    free(it);
}

static void drain_queue(void)
{
    uv_mutex_lock(&C.mu);
    item_t *it = C.head;
    C.head = C.tail = NULL;
    C.queued = 0;
    uv_mutex_unlock(&C.mu);
    while (it) {
        item_t *next = it->next;
        handle_item(it);
        it = next;
    }
}

static void refresh_one(const char *key, void *val, void *arg)
{
    (void)val;
    (void)arg;
    presence_cmds(key, true, 0);
}

static void on_pub_connect(const redisAsyncContext *ac, int status)
{
    if (ac != C.pub)
        return;
    if (status != REDIS_OK) {
        C.pub = NULL; /* hiredis frees the context */
        return;
    }
    C.pub_up = C.up = true;
    if (C.was_up || C.down_logged) {
        C.reconnects++;
        log_info("cluster: redis connection restored", "\"node\":\"%s\"", C.node);
    }
    C.was_up = true;
    C.down_logged = false;
    C.backoff_ms = 250;
    hmap_each(&C.online, refresh_one, NULL);
}

static void note_down(void)
{
    if (!C.down_logged) {
        log_warn("cluster: redis unreachable; real-time stays local until it is back",
                 "\"host\":\"%s\",\"port\":%d", C.host, C.port);
        C.down_logged = true;
    }
}

static void on_pub_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    if (ac == C.pub) {
        C.pub = NULL;
        C.pub_up = false;
        if (!C.stopping)
            note_down();
    }
}

static void on_sub_connect(const redisAsyncContext *ac, int status)
{
    if (ac == C.sub && status != REDIS_OK)
        C.sub = NULL;
    else if (ac == C.sub)
        C.sub_up = true;
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    if (ac == C.sub) {
        C.sub = NULL;
        C.sub_up = false;
    }
}

static void on_message(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    redisReply *kind = reply->element[0], *body = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") != 0 ||
        body->type != REDIS_REPLY_STRING)
        return;
    C.received++;
    cluster_deliver(body->str, body->len, C.node);
}

static redisAsyncContext *connect_one(redisConnectCallback *on_conn,
                                      redisDisconnectCallback *on_disc)
{
    redisAsyncContext *ac = redisAsyncConnect(C.host, C.port);
    if (!ac)
        return NULL;
    if (ac->err || redisLibuvAttach(ac, &C.loop) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_conn);
    redisAsyncSetDisconnectCallback(ac, on_disc);
    return ac;
}

/* Frees a context whose connect never completed (libuv stops a poll on
 * POLLERR and hiredis' adapter ignores that: a refused connect would hang)
 * or that stopped answering PING. No callback of ours runs for it. */
static void drop(redisAsyncContext **pp, bool *up)
{
    redisAsyncContext *ac = *pp;
    *pp = NULL;
    *up = false;
    redisAsyncFree(ac);
}

static void on_pong(redisAsyncContext *ac, void *r, void *priv)
{
    (void)priv;
    if (ac == C.pub && r)
        C.ping_pending = false;
}

static void watchdog(int64_t now)
{
    if (C.pub && !C.pub_up && now - C.pub_since > 2000)
        drop(&C.pub, &C.pub_up);
    if (C.sub && !C.sub_up && now - C.sub_since > 2000)
        drop(&C.sub, &C.sub_up);
    if (C.pub_up && C.ping_pending && now - C.ping_ms > 3000) {
        drop(&C.pub, &C.pub_up);
        note_down();
    } else if (C.pub_up && !C.ping_pending && now - C.ping_ms > 1000) {
        C.ping_pending = true;
        C.ping_ms = now;
        redisAsyncCommand(C.pub, on_pong, NULL, "PING");
    }
}

static void try_connect(void)
{
    int64_t now = clock_now_ms();
    if ((C.pub && (C.sub || C.role != CLUSTER_SERVE)) || now < C.next_try_ms)
        return;
    if (!C.pub) {
        C.pub = connect_one(on_pub_connect, on_pub_disconnect);
        C.pub_since = now;
        C.ping_pending = false;
    }
    if (!C.sub && C.role == CLUSTER_SERVE) {
        C.sub = connect_one(on_sub_connect, on_sub_disconnect);
        C.sub_since = now;
        /* queued until connected; the callback stays registered */
        if (C.sub)
            redisAsyncCommand(C.sub, on_message, NULL, "SUBSCRIBE %s", CLUSTER_CHANNEL);
    }
    C.next_try_ms = now + C.backoff_ms;
    C.backoff_ms = C.backoff_ms * 2 > 5000 ? 5000 : C.backoff_ms * 2;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    C.up = C.pub_up;
    if (C.stopping)
        return;
    if (!C.pub_up)
        note_down();
    int64_t now = clock_now_ms();
    watchdog(now);
    try_connect();
    if (C.pub_up && now >= C.next_refresh_ms) {
        hmap_each(&C.online, refresh_one, NULL);
        C.next_refresh_ms = now + REFRESH_MS;
    }
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_wake(uv_async_t *a)
{
    (void)a;
    drain_queue();
    uv_mutex_lock(&C.mu);
    bool stop = C.stopping;
    uv_mutex_unlock(&C.mu);
    if (!stop)
        return;
    drain_queue();
    uv_timer_stop(&C.tick);
    if (C.pub && C.pub_up)
        redisAsyncDisconnect(C.pub); /* after pending replies */
    else if (C.pub)
        drop(&C.pub, &C.pub_up);
    if (C.sub && C.sub_up)
        redisAsyncDisconnect(C.sub);
    else if (C.sub)
        drop(&C.sub, &C.sub_up);
    uv_close((uv_handle_t *)&C.wake, NULL);
    uv_close((uv_handle_t *)&C.tick, NULL);
}

static void thread_main(void *arg)
{
    (void)arg;
    try_connect();
    uv_run(&C.loop, UV_RUN_DEFAULT);
    uv_walk(&C.loop, close_walk, NULL);
    uv_run(&C.loop, UV_RUN_DEFAULT);
}

int cluster_parse_url(const char *url, char *host, size_t hostlen, int *port)
{
    if (!url || strncmp(url, "redis://", 8) != 0)
        return -1;
    const char *p = url + 8;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= hostlen || memchr(p, '@', hl)) /* no AUTH support */
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = 6379;
    if (p[hl] == ':') {
        char *end;
        long n = strtol(p + hl + 1, &end, 10);
        if (end == p + hl + 1 || n < 1 || n > 65535 || (*end && *end != '/'))
            return -1;
        *port = (int)n;
    } else if (p[hl] && p[hl] != '/') {
        return -1;
    }
    return 0;
}

int cluster_start(const char *redis_url, cluster_role_t role)
{
    if (!redis_url || !*redis_url || C.enabled)
        return 0;
    if (cluster_parse_url(redis_url, C.host, sizeof C.host, &C.port) < 0) {
        log_error("cluster: REDIS_URL must be redis://host[:port]", NULL);
        return -1;
    }
    unsigned char rnd[CLUSTER_NODE_LEN / 2];
    randombytes_buf(rnd, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(C.node + 2 * i, 3, "%02x", rnd[i]);
    C.role = role;
    C.backoff_ms = 250;
    uv_mutex_init(&C.mu);
    uv_loop_init(&C.loop);
    uv_async_init(&C.loop, &C.wake, on_wake);
    uv_timer_init(&C.loop, &C.tick);
    uv_timer_start(&C.tick, on_tick, TICK_MS, TICK_MS);
    cluster_presence_init();
    C.enabled = true;
    if (role == CLUSTER_SERVE) {
        static bool registered;
        if (!registered)
            metrics_add_source(metrics_source);
        registered = true;
    }
    if (uv_thread_create(&C.thread, thread_main, NULL) != 0) {
        C.enabled = false;
        return -1;
    }
    log_info("cluster mode", "\"node\":\"%s\",\"redis\":\"%s:%d\",\"role\":\"%s\"", C.node,
             C.host, C.port, role == CLUSTER_SERVE ? "serve" : "publish");
    return 0;
}

void cluster_stop(void)
{
    if (!C.enabled)
        return;
    uv_mutex_lock(&C.mu);
    C.stopping = true;
    uv_async_send(&C.wake);
    uv_mutex_unlock(&C.mu);
    uv_thread_join(&C.thread);
    C.enabled = false;
    uv_loop_close(&C.loop);
    hmap_free(&C.online, NULL);
    for (item_t *it = C.head, *next; it; it = next) {
        next = it->next;
        free(it);
    }
    C.head = C.tail = NULL;
    uv_mutex_destroy(&C.mu);
    cluster_presence_fini();
}

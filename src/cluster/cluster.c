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
#include "http/ratelimit.h"
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

typedef enum { ITEM_PUB, ITEM_PRESENCE, ITEM_JOB } item_kind_t;

typedef struct item {
    struct item *next;
    item_kind_t kind;
    int sockets;  /* ITEM_PRESENCE: this node's sockets of the user */
    int64_t at_ms;
    void (*fn)(redisAsyncContext *pub, void *arg); /* ITEM_JOB */
    void *arg;
    size_t len;
    char data[]; /* message (ITEM_PUB) or user id (ITEM_PRESENCE) */
} item_t;

static struct {
    bool enabled;
    cluster_role_t role;
    cluster_url_t url;
    char node[CLUSTER_NODE_LEN + 1];
    char ns[17]; /* this cluster's name, hashed (rate-limit keys) */
    atomic_ullong gid;
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
    bool pub_up, sub_up, was_up, down_logged, ping_pending, auth_logged;
    int64_t pub_since, sub_since, ping_ms;
    int backoff_ms;
    int64_t next_try_ms, next_refresh_ms;
    hmap_t online; /* user id -> (void *)(intptr_t)sockets on this node */
    atomic_ullong published, received, dropped, reconnects;
    atomic_bool up; /* pub_up, for other threads (metrics) */
    atomic_bool rl_new; /* a rate-limit bucket was created: sync now */
} C;

bool cluster_enabled(void) { return C.enabled; }
const char *cluster_node_id(void) { return C.node; }
const cluster_url_t *cluster_url(void) { return &C.url; }
const char *cluster_namespace(void) { return C.ns; }

/* Nodes of one cluster share a database: its URL (or TRAVLOC_CLUSTER_NAME)
 * names the cluster, so clusters that share a Redis keep apart. */
static void set_namespace(void)
{
    const char *name = getenv("TRAVLOC_CLUSTER_NAME");
    if (!name || !*name)
        name = getenv("DATABASE_URL");
    if (!name)
        name = "";
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)name, strlen(name), NULL, 0);
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(C.ns + 2 * i, 3, "%02x", h[i]);
}

bool cluster_gid(char *buf, size_t len)
{
    if (!C.enabled)
        return false;
    snprintf(buf, len, "%s-%llu", C.node, (unsigned long long)++C.gid);
    return true;
}

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
        if (it->kind == ITEM_JOB)
            it->fn(NULL, it->arg); /* always answered */
        else
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

void cluster_send_json(json_t *msg)
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

void cluster_publish(const char *room, const char *event, json_t *payload, const char *gid)
{
    if (!C.enabled)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:s?}", "n", C.node, "t", "p", "r", room,
                          "e", event, "d", payload, "o", gid);
    if (m)
        cluster_send_json(m);
}

void cluster_publish_volatile(const char *room, const char *event, json_t *payload,
                              const char *except)
{
    if (!C.enabled)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:s?}", "n", C.node, "t", "v", "r", room,
                          "e", event, "d", payload, "x", except);
    if (m)
        cluster_send_json(m);
}

void cluster_run(void (*fn)(redisAsyncContext *pub, void *arg), void *arg)
{
    if (!C.enabled) {
        fn(NULL, arg);
        return;
    }
    item_t *it = malloc(sizeof *it + 1);
    if (!it)
        abort();
    it->kind = ITEM_JOB;
    it->fn = fn;
    it->arg = arg;
    it->len = 0;
    it->data[0] = '\0';
    enqueue(it);
}

void cluster_room_remove(const char *room, const char *user_id)
{
    if (!C.enabled)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "n", C.node, "t", "x", "r", room, "u", user_id);
    if (m)
        cluster_send_json(m);
}

void cluster_presence(const char *user_id, int sockets, int64_t at_ms)
{
    if (!C.enabled)
        return;
    size_t n = strlen(user_id);
    item_t *it = malloc(sizeof *it + n + 1);
    if (!it)
        abort();
    it->kind = ITEM_PRESENCE;
    it->sockets = sockets;
    it->at_ms = at_ms;
    it->len = n;
    memcpy(it->data, user_id, n + 1);
    enqueue(it);
}

/* ---- the cluster thread ---- */

static void presence_cmds(const char *user, int sockets, int64_t at_ms)
{
    char key[160], seen[160], socks[160];
    snprintf(key, sizeof key, CLUSTER_PRESENCE_KEY "%s", user);
    snprintf(seen, sizeof seen, CLUSTER_SEEN_KEY "%s", user);
    snprintf(socks, sizeof socks, CLUSTER_SOCKETS_KEY "%s", user);
    if (sockets > 0) {
        redisAsyncCommand(C.pub, NULL, NULL, "ZADD %s %lld %s", key,
                          (long long)(clock_now_ms() + CLUSTER_PRESENCE_TTL_MS), C.node);
        redisAsyncCommand(C.pub, NULL, NULL, "PEXPIRE %s %d", key, 2 * CLUSTER_PRESENCE_TTL_MS);
        redisAsyncCommand(C.pub, NULL, NULL, "HSET %s %s %d", socks, C.node, sockets);
        redisAsyncCommand(C.pub, NULL, NULL, "PEXPIRE %s %d", socks, 2 * CLUSTER_PRESENCE_TTL_MS);
    } else {
        /* ZREM of the presence set: cluster_presence_left() (atomic) */
        redisAsyncCommand(C.pub, NULL, NULL, "HDEL %s %s", socks, C.node);
    }
    if (at_ms)
        redisAsyncCommand(C.pub, NULL, NULL, "SET %s %lld EX 2592000", seen, (long long)at_ms);
}

static void handle_item(item_t *it)
{
    if (it->kind == ITEM_JOB) {
        it->fn(C.pub_up ? C.pub : NULL, it->arg);
    } else if (it->kind == ITEM_PRESENCE) {
        if (it->sockets > 0)
            hmap_put(&C.online, it->data, (void *)(intptr_t)it->sockets);
        else
            hmap_del(&C.online, it->data);
        if (C.pub_up)
            presence_cmds(it->data, it->sockets, it->at_ms);
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
    (void)arg;
    presence_cmds(key, (int)(intptr_t)val, 0);
}

/* The publisher is connected (and logged in): Redis is up. */
static void pub_ready(void)
{
    C.pub_up = C.up = true;
    C.auth_logged = false;
    if (C.was_up || C.down_logged) {
        C.reconnects++;
        log_info("cluster: redis connection restored", "\"node\":\"%s\"", C.node);
    }
    C.was_up = true;
    C.down_logged = false;
    C.backoff_ms = 250;
    hmap_each(&C.online, refresh_one, NULL);
}

static void on_pub_connect(const redisAsyncContext *ac, int status)
{
    if (ac != C.pub)
        return;
    if (status != REDIS_OK) {
        C.pub = NULL; /* hiredis frees the context */
        return;
    }
    if (!C.url.pass[0])
        pub_ready(); /* else once AUTH succeeded (on_auth) */
}

static void note_down(void)
{
    if (!C.down_logged) {
        log_warn("cluster: redis unreachable; real-time stays local until it is back",
                 "\"host\":\"%s\",\"port\":%d", C.url.host, C.url.port);
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

static void on_auth(redisAsyncContext *ac, void *r, void *priv)
{
    (void)priv;
    redisReply *reply = r;
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        if (!C.auth_logged) /* once per outage; never the password */
            log_error("cluster: redis refused the credentials of REDIS_URL",
                      "\"error\":\"%.80s\"", reply->str);
        C.auth_logged = true;
        redisAsyncDisconnect(ac);
    } else if (reply && ac == C.pub && !C.pub_up) {
        pub_ready();
    }
}

static redisAsyncContext *connect_one(redisConnectCallback *on_conn,
                                      redisDisconnectCallback *on_disc)
{
    redisAsyncContext *ac = redisAsyncConnect(C.url.host, C.url.port);
    if (!ac)
        return NULL;
    if (ac->err || redisLibuvAttach(ac, &C.loop) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_conn);
    redisAsyncSetDisconnectCallback(ac, on_disc);
    /* queued ahead of everything else, sent once connected */
    if (C.url.pass[0] && C.url.user[0])
        redisAsyncCommand(ac, on_auth, NULL, "AUTH %s %s", C.url.user, C.url.pass);
    else if (C.url.pass[0])
        redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", C.url.pass);
    if (C.url.db)
        redisAsyncCommand(ac, NULL, NULL, "SELECT %d", C.url.db);
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
    cluster_claims_tick(now);
    watchdog(now);
    try_connect();
    if (C.pub_up && C.role == CLUSTER_SERVE)
        cluster_ratelimit_sync(C.pub);
    if (C.role == CLUSTER_SERVE)
        realtime_typing_sweep(clock_now_ms());
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

/* http/ratelimit.c created a bucket (any thread, under its lock). */
static void rl_new_key(void)
{
    if (!C.enabled || atomic_exchange(&C.rl_new, true))
        return;
    uv_mutex_lock(&C.mu);
    if (!C.stopping)
        uv_async_send(&C.wake);
    uv_mutex_unlock(&C.mu);
}

static void on_wake(uv_async_t *a)
{
    (void)a;
    drain_queue();
    if (atomic_exchange(&C.rl_new, false) && C.pub_up)
        cluster_ratelimit_sync(C.pub);
    uv_mutex_lock(&C.mu);
    bool stop = C.stopping;
    uv_mutex_unlock(&C.mu);
    if (!stop)
        return;
    drain_queue();
    cluster_claims_fail_all();
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

int cluster_start(const char *redis_url, cluster_role_t role)
{
    if (!redis_url || !*redis_url || C.enabled)
        return 0;
    if (cluster_parse_url(redis_url, &C.url) < 0) {
        log_error("cluster: REDIS_URL must be redis://[[user]:password@]host[:port][/db]", NULL);
        return -1;
    }
    unsigned char rnd[CLUSTER_NODE_LEN / 2];
    randombytes_buf(rnd, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(C.node + 2 * i, 3, "%02x", rnd[i]);
    set_namespace();
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
        ratelimit_on_new_key(rl_new_key);
        registered = true;
    }
    if (uv_thread_create(&C.thread, thread_main, NULL) != 0) {
        C.enabled = false;
        return -1;
    }
    log_info("cluster mode", "\"node\":\"%s\",\"redis\":\"%s:%d\",\"role\":\"%s\"", C.node,
             C.url.host, C.url.port, role == CLUSTER_SERVE ? "serve" : "publish");
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

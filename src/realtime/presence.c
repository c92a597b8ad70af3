/* realtime/presence.c -- who is online, process-wide.
 *
 * A mutex-protected map user id -> {sockets, last seen}. A user is online
 * while at least one socket is connected; last seen is the time the last
 * socket connected or disconnected. Entries are kept (they are small) so
 * that last seen survives; the map is freed at shutdown. This is also
 * where the per-user socket limit is enforced (cluster-wide through
 * rt_cluster_sockets before the local count, in cluster mode). Every
 * change of a user's socket count is mirrored to Redis (cluster/).
 *
 * In cluster mode "offline" means the user's last socket in the cluster
 * closed: when the last one here closes, cluster_presence_left() removes
 * this node from the user's presence set and counts the other live nodes
 * in one atomic step; only when none is left does the hook run (and when
 * Redis is down, as before, on this node's word alone).
 *
 * Transitions (first socket in, last socket out) are handed to the
 * presence hook (messaging's presence:update fan-out) in a coroutine of
 * their own, started from the loop's mailbox so the caller never waits.
 */
#include "realtime/rt_int.h"

#include "cluster/cluster.h"
#include "core/clock.h"
#include "core/coro.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int sockets;
    int64_t last_seen_ms;
} presence_t;

static uv_mutex_t P_mu;
static hmap_t P_map;

static realtime_presence_fn P_hook;

void rt_presence_init(void) { uv_mutex_init(&P_mu); }

void realtime_set_presence_hook(realtime_presence_fn fn) { P_hook = fn; }

typedef struct {
    rt_task_t task;
    bool online;
    int64_t at_ms;
    char user_id[JWT_CLAIM_MAX + 1];
} hook_task_t;

static void hook_run(void *arg)
{
    hook_task_t *h = arg;
    P_hook(h->user_id, h->online, h->at_ms);
}

static void hook_done(void *arg) { free(arg); }

static void hook_start(rt_task_t *t)
{
    hook_task_t *h = (hook_task_t *)t;
    rt_loop_t *lp = rt_loop_here();
    /* back online here while Redis was asked: no "offline" after all */
    bool stale = !h->online && rt_presence_count(h->user_id) > 0;
    coro_t *co = lp && !lp->draining && !stale ? coro_spawn(hook_run, hook_done, h) : NULL;
    if (co)
        coro_resume(co);
    else
        free(h);
}

/* Queues the hook for a transition on loop `index` (any thread). */
static void hook_post_to(int index, const char *user_id, bool online, int64_t at_ms)
{
    if (!P_hook || index < 0)
        return;
    hook_task_t *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->task.fn = hook_start;
    h->online = online;
    h->at_ms = at_ms;
    snprintf(h->user_id, sizeof h->user_id, "%s", user_id);
    if (rt_post(index, &h->task) < 0)
        free(h);
}

/* ... on this loop. */
static void hook_post(const char *user_id, bool online, int64_t at_ms)
{
    rt_loop_t *lp = rt_loop_here();
    if (lp && !lp->draining)
        hook_post_to(lp->index, user_id, online, at_ms);
}

typedef struct {
    int index;
    int64_t at_ms;
    char user_id[JWT_CLAIM_MAX + 1];
} left_t;

/* Cluster thread: how many other nodes still have the user (NULL: Redis
 * did not say -- then this node's word counts). */
static void left_done(json_t *reply, void *arg)
{
    left_t *l = arg;
    if (!json_is_integer(reply) || json_integer_value(reply) == 0)
        hook_post_to(l->index, l->user_id, false, l->at_ms);
    free(l);
}

static void free_entry(void *v) { free(v); }

void rt_presence_fini(void)
{
    hmap_free(&P_map, free_entry);
    uv_mutex_destroy(&P_mu);
}

bool rt_presence_connect(const char *user_id, int max, bool elsewhere)
{
    bool ok = true, first = false;
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            abort();
        hmap_put(&P_map, user_id, p);
    }
    if (max > 0 && p->sockets >= max) {
        ok = false;
    } else {
        first = p->sockets++ == 0;
        p->last_seen_ms = clock_now_ms();
    }
    int64_t at = p->last_seen_ms;
    int n = p->sockets;
    uv_mutex_unlock(&P_mu);
    if (ok)
        cluster_presence(user_id, n, at);
    if (first && !elsewhere) /* already online on another node: no news */
        hook_post(user_id, true, at);
    return ok;
}

void rt_presence_disconnect(const char *user_id)
{
    bool last = false, changed = false;
    int64_t at = 0;
    int n = 0;
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (p && p->sockets > 0) {
        changed = true;
        last = --p->sockets == 0;
        n = p->sockets;
        at = p->last_seen_ms = clock_now_ms();
    }
    uv_mutex_unlock(&P_mu);
    if (changed)
        cluster_presence(user_id, n, at);
    if (last && cluster_enabled()) {
        rt_loop_t *lp = rt_loop_here();
        left_t *l = calloc(1, sizeof *l);
        if (!l)
            abort();
        l->index = lp && !lp->draining ? lp->index : -1;
        l->at_ms = at;
        snprintf(l->user_id, sizeof l->user_id, "%s", user_id);
        cluster_presence_left(user_id, at, left_done, l);
    } else if (last) {
        hook_post(user_id, false, at);
    }
}

int rt_presence_count(const char *user_id)
{
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    int n = p ? p->sockets : 0;
    uv_mutex_unlock(&P_mu);
    return n;
}

bool realtime_online_here(const char *user_id)
{
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    bool online = p && p->sockets > 0;
    uv_mutex_unlock(&P_mu);
    return online;
}

void realtime_presence_get(const char *user_id, realtime_presence_t *out)
{
    *out = (realtime_presence_t){0};
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (p) {
        out->online = p->sockets > 0;
        out->last_seen_ms = p->last_seen_ms;
    }
    uv_mutex_unlock(&P_mu);
    if (!out->online)
        cluster_presence_merge(user_id, out); /* other nodes (Redis) */
}

/* realtime/rt_cluster.c -- the parts of a Socket.IO connect that ask the
 * other cluster nodes (through cluster/): the cluster-wide socket limit
 * and connection-state recovery of a socket that disconnected on another
 * node.
 *
 * Both run in the session's worker coroutine. A request goes to the
 * cluster thread with an await_t on the coroutine's stack; its completion
 * (cluster thread) posts the await_t's task to the session's loop, which
 * resumes the coroutine. cluster/ answers every request exactly once
 * (within 2 s, NULL when Redis is down), so the coroutine always resumes.
 *
 * Recovery across nodes (A: where the socket was, B: here):
 *   1. B reads A's record of the pid from Redis (user, socket id, rooms);
 *   2. B re-checks the rooms (membership may have changed), joins them
 *      and holds what is fanned out to the socket from now on;
 *   3. B claims the socket from A over the channel; A answers with every
 *      packet of those rooms after the client's offset in its own log and
 *      forgets the socket. Anything that reached B before step 2 had
 *      reached A before the claim (one Redis channel, one order), so it
 *      is in A's answer; anything later is held here;
 *   4. B sends A's packets, then the held ones not among them (same
 *      cluster-wide id in the offset), and stops holding.
 * Offsets are cluster-wide ids ("<node>-<n>", cluster_gid), the same on
 * every node, so the client's next offset means the same thing anywhere.
 *
 * Typing indicators from other nodes are remembered (room + socket) until
 * their stop arrives; the typist's node refreshes them at most once a
 * second while the client keeps typing, and one whose node went silent
 * for ttl + 2 s gets a typing:stop here, so indicators end everywhere
 * even when their node dies.
 */
#include "realtime/rt_int.h"

#include "cluster/cluster.h"
#include "core/clock.h"
#include "core/coro.h"
#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rt_task_t task;
    coro_t *co;
    int index;
    json_t *reply;
} await_t;

static void await_wake(rt_task_t *t)
{
    await_t *w = (await_t *)t;
    coro_resume(w->co);
}

/* Cluster thread (or at once, on the loop): hand the answer over. */
static void await_done(json_t *reply, void *arg)
{
    await_t *w = arg;
    w->reply = json_incref(reply);
    if (rt_post(w->index, &w->task) < 0)
        log_warn("realtime: a connect waits on a stopped loop", NULL);
}

static void await_init(await_t *w, rt_session_t *s)
{
    *w = (await_t){.task.fn = await_wake, .co = coro_current(), .index = s->lp->index};
}

/* ---- the socket limit ---- */

int rt_cluster_sockets(rt_session_t *s, const char *user_id, int local_after, int max)
{
    if (!cluster_enabled() || max <= 0 || !coro_current())
        return 0;
    await_t w;
    await_init(&w, s);
    cluster_sockets_reserve(user_id, local_after, max, await_done, &w);
    coro_yield();
    int rc = 0;
    if (json_is_integer(w.reply)) {
        json_int_t v = json_integer_value(w.reply);
        rc = v < 0 ? -1 : (int)v;
    }
    json_decref(w.reply);
    return rc;
}

/* ---- holding the fan-out while recovering ---- */

void rt_hold_or_send(rt_socket_t *sock, rt_msg_t *m)
{
    if (!sock->holding) {
        rt_session_send(sock->s, m);
        return;
    }
    rt_queue_append(&sock->hold, &sock->hold_tail, rt_msg_ref(m));
}

void rt_hold_free(rt_socket_t *sock)
{
    while (sock->hold) {
        rt_qnode_t *q = sock->hold;
        sock->hold = q->next;
        rt_msg_unref(q->m);
        free(q);
    }
    sock->hold_tail = NULL;
    sock->holding = false;
}

/* The offset (last argument, a string) of an event packet, "" if none. */
static void packet_gid(const uint8_t *d, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    if (n < 4 || d[n - 1] != ']' || d[n - 2] != '"')
        return;
    size_t end = n - 2, i = end;
    while (i > 0 && d[i - 1] != '"')
        i--;
    if (i == 0 || end - i >= cap)
        return;
    memcpy(out, d + i, end - i);
    out[end - i] = '\0';
}

/* ---- recovery from another node ---- */

static json_t *ask(rt_session_t *s, int what, const char *pid, const char *node, json_t *claim)
{
    await_t w;
    await_init(&w, s);
    if (what == 0)
        cluster_recovery_get(pid, await_done, &w);
    else
        cluster_recovery_claim(node, claim, await_done, &w);
    coro_yield();
    return w.reply;
}

/* The record's rooms the user may still join (may yield). */
static json_t *entitled_rooms(json_t *rooms, const char *user)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(rooms, i, v)
    {
        const char *name = json_string_value(v);
        if (name && rt_room_name_ok(name) && rt_entitled(user, name))
            json_array_append_new(out, json_string(name));
    }
    return out;
}

/* Sends A's packets, then the held ones A did not have; stops holding. */
static void replay(rt_socket_t *sock, json_t *ents)
{
    hmap_t seen = HMAP_INIT;
    char gid[RT_GID_LEN];
    size_t i;
    json_t *v;
    json_array_foreach(ents, i, v)
    {
        const char *p = json_string_value(v);
        size_t n = json_string_length(v);
        if (!p || n < 2 || p[0] != '4')
            continue;
        rt_msg_t *m = rt_msg_new(false, p, n, NULL, 0);
        rt_session_send(sock->s, m);
        rt_msg_unref(m);
        packet_gid((const uint8_t *)p, n, gid, sizeof gid);
        if (gid[0])
            hmap_put(&seen, gid, (void *)1);
    }
    for (rt_qnode_t *q = sock->hold; q; q = q->next) {
        packet_gid(q->m->data, q->m->len, gid, sizeof gid);
        if (q->m->binary || !gid[0] || !hmap_get(&seen, gid))
            rt_session_send(sock->s, q->m);
    }
    hmap_free(&seen, NULL);
    rt_hold_free(sock);
}

int rt_cluster_recover(rt_session_t *s, json_t *auth, const char *user)
{
    const char *pid = json_string_value(json_object_get(auth, "pid"));
    json_t *off = json_object_get(auth, "offset");
    if (!cluster_enabled() || !pid || strlen(pid) > RT_ID_LEN || (off && !json_is_string(off)) ||
        !coro_current())
        return 0;
    json_t *rec = ask(s, 0, pid, NULL, NULL);
    const char *node = json_string_value(json_object_get(rec, "n"));
    const char *id = json_string_value(json_object_get(rec, "id"));
    json_t *rooms = json_object_get(rec, "r");
    if (s->closed || !node || strcmp(node, cluster_node_id()) == 0 || !id ||
        strlen(id) > RT_ID_LEN ||
        !json_string_value(json_object_get(rec, "u")) ||
        strcmp(json_string_value(json_object_get(rec, "u")), user) != 0 ||
        !json_is_array(rooms)) {
        json_decref(rec);
        return 0;
    }
    json_t *ok_rooms = entitled_rooms(rooms, user); /* may yield */
    if (s->closed) {
        json_decref(ok_rooms);
        json_decref(rec);
        return 0;
    }
    rt_socket_t *sock = rt_socket_init(s, user);
    for (size_t i = 0; i < json_array_size(ok_rooms); i++)
        rt_room_join(sock, json_string_value(json_array_get(ok_rooms, i)));
    rt_log_attach(sock, NULL, NULL);
    sock->holding = true;
    /* should the session close while we wait, it leaves a record here */
    snprintf(sock->id, sizeof sock->id, "%s", id);
    snprintf(sock->pid, sizeof sock->pid, "%s", pid);
    json_t *claim = json_pack("{s:s, s:s, s:O?, s:o}", "pid", pid, "u", user, "o", off, "r",
                              ok_rooms);
    json_t *rep = ask(s, 1, pid, node, claim);
    if (s->closed || !sock->connected) { /* the session closed meanwhile */
        rt_hold_free(sock);
        json_decref(rep);
        json_decref(rec);
        return -1;
    }
    const char *rid = json_string_value(json_object_get(rep, "id"));
    json_t *ents = json_object_get(rep, "ents");
    bool ok = json_is_true(json_object_get(rep, "ok")) && json_is_array(ents) && rid &&
              strlen(rid) <= RT_ID_LEN;
    if (ok) {
        replay(sock, ents);
        snprintf(sock->id, sizeof sock->id, "%s", rid);
    } else {
        rt_hold_free(sock);
        rt_room_leave_all(sock);
        sock->connected = false;
    }
    json_decref(rep);
    json_decref(rec);
    return ok ? 1 : 0;
}

/* ---- typing indicators from other nodes ---- */

/* "<room>\n<socket id>" -> remote_typing_t; under T_mu (the cluster
 * thread receives and sweeps; shutdown frees). */
typedef struct {
    int64_t deadline_ms;
    json_t *payload; /* {room, userId}, for the stop we may have to send */
} remote_typing_t;

static pthread_mutex_t T_mu = PTHREAD_MUTEX_INITIALIZER;
static hmap_t T_map;

#define TYPING_MARGIN_MS 2000

bool rt_typing_remote(const char *room, const char *sock_id, json_t *payload, bool start)
{
    char key[192];
    snprintf(key, sizeof key, "%s\n%s", room, sock_id);
    bool deliver = true;
    pthread_mutex_lock(&T_mu);
    remote_typing_t *t = hmap_get(&T_map, key);
    if (start && t) {
        t->deadline_ms = clock_now_ms() + RT.cfg.typing_ttl_ms + TYPING_MARGIN_MS;
        deliver = false;
    } else if (start) {
        t = calloc(1, sizeof *t);
        if (!t)
            abort();
        t->deadline_ms = clock_now_ms() + RT.cfg.typing_ttl_ms + TYPING_MARGIN_MS;
        t->payload = json_deep_copy(payload);
        hmap_put(&T_map, key, t);
    } else if (t) {
        hmap_del(&T_map, key);
        json_decref(t->payload);
        free(t);
    }
    pthread_mutex_unlock(&T_mu);
    return deliver;
}

typedef struct expired {
    struct expired *next;
    json_t *payload;
    char key[];
} expired_t;

typedef struct {
    int64_t now;
    expired_t *list;
} sweep_t;

static void collect_expired(const char *key, void *val, void *arg)
{
    remote_typing_t *t = val;
    sweep_t *sw = arg;
    if (t->deadline_ms > sw->now)
        return;
    size_t n = strlen(key);
    expired_t *e = malloc(sizeof *e + n + 1);
    if (!e)
        abort();
    memcpy(e->key, key, n + 1);
    e->payload = t->payload;
    e->next = sw->list;
    sw->list = e;
}

void realtime_typing_sweep(int64_t now_ms)
{
    sweep_t sw = {.now = now_ms};
    pthread_mutex_lock(&T_mu);
    hmap_each(&T_map, collect_expired, &sw);
    for (expired_t *e = sw.list; e; e = e->next)
        free(hmap_del(&T_map, e->key));
    pthread_mutex_unlock(&T_mu);
    while (sw.list) {
        expired_t *e = sw.list;
        sw.list = e->next;
        char *nl = strchr(e->key, '\n');
        if (nl) {
            *nl = '\0';
            rt_publish_volatile_here(e->key, "typing:stop", e->payload, nl + 1);
        }
        json_decref(e->payload);
        free(e);
    }
}

static void free_typing(void *v)
{
    remote_typing_t *t = v;
    json_decref(t->payload);
    free(t);
}

void rt_typing_remote_fini(void)
{
    pthread_mutex_lock(&T_mu);
    hmap_free(&T_map, free_typing);
    pthread_mutex_unlock(&T_mu);
}

/* realtime/recovery.c -- connection-state recovery: the event log and the
 * store of recently disconnected sockets.
 *
 * The log is a process-wide ring of published packets (offset, time,
 * room, shared rt_msg_t), kept for the recovery window and at most
 * LOG_CAP entries; offsets grow by one per publish and travel as the last
 * argument of each published event, which is what the official client
 * sends back as `offset` when it reconnects. A disconnected socket leaves
 * a record (its id, user, rooms) under its private id (`pid`) for the
 * window. On reconnect within the window, with the same user, the socket
 * gets its id and rooms back and every logged packet of those rooms after
 * the client's offset is replayed -- unless the log no longer reaches
 * back that far, in which case it starts fresh (`recovered` false).
 *
 * One mutex guards both; it is taken once per publish, connect and
 * disconnect. Publishing posts to the loops while holding it, so every
 * loop receives packets in offset order, and attaching a socket joins its
 * rooms and replays under it, so nothing falls between replay and live
 * delivery (live packets at or below the replayed offset are skipped).
 */
#include "realtime/rt_int.h"

#include "cluster/cluster.h"
#include "core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_CAP 65536

/* Offsets we write into packets: [0-9a-f-], as cluster_gid makes them. */
static bool gid_ok(const char *g)
{
    size_t n = strlen(g);
    return n > 0 && n < RT_GID_LEN && strspn(g, "0123456789abcdef-") == n;
}

void rt_fanout_post(const char *room, rt_msg_t *m, uint64_t offset, const char *except);

typedef struct {
    uint64_t off;
    int64_t ts;
    char *room;
    rt_msg_t *m;
    char gid[RT_GID_LEN]; /* the offset the client sees: cluster id or off */
} entry_t;

typedef struct rec {
    struct rec *prev, *next; /* oldest first */
    int64_t expires_ms;
    char pid[RT_ID_LEN + 1];
    rt_recovered_t r;
} rec_t;

static struct {
    uv_mutex_t mu;
    uint64_t last;       /* last offset handed out */
    entry_t *ring;
    size_t head, n;
    hmap_t recs;         /* pid -> rec_t */
    rec_t *oldest, *newest;
} L;

void rt_recovery_init(void)
{
    uv_mutex_init(&L.mu);
    L.ring = calloc(LOG_CAP, sizeof *L.ring);
    if (!L.ring)
        abort();
}

void rt_recovered_clear(rt_recovered_t *r)
{
    for (size_t i = 0; i < r->nrooms; i++)
        free(r->rooms[i]);
    free(r->rooms);
    r->rooms = NULL;
    r->nrooms = 0;
}

static void pop_entry(void)
{
    entry_t *e = &L.ring[L.head];
    free(e->room);
    rt_msg_unref(e->m);
    memset(e, 0, sizeof *e);
    L.head = (L.head + 1) % LOG_CAP;
    L.n--;
}

static void unlink_rec(rec_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        L.oldest = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        L.newest = r->prev;
}

static void free_rec(rec_t *r)
{
    rt_recovered_clear(&r->r);
    free(r);
}

void rt_recovery_fini(void)
{
    while (L.n)
        pop_entry();
    free(L.ring);
    L.ring = NULL;
    while (L.oldest) {
        rec_t *r = L.oldest;
        unlink_rec(r);
        free_rec(r);
    }
    hmap_free(&L.recs, NULL);
    uv_mutex_destroy(&L.mu);
}

static void expire_locked(int64_t now)
{
    while (L.n && (L.n == LOG_CAP || L.ring[L.head].ts < now - RT.cfg.recovery_ms))
        pop_entry();
    while (L.oldest && L.oldest->expires_ms <= now) {
        rec_t *r = L.oldest;
        unlink_rec(r);
        hmap_del(&L.recs, r->pid);
        free_rec(r);
    }
}

void rt_recovery_sweep(int64_t now_ms)
{
    uv_mutex_lock(&L.mu);
    expire_locked(now_ms);
    uv_mutex_unlock(&L.mu);
}

int rt_log_publish(const char *room, const char *prefix, size_t plen, const char *gid)
{
    char *rcopy = strdup(room);
    if (!rcopy)
        return -1;
    int64_t now = clock_now_ms();
    uv_mutex_lock(&L.mu);
    expire_locked(now);
    uint64_t off = ++L.last;
    char tail[RT_GID_LEN + 4];
    entry_t *e = &L.ring[(L.head + L.n) % LOG_CAP];
    *e = (entry_t){.off = off, .ts = now, .room = rcopy};
    if (gid && gid_ok(gid))
        snprintf(e->gid, sizeof e->gid, "%s", gid);
    else
        snprintf(e->gid, sizeof e->gid, "%" PRIu64, off);
    int tn = snprintf(tail, sizeof tail, "%s\"]", e->gid);
    rt_msg_t *m = rt_msg_new(false, prefix, plen, tail, (size_t)tn);
    e->m = rt_msg_ref(m);
    L.n++;
    rt_fanout_post(room, m, off, NULL);
    uv_mutex_unlock(&L.mu);
    rt_msg_unref(m);
    return 0;
}

/* The local offset after which a client that last saw `offset` (a gid,
 * or NULL: `base`) missed packets; false when the log does not reach
 * back that far. Under L.mu. */
static bool resolve_locked(const char *offset, uint64_t base, uint64_t *after)
{
    uint64_t first = L.n ? L.ring[L.head].off : L.last + 1;
    if (!offset) {
        *after = base;
    } else if (offset[strspn(offset, "0123456789")] == '\0') {
        if (!*offset || strlen(offset) > 19)
            return false;
        *after = strtoull(offset, NULL, 10); /* a local offset */
    } else {
        size_t i = L.n;
        while (i > 0 && strcmp(L.ring[(L.head + i - 1) % LOG_CAP].gid, offset) != 0)
            i--;
        if (i == 0)
            return false; /* not in the log (any more) */
        *after = L.ring[(L.head + i - 1) % LOG_CAP].off;
    }
    return *after <= L.last && *after + 1 >= first;
}

int rt_log_attach(rt_socket_t *sock, const rt_recovered_t *rec, const char *offset)
{
    uv_mutex_lock(&L.mu);
    if (rec) {
        uint64_t after;
        if (!resolve_locked(offset, rec->base_offset, &after)) {
            uv_mutex_unlock(&L.mu);
            return -1;
        }
        for (size_t i = 0; i < rec->nrooms; i++)
            rt_room_join(sock, rec->rooms[i]);
        for (size_t i = 0; i < L.n; i++) {
            entry_t *e = &L.ring[(L.head + i) % LOG_CAP];
            if (e->off > after && rt_room_is_member(sock, e->room))
                rt_session_send(sock->s, e->m);
        }
        sock->base_offset = after;
    } else {
        sock->base_offset = L.last;
    }
    sock->min_offset = L.last;
    uv_mutex_unlock(&L.mu);
    return 0;
}

void rt_recovery_save(const rt_socket_t *sock)
{
    rec_t *r = calloc(1, sizeof *r);
    if (!r)
        return;
    memcpy(r->pid, sock->pid, sizeof r->pid);
    memcpy(r->r.id, sock->id, sizeof r->r.id);
    memcpy(r->r.user_id, sock->user_id, sizeof r->r.user_id);
    r->r.base_offset = sock->base_offset;
    size_t n = 0;
    for (rt_member_t *m = sock->rooms; m; m = m->snext)
        n++;
    r->r.rooms = calloc(n ? n : 1, sizeof *r->r.rooms);
    if (!r->r.rooms)
        abort();
    for (rt_member_t *m = sock->rooms; m; m = m->snext)
        if ((r->r.rooms[r->r.nrooms] = strdup(m->room->name)))
            r->r.nrooms++;
    int64_t now = clock_now_ms();
    r->expires_ms = now + RT.cfg.recovery_ms;
    uv_mutex_lock(&L.mu);
    expire_locked(now);
    rec_t *old = hmap_put(&L.recs, r->pid, r);
    if (old) {
        unlink_rec(old);
        free_rec(old);
    }
    r->prev = L.newest;
    if (L.newest)
        L.newest->next = r;
    else
        L.oldest = r;
    L.newest = r;
    uv_mutex_unlock(&L.mu);
    if (cluster_enabled()) { /* another node may get the reconnect */
        json_t *rooms = json_array();
        for (size_t i = 0; i < r->r.nrooms; i++)
            json_array_append_new(rooms, json_string(r->r.rooms[i]));
        cluster_recovery_save(sock->pid,
                              json_pack("{s:s, s:s, s:o}", "u", sock->user_id, "id", sock->id,
                                        "r", rooms),
                              RT.cfg.recovery_ms);
    }
}

bool rt_recovery_take(const char *pid, const char *user_id, rt_recovered_t *out)
{
    int64_t now = clock_now_ms();
    uv_mutex_lock(&L.mu);
    expire_locked(now);
    rec_t *r = hmap_get(&L.recs, pid);
    if (!r || strcmp(r->r.user_id, user_id) != 0) {
        uv_mutex_unlock(&L.mu);
        return false;
    }
    hmap_del(&L.recs, pid);
    unlink_rec(r);
    uv_mutex_unlock(&L.mu);
    *out = r->r;
    free(r);
    cluster_recovery_drop(pid);
    return true;
}

static bool in_rooms(json_t *rooms, const char *room)
{
    for (size_t i = 0; i < json_array_size(rooms); i++) {
        const char *r = json_string_value(json_array_get(rooms, i));
        if (r && strcmp(r, room) == 0)
            return true;
    }
    return false;
}

/* Cluster thread: another node asks for a socket that disconnected here
 * (cluster/ops.c). Hands over the record and the packets it missed. */
json_t *realtime_recovery_claimed(json_t *claim)
{
    const char *pid = json_string_value(json_object_get(claim, "pid"));
    const char *user = json_string_value(json_object_get(claim, "u"));
    json_t *o = json_object_get(claim, "o");
    json_t *want = json_object_get(claim, "r");
    rt_recovered_t rec = {0};
    bool off_ok = !o || json_is_null(o) || json_is_string(o);
    if (!RT.loops || !pid || !user || !json_is_array(want) || !off_ok ||
        !rt_recovery_take(pid, user, &rec))
        return NULL;
    json_t *rooms = json_array(); /* asked for, and the socket had */
    for (size_t i = 0; i < rec.nrooms; i++)
        if (in_rooms(want, rec.rooms[i]))
            json_array_append_new(rooms, json_string(rec.rooms[i]));
    json_t *ents = json_array();
    uv_mutex_lock(&L.mu);
    uint64_t after = 0;
    bool ok = resolve_locked(json_string_value(o), rec.base_offset, &after);
    for (size_t i = 0; ok && i < L.n; i++) {
        entry_t *e = &L.ring[(L.head + i) % LOG_CAP];
        if (e->off > after && in_rooms(rooms, e->room))
            json_array_append_new(ents, json_stringn((const char *)e->m->data, e->m->len));
    }
    uv_mutex_unlock(&L.mu);
    json_decref(rooms);
    rt_recovered_clear(&rec);
    if (!ok) {
        json_decref(ents);
        return NULL;
    }
    return json_pack("{s:b, s:s, s:o}", "ok", 1, "id", rec.id, "ents", ents);
}

/* realtime/rooms.c -- rooms and the fan-out of published packets.
 *
 * Rooms are per loop: lp->rooms maps a name to the members on that loop
 * (a doubly linked list of rt_member_t, each also on its socket's list).
 * A room exists while it has members. Publishing encodes the packet once
 * and posts one fan-out task per loop; each loop delivers to its own
 * members. Durable publishes go through the event log (recovery.c), which
 * assigns the offset and posts under its lock so that every loop sees
 * them in offset order; volatile ones (typing) skip the log.
 *
 * Delivery never closes a session synchronously (slow consumers are
 * closed on the next loop turn), so walking a room is safe.
 */
#include "realtime/rt_int.h"
#include "realtime/seqorder.h"

#include "cluster/cluster.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rt_room_name_ok(const char *name)
{
    size_t n = strlen(name);
    const char *colon = strchr(name, ':');
    if (n < 3 || n > 127 || !colon || colon == name || !colon[1])
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == ':' || c == '.'))
            return false;
    }
    return true;
}

bool rt_room_is_member(const rt_socket_t *sock, const char *name)
{
    for (rt_member_t *m = sock->rooms; m; m = m->snext)
        if (strcmp(m->room->name, name) == 0)
            return true;
    return false;
}

bool rt_room_join(rt_socket_t *sock, const char *name)
{
    if (rt_room_is_member(sock, name))
        return false;
    rt_loop_t *lp = sock->s->lp;
    rt_room_t *r = hmap_get(&lp->rooms, name);
    if (!r) {
        size_t n = strlen(name);
        r = calloc(1, sizeof *r + n + 1);
        if (!r)
            abort();
        memcpy(r->name, name, n + 1);
        hmap_put(&lp->rooms, name, r);
    }
    rt_member_t *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->room = r;
    m->sock = sock;
    m->rnext = r->head;
    if (r->head)
        r->head->rprev = m;
    r->head = m;
    r->n++;
    m->snext = sock->rooms;
    sock->rooms = m;
    return true;
}

static void unlink_member(rt_loop_t *lp, rt_member_t *m)
{
    rt_room_t *r = m->room;
    if (m->rprev)
        m->rprev->rnext = m->rnext;
    else
        r->head = m->rnext;
    if (m->rnext)
        m->rnext->rprev = m->rprev;
    if (--r->n == 0) {
        hmap_del(&lp->rooms, r->name);
        free(r);
    }
    free(m);
}

bool rt_room_leave(rt_socket_t *sock, const char *name)
{
    for (rt_member_t **pp = &sock->rooms; *pp; pp = &(*pp)->snext) {
        if (strcmp((*pp)->room->name, name) == 0) {
            rt_member_t *m = *pp;
            *pp = m->snext;
            unlink_member(sock->s->lp, m);
            return true;
        }
    }
    return false;
}

void rt_room_leave_all(rt_socket_t *sock)
{
    while (sock->rooms) {
        rt_member_t *m = sock->rooms;
        sock->rooms = m->snext;
        unlink_member(sock->s->lp, m);
    }
}

/* ---- fan-out ---- */

void rt_fanout_deliver(rt_loop_t *lp, const char *room, rt_msg_t *m, uint64_t offset,
                       const char *except)
{
    rt_room_t *r = hmap_get(&lp->rooms, room);
    if (!r)
        return;
    for (rt_member_t *mem = r->head; mem; mem = mem->rnext) {
        rt_socket_t *sock = mem->sock;
        if (offset && offset <= sock->min_offset)
            continue; /* replayed by recovery already */
        if (except && strcmp(sock->id, except) == 0)
            continue;
        if (sock->holding)
            rt_hold_or_send(sock, m); /* recovering from another node */
        else
            rt_session_send(sock->s, m);
    }
}

typedef struct {
    rt_task_t task;
    rt_msg_t *m;
    uint64_t offset;
    char except[RT_ID_LEN + 1];
    char room[];
} fanout_t;

static void fanout_run(rt_task_t *t)
{
    fanout_t *f = (fanout_t *)t;
    rt_loop_t *lp = rt_loop_here();
    if (lp)
        rt_fanout_deliver(lp, f->room, f->m, f->offset, f->except[0] ? f->except : NULL);
    rt_msg_unref(f->m);
    free(f);
}

/* Posts m to every loop (m is borrowed; each task takes a reference). */
void rt_fanout_post(const char *room, rt_msg_t *m, uint64_t offset, const char *except);
void rt_fanout_post(const char *room, rt_msg_t *m, uint64_t offset, const char *except)
{
    size_t n = strlen(room);
    for (int i = 0; i < RT.nloops; i++) {
        fanout_t *f = malloc(sizeof *f + n + 1);
        if (!f)
            abort();
        f->task.fn = fanout_run;
        f->m = rt_msg_ref(m);
        f->offset = offset;
        snprintf(f->except, sizeof f->except, "%s", except ? except : "");
        memcpy(f->room, room, n + 1);
        if (rt_post(i, &f->task) < 0) {
            rt_msg_unref(f->m);
            free(f);
        }
    }
}

static bool event_ok(const char *event)
{
    static const char *const reserved[] = {"connect", "connect_error", "disconnect",
                                           "disconnecting", "newListener", "removeListener"};
    if (!event || !*event || strlen(event) > 128)
        return false;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(event, reserved[i]) == 0)
            return false;
    return true;
}

/* `42["event",<payload>,` into b. */
static int encode_head(buf_t *b, const char *event, json_t *payload)
{
    buf_puts(b, "42[");
    buf_json_str(b, event, strlen(event));
    buf_puts(b, ",");
    if (payload) {
        char *js = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!js)
            return -1;
        buf_puts(b, js);
        buf_puts(b, ",");
        free(js);
    }
    return b->data ? 0 : -1;
}

/* Cluster seam: other nodes get it through cluster/ (no-op when off),
 * with a cluster-wide id that every node uses as the packet's offset. */
int realtime_publish(const char *room, const char *event, json_t *payload)
{
    if (!room || !rt_room_name_ok(room) || !event_ok(event))
        return -1;
    char gid[RT_GID_LEN];
    bool cl = cluster_gid(gid, sizeof gid);
    cluster_publish(room, event, payload, cl ? gid : NULL);
    return RT.loops ? realtime_publish_gid(room, event, payload, cl ? gid : NULL) : cl ? 0 : -1;
}

int realtime_publish_local(const char *room, const char *event, json_t *payload)
{
    return realtime_publish_gid(room, event, payload, NULL);
}

/* A conversation's messages carry their seq: they leave in that order,
 * whichever node published them (seqorder.h). */
static bool sequenced(const char *room, const char *event, json_t *payload, int64_t *seq)
{
    if (strncmp(room, "conversation:", 13) != 0 || strcmp(event, "message:new") != 0)
        return false;
    json_t *v = json_object_get(payload, "seq");
    *seq = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    return *seq > 0;
}

int realtime_publish_gid(const char *room, const char *event, json_t *payload, const char *gid)
{
    if (!room || !rt_room_name_ok(room) || !event_ok(event) || !RT.loops)
        return -1;
    buf_t b = BUF_INIT;
    int64_t seq;
    int rc = encode_head(&b, event, payload);
    if (rc == 0) {
        buf_puts(&b, "\"");
        rc = sequenced(room, event, payload, &seq)
                 ? seqorder_offer(room, seq, b.data, b.len, gid, clock_now_ms(), rt_log_publish)
                 : rt_log_publish(room, b.data, b.len, gid);
    }
    buf_free(&b);
    return rc;
}

int rt_publish_volatile_here(const char *room, const char *event, json_t *payload,
                             const char *except)
{
    buf_t b = BUF_INIT;
    int rc = -1;
    if (RT.loops && encode_head(&b, event, payload) == 0) {
        b.data[b.len - 1] = ']'; /* the trailing comma */
        rt_msg_t *m = rt_msg_new(false, b.data, b.len, NULL, 0);
        rt_fanout_post(room, m, 0, except);
        rt_msg_unref(m);
        rc = 0;
    }
    buf_free(&b);
    return rc;
}

/* Typing: this node and, through Redis, the others (never logged). */
int rt_publish_volatile(const char *room, const char *event, json_t *payload, const char *except)
{
    cluster_publish_volatile(room, event, payload, except);
    int rc = rt_publish_volatile_here(room, event, payload, except);
    json_decref(payload);
    return rc;
}

int realtime_publish_volatile_local(const char *room, const char *event, json_t *payload,
                                    const char *except)
{
    if (!room || !rt_room_name_ok(room) || !event_ok(event))
        return -1;
    bool start = strcmp(event, "typing:start") == 0;
    if (except && (start || strcmp(event, "typing:stop") == 0) &&
        !rt_typing_remote(room, except, payload, start))
        return 0; /* a refresh of an indicator already shown */
    return rt_publish_volatile_here(room, event, payload, except);
}

/* ---- removing a user from a room everywhere ---- */

typedef struct {
    rt_task_t task;
    char user[JWT_CLAIM_MAX + 1];
    char room[];
} remove_t;

static void remove_run(rt_task_t *t)
{
    remove_t *r = (remove_t *)t;
    rt_loop_t *lp = rt_loop_here();
    rt_room_t *room = lp ? hmap_get(&lp->rooms, r->room) : NULL;
    if (room) {
        /* Collect first: leaving may free the room. */
        rt_socket_t *victims[64];
        size_t n;
        do {
            n = 0;
            room = hmap_get(&lp->rooms, r->room);
            for (rt_member_t *m = room ? room->head : NULL; m && n < 64; m = m->rnext)
                if (strcmp(m->sock->user_id, r->user) == 0)
                    victims[n++] = m->sock;
            for (size_t i = 0; i < n; i++)
                rt_room_leave(victims[i], r->room);
        } while (n == 64);
    }
    free(r);
}

void realtime_room_remove_user(const char *room, const char *user_id)
{
    if (room && user_id)
        cluster_room_remove(room, user_id);
    realtime_room_remove_user_local(room, user_id);
}

void realtime_room_remove_user_local(const char *room, const char *user_id)
{
    if (!room || !user_id || !RT.loops)
        return;
    size_t n = strlen(room);
    for (int i = 0; i < RT.nloops; i++) {
        remove_t *r = calloc(1, sizeof *r + n + 1);
        if (!r)
            abort();
        r->task.fn = remove_run;
        snprintf(r->user, sizeof r->user, "%s", user_id);
        memcpy(r->room, room, n + 1);
        if (rt_post(i, &r->task) < 0)
            free(r);
    }
}

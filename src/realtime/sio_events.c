/* realtime/sio_events.c -- what a connected socket can ask for: built-in
 * events (rooms, typing, diagnostics) and the handlers other modules
 * register with realtime_on().
 *
 *   room:join  (room, ack)   join if entitled; ack {ok} or {ok:false,error}
 *   room:leave (room, ack)   leave; ack {ok}
 *   typing:start / typing:stop ({room})  to the room's other sockets;
 *              an indicator stops by itself after typing_ttl_ms
 *   diag:echo  (...args, ack)          acks the same arguments (binary too)
 *   diag:ask   (event, ...args, ack)   the server emits `event` with the
 *              args to this socket asking for an ack, then emits
 *              "diag:answer" with the ack's arguments (or {error:"timeout"})
 *   diag:publish (event, payload, ack)  realtime_publish() to the sender's
 *              own "user:<id>" room (all of that user's devices)
 *
 * Everything here runs in the session's worker coroutine.
 */
#include "realtime/rt_int.h"

#include "cluster/cluster.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct realtime_event {
    rt_session_t *s;
    int64_t id;
    bool acked;
};

bool rt_entitled(const char *user_id, const char *room)
{
    char own[JWT_CLAIM_MAX + 8];
    snprintf(own, sizeof own, "user:%s", user_id);
    if (strcmp(room, own) == 0)
        return true;
    return RT.entitle ? RT.entitle(user_id, room) : false;
}

void realtime_ack(realtime_event_t *ev, json_t *args)
{
    if (!args || !json_is_array(args) || ev->id == SIO_NO_ID || ev->acked || ev->s->closed) {
        json_decref(args);
        return;
    }
    ev->acked = true;
    sio_packet_t *p = NULL;
    if (sio_packet_new(SIO_ACK, "/", ev->id, args, &p) == 0) {
        rt_sio_send(ev->s, p);
        sio_packet_free(p);
    }
}

static void ack_json(realtime_event_t *ev, json_t *value)
{
    json_t *args = json_array();
    json_array_append_new(args, value);
    realtime_ack(ev, args);
}

static json_t *error_obj(const char *code, const char *msg)
{
    return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code, "message", msg);
}

/* A deep copy of src's node for dst, binary markers re-created in dst. */
static json_t *copy_node(const sio_packet_t *src, const json_t *node, sio_packet_t *dst)
{
    const uint8_t *data;
    size_t len;
    if (sio_packet_get_binary(src, node, &data, &len))
        return sio_packet_binary(dst, data, len);
    if (json_is_array(node)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(node); i++)
            json_array_append_new(a, copy_node(src, json_array_get(node, i), dst));
        return a;
    }
    if (json_is_object(node)) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)node, k, v)
            json_object_set_new(o, k, copy_node(src, v, dst));
        return o;
    }
    return json_deep_copy(node);
}

/* A packet of `type` whose data is src->data[from..], copied. */
static sio_packet_t *slice_packet(const sio_packet_t *src, size_t from, sio_type_t type,
                                  int64_t id, const char *prefix)
{
    sio_packet_t *p = NULL;
    if (sio_packet_new(type, "/", id, json_array(), &p) != 0)
        return NULL;
    if (prefix)
        json_array_append_new(p->data, json_string(prefix));
    for (size_t i = from; i < json_array_size(src->data); i++)
        json_array_append_new(p->data, copy_node(src, json_array_get(src->data, i), p));
    return p;
}

/* ---- rooms ---- */

static const char *room_arg(json_t *data)
{
    json_t *a = json_array_get(data, 1);
    if (json_is_object(a))
        a = json_object_get(a, "room");
    const char *room = json_string_value(a);
    return room && rt_room_name_ok(room) ? room : NULL;
}

static void on_room_join(rt_session_t *s, realtime_event_t *ev, json_t *data)
{
    const char *room = room_arg(data);
    if (!room) {
        ack_json(ev, error_obj("invalid_room", "room must be a name like \"kind:id\""));
        return;
    }
    char name[128];
    snprintf(name, sizeof name, "%s", room);
    bool ok = rt_entitled(s->sock->user_id, name);
    if (s->closed || !s->sock->connected)
        return;
    if (!ok) {
        ack_json(ev, error_obj("forbidden", "you may not join this room"));
        return;
    }
    rt_room_join(s->sock, name);
    ack_json(ev, json_pack("{s:b, s:s}", "ok", 1, "room", name));
}

static void on_room_leave(rt_session_t *s, realtime_event_t *ev, json_t *data)
{
    const char *room = room_arg(data);
    if (!room) {
        ack_json(ev, error_obj("invalid_room", "room must be a name like \"kind:id\""));
        return;
    }
    bool was = rt_room_leave(s->sock, room);
    ack_json(ev, json_pack("{s:b, s:b}", "ok", 1, "wasMember", was));
}

/* ---- typing ---- */

static void typing_publish(rt_socket_t *sock, const char *room, const char *event)
{
    rt_publish_volatile(room, event,
                        json_pack("{s:s, s:s}", "room", room, "userId", sock->user_id), sock->id);
}

void rt_typing_stop_all(rt_socket_t *sock)
{
    for (int i = 0; i < sock->ntyping; i++)
        typing_publish(sock, sock->typing[i].room, "typing:stop");
    sock->ntyping = 0;
}

static void on_typing(rt_session_t *s, realtime_event_t *ev, json_t *data, bool start)
{
    rt_socket_t *sock = s->sock;
    const char *room = room_arg(data);
    if (!room || !rt_room_is_member(sock, room)) {
        ack_json(ev, error_obj("forbidden", "join the room first"));
        return;
    }
    int i = 0;
    while (i < sock->ntyping && strcmp(sock->typing[i].room, room) != 0)
        i++;
    if (start) {
        if (i == sock->ntyping) {
            if (sock->ntyping == RT_MAX_TYPING) {
                ack_json(ev, error_obj("too_many", "typing in too many rooms at once"));
                return;
            }
            snprintf(sock->typing[i].room, sizeof sock->typing[i].room, "%s", room);
            sock->ntyping++;
            typing_publish(sock, room, "typing:start");
            sock->typing[i].sent_ms = clock_now_ms();
        } else if (cluster_enabled() && clock_now_ms() - sock->typing[i].sent_ms >= 1000) {
            /* other nodes expire it on their own unless refreshed */
            json_t *p = json_pack("{s:s, s:s}", "room", room, "userId", sock->user_id);
            cluster_publish_volatile(room, "typing:start", p, sock->id);
            json_decref(p);
            sock->typing[i].sent_ms = clock_now_ms();
        }
        sock->typing[i].until_ms = clock_now_ms() + RT.cfg.typing_ttl_ms;
    } else if (i < sock->ntyping) {
        sock->typing[i] = sock->typing[--sock->ntyping];
        typing_publish(sock, room, "typing:stop");
    }
    ack_json(ev, json_pack("{s:b}", "ok", 1));
}

/* ---- diagnostics ---- */

static void on_echo(rt_session_t *s, realtime_event_t *ev, const sio_packet_t *p)
{
    if (ev->id == SIO_NO_ID)
        return;
    sio_packet_t *a = slice_packet(p, 1, SIO_ACK, ev->id, NULL);
    if (a) {
        ev->acked = true;
        rt_sio_send(s, a);
        sio_packet_free(a);
    }
}

static void ask_answered(rt_socket_t *sock, sio_packet_t *ack, void *arg)
{
    (void)arg;
    if (!sock->connected || sock->s->closed)
        return;
    sio_packet_t *p = ack ? slice_packet(ack, 0, SIO_EVENT, SIO_NO_ID, "diag:answer") : NULL;
    if (p) {
        rt_sio_send(sock->s, p);
        sio_packet_free(p);
    } else if (!ack) {
        rt_sio_emit(sock->s, "diag:answer", json_pack("[{s:s}]", "error", "timeout"));
    }
}

static void on_ask(rt_session_t *s, realtime_event_t *ev, const sio_packet_t *p)
{
    const char *event = json_string_value(json_array_get(p->data, 1));
    if (!event) {
        ack_json(ev, error_obj("invalid_event", "the first argument names the event"));
        return;
    }
    sio_packet_t *q = slice_packet(p, 2, SIO_EVENT, SIO_NO_ID, event);
    if (!q)
        return;
    rt_sio_emit_ack(s, q, 5000, ask_answered, NULL);
    sio_packet_free(q);
    ack_json(ev, json_pack("{s:b}", "ok", 1));
}

static void on_publish(rt_session_t *s, realtime_event_t *ev, json_t *data)
{
    const char *event = json_string_value(json_array_get(data, 1));
    char room[JWT_CLAIM_MAX + 8];
    snprintf(room, sizeof room, "user:%s", s->sock->user_id);
    if (!event || realtime_publish(room, event, json_array_get(data, 2)) < 0) {
        ack_json(ev, error_obj("invalid_event", "the first argument names the event"));
        return;
    }
    ack_json(ev, json_pack("{s:b}", "ok", 1));
}

/* ---- dispatch ---- */

void rt_events_dispatch(rt_session_t *s, sio_packet_t *p)
{
    realtime_event_t ev = {.s = s, .id = p->id};
    const char *name = json_string_value(json_array_get(p->data, 0));
    if (!name)
        name = "";
    if (strcmp(name, "room:join") == 0)
        on_room_join(s, &ev, p->data);
    else if (strcmp(name, "room:leave") == 0)
        on_room_leave(s, &ev, p->data);
    else if (strcmp(name, "typing:start") == 0)
        on_typing(s, &ev, p->data, true);
    else if (strcmp(name, "typing:stop") == 0)
        on_typing(s, &ev, p->data, false);
    else if (strcmp(name, "diag:echo") == 0)
        on_echo(s, &ev, p);
    else if (strcmp(name, "diag:ask") == 0)
        on_ask(s, &ev, p);
    else if (strcmp(name, "diag:publish") == 0)
        on_publish(s, &ev, p->data);
    else {
        union {
            realtime_event_fn fn;
            void *p;
        } u = {.p = hmap_get(&RT.handlers, name)};
        if (u.p) {
            json_t *args = json_array();
            for (size_t i = 1; i < json_array_size(p->data); i++)
                json_array_append(args, json_array_get(p->data, i));
            u.fn(&ev, s->sock->user_id, args);
            json_decref(args);
        } else {
            ack_json(&ev, error_obj("unknown_event", "no such event"));
        }
    }
}

/* realtime/sio_server.c -- the Socket.IO v5 server side of a session:
 * CONNECT with token auth, connection-state recovery, DISCONNECT, acks
 * and limits. Events themselves are dispatched by sio_events.c.
 *
 * Inbound packets are decoded as they arrive (on the loop stack), checked
 * against the rate limit and queued on the session; one worker coroutine
 * per session handles them in order, so a handler may query the store and
 * still see its socket's events one at a time. A session has at most one
 * socket (namespace "/"); it is allocated at the first CONNECT and freed
 * with the session, so a handler suspended in a query never sees it
 * vanish (it checks `connected`).
 *
 * Abuse (too many events, too many queued packets, oversized payloads) is
 * answered with an "error" event and a DISCONNECT, then the session ends.
 */
#include "realtime/rt_int.h"

#include "auth/access.h"
#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sending ---- */

int rt_sio_send(rt_session_t *s, const sio_packet_t *p)
{
    sio_encoded_t e;
    if (sio_encode(p, &e) != 0)
        return -1;
    rt_msg_t *m = rt_msg_new(false, "4", 1, e.text, e.text_len);
    rt_session_send(s, m);
    rt_msg_unref(m);
    for (size_t i = 0; i < e.nattach; i++) {
        m = rt_msg_new(true, e.attach[i].data, e.attach[i].len, NULL, 0);
        rt_session_send(s, m);
        rt_msg_unref(m);
    }
    sio_encoded_free(&e);
    return 0;
}

void rt_sio_emit(rt_session_t *s, const char *event, json_t *args)
{
    json_t *data = json_array();
    json_array_append_new(data, json_string(event));
    if (args) {
        json_array_extend(data, args);
        json_decref(args);
    }
    sio_packet_t *p = NULL;
    if (sio_packet_new(SIO_EVENT, "/", SIO_NO_ID, data, &p) == 0) {
        rt_sio_send(s, p);
        sio_packet_free(p);
    }
}

static void send_simple(rt_session_t *s, sio_type_t type, const char *nsp, json_t *data)
{
    sio_packet_t *p = NULL;
    if (sio_packet_new(type, nsp, SIO_NO_ID, data, &p) == 0) {
        rt_sio_send(s, p);
        sio_packet_free(p);
    }
}

static void connect_error(rt_session_t *s, const char *nsp, const char *code, const char *msg)
{
    send_simple(s, SIO_CONNECT_ERROR, nsp,
                json_pack("{s:s, s:{s:s}}", "message", msg, "data", "code", code));
}

int rt_sio_emit_ack(rt_session_t *s, sio_packet_t *p, int timeout_ms,
                    void (*cb)(rt_socket_t *, sio_packet_t *, void *), void *arg)
{
    rt_socket_t *sock = s->sock;
    if (!sock || !sock->connected)
        return -1;
    rt_pending_ack_t *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    p->id = sock->next_ack++;
    if (rt_sio_send(s, p) < 0) {
        free(a);
        return -1;
    }
    a->id = p->id;
    a->deadline_ms = clock_now_ms() + timeout_ms;
    a->cb = cb;
    a->arg = arg;
    a->next = sock->acks;
    sock->acks = a;
    return 0;
}

/* ---- disconnect ---- */

static void expiry_closed(uv_handle_t *h) { free(h); }

static void disconnect_socket(rt_session_t *s, bool recoverable)
{
    rt_socket_t *sock = s->sock;
    if (!sock || !sock->connected)
        return;
    if (recoverable && RT.cfg.recovery_ms > 0)
        rt_recovery_save(sock);
    sock->connected = false;
    rt_typing_stop_all(sock);
    rt_room_leave_all(sock);
    rt_presence_disconnect(sock->user_id);
    if (sock->expiry) {
        uv_close((uv_handle_t *)sock->expiry, expiry_closed);
        sock->expiry = NULL;
    }
    while (sock->acks) {
        rt_pending_ack_t *a = sock->acks;
        sock->acks = a->next;
        a->cb(sock, NULL, a->arg);
        free(a);
    }
}

void rt_sio_on_close(rt_session_t *s, bool recoverable)
{
    disconnect_socket(s, recoverable);
}

void rt_sio_free(rt_session_t *s)
{
    if (s->sock)
        rt_hold_free(s->sock);
    free(s->sock);
    s->sock = NULL;
}

void rt_sio_abuse(rt_session_t *s, const char *code, const char *message)
{
    if (s->closed)
        return;
    log_msg(LOG_WARN, "realtime: client disconnected for abuse", "\"sid\":\"%s\",\"code\":\"%s\"",
            s->sid, code);
    if (s->sock && s->sock->connected) {
        rt_sio_emit(s, "error", json_pack("[{s:s, s:s}]", "code", code, "message", message));
        send_simple(s, SIO_DISCONNECT, "/", NULL);
        disconnect_socket(s, false);
    }
    rt_session_end(s);
}

static void on_expiry(uv_timer_t *t)
{
    rt_session_t *s = t->data;
    if (s->closed || !s->sock || !s->sock->connected)
        return;
    rt_sio_emit(s, "error", json_pack("[{s:s, s:s}]", "code", "token_expired", "message",
                                      "the access token expired"));
    send_simple(s, SIO_DISCONNECT, "/", NULL);
    disconnect_socket(s, false);
    rt_session_end(s);
}

/* ---- connect ---- */

rt_socket_t *rt_socket_init(rt_session_t *s, const char *user)
{
    if (!s->sock && !(s->sock = calloc(1, sizeof *s->sock)))
        abort();
    rt_socket_t *sock = s->sock;
    rt_room_leave_all(sock);
    rt_hold_free(sock);
    memset(sock, 0, sizeof *sock);
    sock->s = s;
    snprintf(sock->user_id, sizeof sock->user_id, "%s", user);
    sock->tokens = RT.cfg.events_per_s;
    sock->refill_ms = clock_now_ms();
    sock->connected = true;
    return sock;
}

/* An offset we could have sent: a local offset or a cluster-wide id. */
static bool offset_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n < RT_GID_LEN && strspn(s, "0123456789abcdef-") == n;
}

/* Keeps the recovered rooms the user is still entitled to (may yield). */
static void filter_rooms(rt_recovered_t *rec)
{
    size_t k = 0;
    for (size_t i = 0; i < rec->nrooms; i++) {
        if (rt_entitled(rec->user_id, rec->rooms[i]))
            rec->rooms[k++] = rec->rooms[i];
        else
            free(rec->rooms[i]);
    }
    rec->nrooms = k;
}

/* Tries connection-state recovery from this node's store; fills *rec
 * and *offset (NULL: from the socket's start) on success. */
static bool try_recover(rt_session_t *s, json_t *auth, const char *user, rt_recovered_t *rec,
                        const char **offset)
{
    const char *pid = json_string_value(json_object_get(auth, "pid"));
    json_t *off = json_object_get(auth, "offset");
    if (!pid || (off && !offset_ok(json_string_value(off))) ||
        !rt_recovery_take(pid, user, rec))
        return false;
    *offset = json_string_value(off);
    filter_rooms(rec);
    if (s->closed) {
        rt_recovered_clear(rec);
        return false;
    }
    return true;
}

static void start_expiry(rt_session_t *s, int64_t exp_ms)
{
    rt_socket_t *sock = s->sock;
    int64_t delay = exp_ms - clock_now_ms();
    sock->expiry = malloc(sizeof *sock->expiry);
    if (!sock->expiry)
        return;
    uv_timer_init(s->lp->uv, sock->expiry);
    sock->expiry->data = s;
    uv_timer_start(sock->expiry, on_expiry, (uint64_t)(delay > 0 ? delay : 0), 0);
}

static void handle_connect(rt_session_t *s, sio_packet_t *p)
{
    if (strcmp(p->nsp, "/") != 0) {
        connect_error(s, p->nsp, "invalid_namespace", "Invalid namespace");
        return;
    }
    if (s->sock && s->sock->connected)
        return;
    json_t *auth = p->data;
    const char *token = json_string_value(json_object_get(auth, "token"));
    jwt_claims_t c;
    int rc = auth_access_verify(token, &c);
    if (rc != 0) {
        connect_error(s, "/", "unauthorized",
                      rc == JWT_EEXPIRED ? "the access token expired" : "authentication failed");
        return;
    }
    char user[JWT_CLAIM_MAX + 1];
    snprintf(user, sizeof user, "%s", c.sub);
    int64_t exp_ms = c.exp * 1000;
    jwt_claims_clear(&c);
    /* the limit counts every node's sockets in cluster mode (may yield) */
    int max = RT.cfg.max_sockets_per_user;
    int others = rt_cluster_sockets(s, user, rt_presence_count(user) + 1, max);
    if (s->closed)
        return;
    if (others < 0 || (max > 0 && max - others < 1) ||
        !rt_presence_connect(user, max > 0 ? max - others : 0, others > 0)) {
        connect_error(s, "/", "too_many_sockets", "too many connections for this user");
        return;
    }
    rt_recovered_t rec = {0};
    const char *offset = NULL;
    bool recovered = try_recover(s, auth, user, &rec, &offset);
    int remote = 0;
    if (!recovered && !s->closed)
        remote = rt_cluster_recover(s, auth, user); /* another node had it (may yield) */
    if (remote < 0)
        return; /* closed meanwhile: the socket's disconnect counted it off */
    if (s->closed) {
        rt_presence_disconnect(user);
        rt_recovered_clear(&rec);
        return;
    }
    rt_socket_t *sock = remote ? s->sock : rt_socket_init(s, user);
    if (remote) {
        recovered = true;
    } else if (recovered && rt_log_attach(sock, &rec, offset) == 0) {
        memcpy(sock->id, rec.id, sizeof sock->id);
        snprintf(sock->pid, sizeof sock->pid, "%s",
                 json_string_value(json_object_get(auth, "pid")));
    } else {
        rt_room_leave_all(sock);
        recovered = false;
        rt_random_id(sock->id, RT_ID_LEN);
        rt_random_id(sock->pid, RT_ID_LEN);
        char room[JWT_CLAIM_MAX + 8];
        snprintf(room, sizeof room, "user:%s", user);
        rt_room_join(sock, room);
        rt_log_attach(sock, NULL, NULL);
    }
    rt_recovered_clear(&rec);
    start_expiry(s, exp_ms);
    send_simple(s, SIO_CONNECT, "/", json_pack("{s:s, s:s}", "sid", sock->id, "pid", sock->pid));
    log_msg(LOG_DEBUG, "realtime: socket connected",
            "\"sid\":\"%s\",\"user\":\"%s\",\"recovered\":%s", s->sid, user,
            recovered ? "true" : "false");
}

/* ---- inbound ---- */

static void handle_ack(rt_session_t *s, sio_packet_t *p)
{
    rt_socket_t *sock = s->sock;
    for (rt_pending_ack_t **pp = &sock->acks; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == p->id) {
            rt_pending_ack_t *a = *pp;
            *pp = a->next;
            a->cb(sock, p, a->arg);
            free(a);
            return;
        }
    }
}

void rt_sio_handle(rt_session_t *s, sio_packet_t *p)
{
    bool connected = s->sock && s->sock->connected;
    switch (p->type) {
    case SIO_CONNECT:
        handle_connect(s, p);
        break;
    case SIO_DISCONNECT:
        if (connected && strcmp(p->nsp, "/") == 0)
            disconnect_socket(s, false);
        break;
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        if (connected && strcmp(p->nsp, "/") == 0)
            rt_events_dispatch(s, p);
        break;
    case SIO_ACK:
    case SIO_BINARY_ACK:
        if (connected)
            handle_ack(s, p);
        break;
    default:
        rt_session_close(s, "unexpected packet");
        break;
    }
}

static void worker_run(void *arg)
{
    rt_session_t *s = arg;
    while (s->inhead && !s->closed) {
        rt_inq_t *q = s->inhead;
        s->inhead = q->next;
        if (!s->inhead)
            s->intail = NULL;
        s->inlen--;
        rt_sio_handle(s, q->pkt);
        sio_packet_free(q->pkt);
        free(q);
    }
}

static void worker_done(void *arg)
{
    rt_session_t *s = arg;
    s->worker = false;
    rt_session_unref(s);
}

static bool take_token(rt_socket_t *sock)
{
    int64_t now = clock_now_ms();
    double rate = RT.cfg.events_per_s;
    sock->tokens += (double)(now - sock->refill_ms) * rate / 1000.0;
    if (sock->tokens > rate)
        sock->tokens = rate;
    sock->refill_ms = now;
    if (sock->tokens < 1.0)
        return false;
    sock->tokens -= 1.0;
    return true;
}

void rt_sio_on_message(rt_session_t *s, const eio_packet_t *p)
{
    sio_packet_t *pkt = NULL;
    int rc = p->binary ? sio_decoder_feed_binary(s->dec, p->data, p->len, &pkt)
                       : sio_decoder_feed_text(s->dec, (const char *)p->data, p->len, &pkt);
    if (rc == -EMSGSIZE) {
        rt_sio_abuse(s, "payload_too_large", "the packet exceeds the size limit");
        return;
    }
    if (rc != 0) {
        rt_session_close(s, "parse error");
        return;
    }
    if (!pkt)
        return;
    bool event = pkt->type == SIO_EVENT || pkt->type == SIO_BINARY_EVENT;
    if ((event && s->sock && s->sock->connected && !take_token(s->sock)) ||
        s->inlen >= RT_MAX_INQ) {
        sio_packet_free(pkt);
        rt_sio_abuse(s, "rate_limited", "too many events; slow down");
        return;
    }
    rt_inq_t *q = malloc(sizeof *q);
    if (!q)
        abort();
    q->next = NULL;
    q->pkt = pkt;
    if (s->intail)
        s->intail->next = q;
    else
        s->inhead = q;
    s->intail = q;
    s->inlen++;
    if (s->worker)
        return;
    coro_t *co = coro_spawn(worker_run, worker_done, s);
    if (!co) {
        rt_session_close(s, "out of memory");
        return;
    }
    s->worker = true;
    rt_session_ref(s);
    coro_resume(co);
}

/* ---- periodic ---- */

void rt_sio_sweep(rt_session_t *s, int64_t now_ms)
{
    rt_socket_t *sock = s->sock;
    if (!sock || !sock->connected)
        return;
    for (int i = 0; i < sock->ntyping;) {
        if (sock->typing[i].until_ms <= now_ms) {
            char room[sizeof sock->typing[i].room];
            memcpy(room, sock->typing[i].room, sizeof room);
            sock->typing[i] = sock->typing[--sock->ntyping];
            rt_publish_volatile(room, "typing:stop",
                                json_pack("{s:s, s:s}", "room", room, "userId", sock->user_id),
                                sock->id);
        } else {
            i++;
        }
    }
    for (rt_pending_ack_t **pp = &sock->acks; *pp;) {
        rt_pending_ack_t *a = *pp;
        if (a->deadline_ms <= now_ms) {
            *pp = a->next;
            a->cb(sock, NULL, a->arg);
            free(a);
        } else {
            pp = &a->next;
        }
    }
}

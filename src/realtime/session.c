/* realtime/session.c -- Engine.IO sessions: creation, the outbound queue,
 * heartbeats, the polling->WebSocket upgrade and close.
 *
 * A session lives on its owner loop (the one encoded in its sid) and only
 * that thread touches it. Outbound packets go straight to the WebSocket
 * once upgraded; before that they wait in the queue (capped at
 * RT.cfg.max_queue_bytes: a client that stops polling is closed) until a
 * polling GET takes them. The heartbeat timer sends a ping every
 * pingInterval and closes the session if no pong came pingTimeout later.
 *
 * Memory: the loop's table holds one reference from creation to close;
 * the heartbeat timer's close callback drops it. The WebSocket and the
 * inbound worker coroutine hold their own while they use the session.
 * The last unref frees the queue, the decoder and the Socket.IO state.
 */
#include "realtime/rt_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hb_fire(uv_timer_t *t);

int rt_sid_owner(const char *sid)
{
    if (!sid || strlen(sid) != RT_SID_LEN)
        return -1;
    int idx = 0;
    for (int i = 0; i < 2; i++) {
        char c = sid[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        idx = idx * 16 + v;
    }
    for (int i = 2; i < RT_SID_LEN; i++) {
        char c = sid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return -1;
    }
    return idx < RT.nloops ? idx : -1;
}

rt_session_t *rt_session_create(rt_loop_t *lp, bool ws_mode)
{
    if (lp->sessions.count >= RT.cfg.max_sessions)
        return NULL; /* answered 503 */
    rt_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->sid, sizeof s->sid, "%02x", lp->index);
    rt_random_id(s->sid + 2, RT_SID_LEN - 2);
    s->lp = lp;
    s->refs = 1;
    s->ws_mode = ws_mode;
    s->created_ms = clock_now_ms();
    sio_limits_t lim = SIO_LIMITS_DEFAULT;
    lim.max_total_size = RT.cfg.max_payload;
    lim.max_attachment_size = RT.cfg.max_payload;
    if (sio_decoder_new(&lim, &s->dec) != 0) {
        free(s);
        return NULL;
    }
    uv_timer_init(lp->uv, &s->hb);
    s->hb.data = s;
    uv_timer_start(&s->hb, hb_fire, RT.cfg.ping_interval_ms, 0);
    s->next = lp->list;
    if (lp->list)
        lp->list->prev = s;
    lp->list = s;
    hmap_put(&lp->sessions, s->sid, s);
    return s;
}

rt_session_t *rt_session_find(rt_loop_t *lp, const char *sid)
{
    return sid ? hmap_get(&lp->sessions, sid) : NULL;
}

void rt_session_ref(rt_session_t *s) { s->refs++; }

static void queue_clear(rt_session_t *s)
{
    for (rt_qnode_t *q = s->qhead, *n; q; q = n) {
        n = q->next;
        rt_msg_unref(q->m);
        free(q);
    }
    s->qhead = s->qtail = NULL;
    s->qbytes = 0;
}

void rt_session_unref(rt_session_t *s)
{
    if (--s->refs > 0)
        return;
    queue_clear(s);
    for (rt_inq_t *q = s->inhead, *n; q; q = n) {
        n = q->next;
        sio_packet_free(q->pkt);
        free(q);
    }
    rt_sio_free(s);
    sio_decoder_free(s->dec);
    free(s);
}

int rt_session_open_packet(const rt_session_t *s, char *buf, size_t cap, size_t *len)
{
    eio_open_t o = {
        .upgrades = s->ws_mode ? 0 : EIO_UPGRADE_WEBSOCKET,
        .ping_interval_ms = RT.cfg.ping_interval_ms,
        .ping_timeout_ms = RT.cfg.ping_timeout_ms,
        .max_payload = RT.cfg.max_payload,
    };
    memcpy(o.sid, s->sid, sizeof s->sid);
    return eio_open_encode(&o, buf, cap, len);
}

/* ---- outbound ---- */

void rt_session_send(rt_session_t *s, rt_msg_t *m)
{
    if (s->closed)
        return;
    if (s->ws_mode) {
        if (s->ws)
            rt_ws_send(s->ws, m);
        return;
    }
    size_t cost = m->binary ? eio_base64_len(m->len) + 2 : m->len + 1;
    if (s->qbytes + cost > RT.cfg.max_queue_bytes) {
        log_msg(LOG_WARN, "realtime: slow polling client closed", "\"sid\":\"%s\"", s->sid);
        rt_session_close_async(s);
        return;
    }
    rt_queue_append(&s->qhead, &s->qtail, rt_msg_ref(m));
    s->qbytes += cost;
    rt_polling_flush(s, false);
}

void rt_session_send_text(rt_session_t *s, const char *text, size_t len)
{
    rt_msg_t *m = rt_msg_new(false, text, len, NULL, 0);
    rt_session_send(s, m);
    rt_msg_unref(m);
}

/* Takes the queued messages (polling.c encodes them). */
void rt_queue_append(rt_qnode_t **head, rt_qnode_t **tail, rt_msg_t *m)
{
    rt_qnode_t *q = malloc(sizeof *q);
    if (!q)
        abort();
    q->next = NULL;
    q->m = m;
    if (*tail)
        (*tail)->next = q;
    else
        *head = q;
    *tail = q;
}

rt_qnode_t *rt_session_take_queue(rt_session_t *s);
rt_qnode_t *rt_session_take_queue(rt_session_t *s)
{
    rt_qnode_t *q = s->qhead;
    s->qhead = s->qtail = NULL;
    s->qbytes = 0;
    return q;
}

void rt_session_upgraded(rt_session_t *s)
{
    s->ws_mode = true;
    rt_qnode_t *q = rt_session_take_queue(s);
    while (q) {
        rt_qnode_t *n = q->next;
        if (s->ws)
            rt_ws_send(s->ws, q->m);
        rt_msg_unref(q->m);
        free(q);
        q = n;
    }
    if (s->waiter)
        rt_polling_flush(s, true); /* the pending GET ends with a noop */
}

/* ---- inbound ---- */

static void hb_fire(uv_timer_t *t)
{
    rt_session_t *s = t->data;
    if (s->wait_pong) {
        rt_session_close(s, "ping timeout");
        return;
    }
    if (!s->sock && clock_now_ms() - s->created_ms > RT.cfg.connect_timeout_ms) {
        rt_session_close(s, "no Socket.IO CONNECT in time");
        return;
    }
    s->wait_pong = true;
    rt_session_send_text(s, "2", 1);
    if (!s->closed)
        uv_timer_start(&s->hb, hb_fire, RT.cfg.ping_timeout_ms, 0);
}

static void on_probe_packet(rt_session_t *s, const eio_packet_t *p)
{
    if (p->type == EIO_PING && p->len == 5 && memcmp(p->data, "probe", 5) == 0) {
        rt_msg_t *m = rt_msg_new(false, "3probe", 6, NULL, 0);
        rt_ws_send(s->probe, m);
        rt_msg_unref(m);
        s->probe_acked = true;
        /* Let the client's pending poll return so it can pause polling. */
        if (s->waiter)
            rt_polling_flush(s, true);
        return;
    }
    if (p->type == EIO_UPGRADE) {
        s->ws = s->probe;
        s->probe = NULL;
        rt_session_upgraded(s);
        if (s->end_on_upgrade) /* the server is draining: say goodbye on the WebSocket */
            rt_session_close(s, "server shutting down");
        return;
    }
    rt_ws_t *ws = s->probe;
    s->probe = NULL;
    rt_ws_close(ws, 1002);
    if (s->end_on_upgrade)
        rt_session_close(s, "server shutting down");
}

void rt_session_on_packet(rt_session_t *s, const eio_packet_t *p, rt_ws_t *from)
{
    if (s->closed)
        return;
    if (from && from == s->probe) {
        on_probe_packet(s, p);
        return;
    }
    if (from != s->ws)
        return; /* a stale transport */
    switch (p->type) {
    case EIO_PONG:
        s->wait_pong = false;
        uv_timer_start(&s->hb, hb_fire, RT.cfg.ping_interval_ms, 0);
        break;
    case EIO_PING: {
        rt_msg_t *m = rt_msg_new(false, "3", 1, p->data, p->len);
        rt_session_send(s, m);
        rt_msg_unref(m);
        break;
    }
    case EIO_MESSAGE:
        rt_sio_on_message(s, p);
        break;
    case EIO_CLOSE:
        rt_session_close(s, "client close");
        break;
    case EIO_NOOP:
        break;
    default:
        rt_session_close(s, "protocol error");
        break;
    }
}

/* ---- close ---- */

static void hb_closed(uv_handle_t *h)
{
    rt_session_unref(h->data);
}

void rt_session_close(rt_session_t *s, const char *reason)
{
    if (s->closed)
        return;
    rt_sio_on_close(s, true);
    s->closed = true;
    rt_loop_t *lp = s->lp;
    hmap_del(&lp->sessions, s->sid);
    if (s->prev)
        s->prev->next = s->next;
    else
        lp->list = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    if (s->end_on_upgrade) {
        s->end_on_upgrade = false;
        rt_loop_upgrade_ended(lp);
    }
    log_msg(LOG_DEBUG, "realtime: session closed", "\"sid\":\"%s\",\"reason\":\"%s\"", s->sid,
            reason);
    if (s->waiter) {
        /* The pending poll gets what is queued, then the close packet. */
        rt_queue_append(&s->qhead, &s->qtail, rt_msg_new(false, "1", 1, NULL, 0));
        rt_polling_flush(s, true);
    }
    queue_clear(s);
    if (s->probe) {
        rt_ws_t *ws = s->probe;
        s->probe = NULL;
        rt_ws_close(ws, 1001);
    }
    if (s->ws) {
        rt_ws_t *ws = s->ws;
        s->ws = NULL;
        rt_ws_close(ws, 1000);
    }
    uv_timer_stop(&s->hb);
    uv_close((uv_handle_t *)&s->hb, hb_closed);
}

void rt_session_end(rt_session_t *s)
{
    if (s->closed)
        return;
    if (s->ws_mode || !s->qhead)
        rt_session_close(s, "ended by the server");
    else
        s->end_after_flush = true;
}

typedef struct {
    rt_task_t task;
    rt_session_t *s;
} kill_task_t;

static void kill_run(rt_task_t *t)
{
    kill_task_t *k = (kill_task_t *)t;
    rt_session_close(k->s, "closed by the server");
    rt_session_unref(k->s);
    free(k);
}

void rt_session_close_async(rt_session_t *s)
{
    if (s->closed || s->kill_posted)
        return;
    kill_task_t *k = malloc(sizeof *k);
    if (!k)
        abort();
    k->task.fn = kill_run;
    k->s = s;
    s->kill_posted = true;
    rt_session_ref(s);
    if (rt_post(s->lp->index, &k->task) < 0) {
        s->refs--;
        free(k);
        rt_session_close(s, "closed by the server");
    }
}

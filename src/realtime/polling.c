/* realtime/polling.c -- the HTTP long-polling transport.
 *
 * GET /socket.io/?EIO=4&transport=polling without sid is the handshake: a
 * session is created on the loop that got the request and the answer is
 * the open packet. Every later GET or POST names its sid; the request's
 * coroutine packs the operation into an rt_poll_op_t on its own stack,
 * posts it to the owner loop and yields until the owner posts it back
 * (always through the mailbox, even when the owner is this loop, so that
 * session code never runs inside a request coroutine). A GET waits at the
 * owner as the session's `waiter` until packets are queued, the session
 * upgrades or closes, or the heartbeat queues a ping; a POST is decoded
 * and fed to the session at once.
 *
 * Ownership: the op and the request body belong to the waiting coroutine,
 * which cannot finish before `done` is set, so the owner may read and
 * write them until it posts the op back.
 */
#include "realtime/rt_int.h"

#include "core/loopctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rt_poll_op {
    rt_task_t task;
    int home;                 /* loop of the waiting coroutine */
    coro_t *co;
    bool done;
    bool post;
    bool too_large;
    char sid[RT_SID_LEN + 1];
    uint8_t *body;            /* POST body (the request's) */
    size_t len;
    int status;
    const char *code, *msg;
    buf_t out;                /* 200: the response body */
    const char *ctype;
} rt_poll_op_t;

rt_qnode_t *rt_session_take_queue(rt_session_t *s);

static void op_at_home(rt_task_t *t)
{
    rt_poll_op_t *op = (rt_poll_op_t *)t;
    op->done = true;
    coro_resume(op->co);
}

static void op_complete(rt_poll_op_t *op)
{
    op->task.fn = op_at_home;
    /* Fails only while shutting down; the coroutine is then abandoned
     * with its connection (server.c's grace period). */
    rt_post(op->home, &op->task);
}

static void op_fail(rt_poll_op_t *op, int status, const char *code, const char *msg)
{
    op->status = status;
    op->code = code;
    op->msg = msg;
    op_complete(op);
}

static int encode_queue(rt_qnode_t *q, buf_t *out)
{
    size_t n = 0;
    for (rt_qnode_t *i = q; i; i = i->next)
        n++;
    eio_packet_t *pk = calloc(n, sizeof *pk);
    if (!pk)
        return -ENOMEM;
    size_t k = 0;
    for (rt_qnode_t *i = q; i; i = i->next, k++) {
        rt_msg_t *m = i->m;
        if (m->binary)
            pk[k] = (eio_packet_t){.type = EIO_MESSAGE, .binary = true, .data = m->data,
                                   .len = m->len};
        else
            pk[k] = (eio_packet_t){.type = (eio_type_t)(m->data[0] - '0'), .data = m->data + 1,
                                   .len = m->len - 1};
    }
    size_t need = eio_payload_encoded_len(pk, n), written = 0;
    int rc = buf_reserve(out, need + 1) < 0 ? -ENOMEM : 0;
    if (rc == 0)
        rc = eio_payload_encode(pk, n, (uint8_t *)out->data, need + 1, &written);
    if (rc == 0)
        out->len = written;
    free(pk);
    return rc;
}

void rt_polling_flush(rt_session_t *s, bool force)
{
    rt_poll_op_t *op = s->waiter;
    if (!op || (!s->qhead && !force))
        return;
    s->waiter = NULL;
    rt_qnode_t *q = rt_session_take_queue(s);
    op->status = 200;
    op->ctype = "text/plain; charset=UTF-8";
    if (!q) {
        buf_puts(&op->out, "6");
    } else if (encode_queue(q, &op->out) < 0) {
        op->status = 500;
        op->code = "internal";
        op->msg = "cannot encode the payload";
    }
    if (s->end_after_flush)
        rt_session_close_async(s);
    while (q) {
        rt_qnode_t *n = q->next;
        rt_msg_unref(q->m);
        free(q);
        q = n;
    }
    op_complete(op);
}

static void do_post(rt_session_t *s, rt_poll_op_t *op)
{
    if (op->too_large) {
        rt_session_close(s, "payload too large");
        op_fail(op, 413, "payload_too_large", "the payload exceeds maxPayload");
        return;
    }
    size_t max = 1;
    for (size_t i = 0; i < op->len; i++)
        max += op->body[i] == EIO_SEPARATOR;
    eio_packet_t *pk = calloc(max, sizeof *pk);
    size_t count = 0;
    if (!pk || eio_payload_decode(op->body, op->len, pk, max, &count) != 0) {
        free(pk);
        rt_session_close(s, "malformed payload");
        op_fail(op, 400, "bad_payload", "malformed Engine.IO payload");
        return;
    }
    rt_session_ref(s);
    for (size_t i = 0; i < count && !s->closed; i++)
        rt_session_on_packet(s, &pk[i], NULL);
    rt_session_unref(s);
    free(pk);
    op->status = 200;
    op->ctype = "text/html";
    buf_puts(&op->out, "ok");
    op_complete(op);
}

/* Runs on the owner loop. */
static void op_on_owner(rt_task_t *t)
{
    rt_poll_op_t *op = (rt_poll_op_t *)t;
    rt_session_t *s = rt_session_find(&RT.loops[rt_sid_owner(op->sid)], op->sid);
    if (!s) {
        op_fail(op, 400, "session_unknown", "Session ID unknown");
        return;
    }
    if (s->ws_mode) {
        op_fail(op, 400, "bad_transport", "the session uses WebSocket");
        return;
    }
    if (op->post) {
        do_post(s, op);
        return;
    }
    if (s->waiter) {
        /* Two GETs at once: the client is confused; Engine.IO closes. */
        rt_session_close(s, "overlapping polls");
        op_fail(op, 400, "bad_request", "a poll is already pending");
        return;
    }
    s->waiter = op;
    if (s->qhead || s->probe)
        rt_polling_flush(s, true);
}

static void handshake(http_req_t *req, rt_loop_t *here)
{
    if (here->draining) {
        http_send_error(req, 503, "shutting_down", "the server is shutting down");
        return;
    }
    rt_session_t *s = rt_session_create(here, false);
    char open[EIO_OPEN_MAX];
    size_t n = 0;
    if (!s) {
        http_send_error(req, 503, "overloaded", "too many real-time sessions");
        return;
    }
    if (rt_session_open_packet(s, open, sizeof open, &n) != 0) {
        http_send_error(req, 500, "internal", "cannot open a session");
        return;
    }
    http_send_raw(req, 200, "text/plain; charset=UTF-8", open, n);
}

void realtime_polling(http_req_t *req)
{
    rt_loop_t *here = rt_loop_here();
    if (!here) {
        http_send_error(req, 503, "unavailable", "the real-time engine is not running");
        return;
    }
    http_add_header(req, "Cache-Control", "no-store");
    const char *eio = http_query(req, "EIO");
    const char *transport = http_query(req, "transport");
    const char *sid = http_query(req, "sid");
    bool post = strcmp(req->method_name, "POST") == 0;
    if (!eio || strcmp(eio, "4") != 0) {
        http_send_error(req, 400, "unsupported_protocol_version", "EIO must be 4");
        return;
    }
    if (!transport || strcmp(transport, "polling") != 0) {
        http_send_error(req, 400, "unknown_transport",
                        "transport must be polling (websocket needs an Upgrade)");
        return;
    }
    if (!sid) {
        if (post)
            http_send_error(req, 400, "session_unknown", "a POST needs a sid");
        else
            handshake(req, here);
        return;
    }
    int owner = rt_sid_owner(sid);
    if (owner < 0) {
        http_send_error(req, 400, "session_unknown", "Session ID unknown");
        return;
    }
    rt_poll_op_t op = {.home = here->index, .co = coro_current(), .post = post,
                       .out = BUF_INIT};
    snprintf(op.sid, sizeof op.sid, "%s", sid);
    if (post) {
        if (req->body.len == 0) {
            http_send_error(req, 400, "bad_payload", "empty payload");
            return;
        }
        op.body = (uint8_t *)req->body.data;
        op.len = req->body.len;
        op.too_large = op.len > RT.cfg.max_payload;
    }
    op.task.fn = op_on_owner;
    if (!op.co || rt_post(owner, &op.task) < 0) {
        http_send_error(req, 503, "unavailable", "the session's loop is not running");
        return;
    }
    while (!op.done)
        coro_yield();
    if (op.status == 200)
        http_send_raw(req, 200, op.ctype, op.out.data, op.out.len);
    else
        http_send_error(req, op.status, op.code, "%s", op.msg);
    buf_free(&op.out);
}

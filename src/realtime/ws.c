/* realtime/ws.c -- the WebSocket transport (RFC 6455 through wslay).
 *
 * Adoption: server.c hands over a connection whose request asked for an
 * upgrade. realtime_ws_adopt() validates it on the loop that parsed it,
 * dup()s the socket and posts the fd to the session's owner loop (the one
 * in the sid, or this loop for a new WebSocket-only session); the server
 * then closes its own handle. The owner opens a uv_tcp_t on the fd, checks
 * the sid, answers 101 (or 400) and from then on drives wslay.
 *
 * wslay is driven from one place, ws_proceed(): it feeds what was read,
 * lets wslay send what is queued and decides whether the connection is
 * finished. Callbacks that want to close only queue a close frame; the
 * TCP handle closes once the close frame is written, never inside a wslay
 * call. Writes are copied into uv_write requests; over WS_HIGH_WATER bytes
 * in flight the send callback reports WOULDBLOCK and the write callback
 * resumes. A peer that lets more than max_queue_bytes pile up is closed.
 *
 * Memory: rt_ws_t owns its wslay context and is freed in the TCP close
 * callback. It holds a reference on its session while attached.
 */
#include "realtime/rt_int.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define WS_HIGH_WATER (256 * 1024)
#define WS_DEFLATE_MIN 1024 /* smaller messages go out uncompressed */
#define WS_DEFLATE_RESPONSE \
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

static _Thread_local buf_t tl_zin, tl_zout; /* (de)compression scratch, per loop */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct rt_ws {
    uv_tcp_t tcp;
    rt_loop_t *lp;
    rt_ws_t *prev, *next;  /* lp->ws_list */
    rt_session_t *s;
    wslay_event_context_ptr ctx;
    const uint8_t *rbuf;
    size_t rlen;
    size_t inflight;
    bool in_proceed;
    bool closing;          /* the TCP handle is closing */
    bool fail;             /* write failed: close without ceremony */
    uint16_t close_code;   /* close frame to send once data is out (0: none) */
    bool deflate;          /* permessage-deflate negotiated */
    bool lingering;        /* close frame out, FIN sent: draining the peer */
    uv_timer_t *linger;    /* bounds the lingering (heap, only then) */
};

typedef struct {
    uv_write_t w;
    rt_ws_t *ws;
    size_t len;
    char data[];
} ws_wreq_t;

static void ws_proceed(rt_ws_t *ws);

/* ---- closing ---- */

static void ws_closed(uv_handle_t *h)
{
    rt_ws_t *ws = h->data;
    if (ws->prev)
        ws->prev->next = ws->next;
    else
        ws->lp->ws_list = ws->next;
    if (ws->next)
        ws->next->prev = ws->prev;
    if (ws->ctx)
        wslay_event_context_free(ws->ctx);
    free(ws);
}

static void ws_detach_session(rt_ws_t *ws, bool close_session)
{
    rt_session_t *s = ws->s;
    if (!s)
        return;
    ws->s = NULL;
    if (s->probe == ws)
        s->probe = NULL;
    if (s->ws == ws) {
        s->ws = NULL;
        /* Asynchronously: this may run while a fan-out walks a room. */
        if (close_session)
            rt_session_close_async(s);
    }
    rt_session_unref(s);
}

static void free_handle(uv_handle_t *h) { free(h); }

static void ws_shutdown(rt_ws_t *ws)
{
    if (ws->closing)
        return;
    ws->closing = true;
    if (ws->linger) {
        uv_close((uv_handle_t *)ws->linger, free_handle);
        ws->linger = NULL;
    }
    ws_detach_session(ws, true);
    uv_read_stop((uv_stream_t *)&ws->tcp);
    uv_close((uv_handle_t *)&ws->tcp, ws_closed);
}

static void linger_over(uv_timer_t *t) { ws_shutdown(t->data); }

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

/* Everything is written: send FIN and read until the peer closes (closing
 * with unread input would reset the connection, and the peer could lose
 * the last frames), for at most two seconds. */
static void ws_linger(rt_ws_t *ws)
{
    if (ws->lingering || ws->closing)
        return;
    ws->lingering = true;
    ws_detach_session(ws, true);
    uv_shutdown_t *req = malloc(sizeof *req);
    ws->linger = malloc(sizeof *ws->linger);
    if (!req || !ws->linger || uv_shutdown(req, (uv_stream_t *)&ws->tcp, shutdown_cb) != 0) {
        free(req);
        free(ws->linger);
        ws->linger = NULL;
        ws_shutdown(ws);
        return;
    }
    uv_timer_init(ws->lp->uv, ws->linger);
    ws->linger->data = ws;
    uv_timer_start(ws->linger, linger_over, 2000, 0);
}

void rt_ws_detach(rt_ws_t *ws) { ws_detach_session(ws, false); }

void rt_ws_close(rt_ws_t *ws, uint16_t code)
{
    ws_detach_session(ws, false);
    if (ws->closing)
        return;
    /* wslay sends control frames ahead of queued data, so the close frame
     * waits until the data before it is out (ws_proceed). */
    if (ws->ctx && !ws->close_code)
        ws->close_code = code;
    if (!ws->in_proceed)
        ws_proceed(ws);
}

/* ---- writing ---- */

static void write_cb(uv_write_t *w, int status)
{
    ws_wreq_t *wr = (ws_wreq_t *)w;
    rt_ws_t *ws = wr->ws;
    ws->inflight -= wr->len;
    free(wr);
    if (ws->closing || ws->lingering)
        return;
    if (status < 0)
        ws->fail = true;
    ws_proceed(ws);
}

/* Writes at once when nothing is in flight (the common case: no copy, and
 * a close frame leaves even if the loop stops right after); the rest goes
 * through a copied uv_write. */
static int ws_write(rt_ws_t *ws, const void *data, size_t len)
{
    if (ws->inflight == 0) {
        uv_buf_t b0 = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&ws->tcp, &b0, 1);
        if (n == (int)len)
            return 0;
        if (n > 0) {
            data = (const char *)data + n;
            len -= (size_t)n;
        } else if (n != UV_EAGAIN) {
            return -1;
        }
    }
    ws_wreq_t *wr = malloc(sizeof *wr + len);
    if (!wr)
        return -1;
    memcpy(wr->data, data, len);
    wr->ws = ws;
    wr->len = len;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)len);
    if (uv_write(&wr->w, (uv_stream_t *)&ws->tcp, &b, 1, write_cb) != 0) {
        free(wr);
        return -1;
    }
    ws->inflight += len;
    return 0;
}

void rt_ws_send(rt_ws_t *ws, rt_msg_t *m)
{
    if (ws->closing || !ws->ctx || ws->close_code || wslay_event_get_close_sent(ws->ctx))
        return;
    struct wslay_event_msg msg = {
        .opcode = m->binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME,
        .msg = m->data,
        .msg_length = m->len,
    };
    uint8_t rsv = WSLAY_RSV_NONE;
    if (ws->deflate && m->len >= WS_DEFLATE_MIN && rt_deflate_msg(m->data, m->len, &tl_zout) == 0) {
        msg.msg = (const uint8_t *)tl_zout.data;
        msg.msg_length = tl_zout.len;
        rsv = WSLAY_RSV1_BIT;
    }
    if (wslay_event_queue_msg_ex(ws->ctx, &msg, rsv) != 0 ||
        wslay_event_get_queued_msg_length(ws->ctx) > RT.cfg.max_queue_bytes) {
        log_msg(LOG_WARN, "realtime: slow WebSocket client closed", NULL);
        ws->fail = true;
    }
    if (!ws->in_proceed)
        ws_proceed(ws);
}

/* ---- wslay callbacks ---- */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    rt_ws_t *ws = ud;
    if (!ws->rlen) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->rlen ? len : ws->rlen;
    memcpy(buf, ws->rbuf, n);
    ws->rbuf += n;
    ws->rlen -= n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    rt_ws_t *ws = ud;
    if (ws->inflight > WS_HIGH_WATER) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (ws_write(ws, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *ud)
{
    rt_ws_t *ws = ud;
    if (wslay_is_ctrl_frame(arg->opcode) || !ws->s)
        return;
    const uint8_t *data = arg->msg;
    size_t len = arg->msg_length;
    if (arg->rsv & WSLAY_RSV1_BIT) {
        int rc = ws->deflate ? rt_inflate_msg(data, len, RT.cfg.max_payload, &tl_zin) : -1;
        if (rc < 0) {
            wslay_event_queue_close(ctx, rc == -2 ? 1009 : 1007, NULL, 0);
            return;
        }
        data = (const uint8_t *)tl_zin.data;
        len = tl_zin.len;
    }
    eio_packet_t p;
    if (eio_ws_decode(data, len, arg->opcode == WSLAY_BINARY_FRAME, &p) != 0) {
        wslay_event_queue_close(ctx, 1002, NULL, 0);
        return;
    }
    rt_session_on_packet(ws->s, &p, ws);
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .on_msg_recv_callback = on_msg,
};

/* ---- driving ---- */

static void ws_proceed(rt_ws_t *ws)
{
    if (ws->closing || ws->lingering)
        return;
    ws->in_proceed = true;
    if (ws->ctx && !ws->fail) {
        if (ws->rlen && wslay_event_want_read(ws->ctx) && wslay_event_recv(ws->ctx) != 0)
            ws->fail = true;
        ws->rlen = 0;
        if (!ws->fail && wslay_event_want_write(ws->ctx) && wslay_event_send(ws->ctx) != 0)
            ws->fail = true;
        if (!ws->fail && ws->close_code && !wslay_event_get_close_sent(ws->ctx) &&
            wslay_event_get_queued_msg_count(ws->ctx) == 0) {
            wslay_event_queue_close(ws->ctx, ws->close_code, NULL, 0);
            if (wslay_event_send(ws->ctx) != 0)
                ws->fail = true;
        }
    }
    ws->in_proceed = false;
    if (ws->fail) {
        ws_shutdown(ws);
        return;
    }
    bool done = false;
    if (!ws->ctx)
        done = ws->inflight == 0; /* an error answer was written */
    else if (ws->inflight == 0 && !wslay_event_want_write(ws->ctx) &&
             (wslay_event_get_close_sent(ws->ctx) || !wslay_event_want_read(ws->ctx)))
        done = true;
    if (done)
        ws_linger(ws);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    static _Thread_local char slab[32 * 1024];
    b->base = slab;
    b->len = sizeof slab;
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    rt_ws_t *ws = st->data;
    if (n < 0) {
        ws_shutdown(ws);
        return;
    }
    if (ws->lingering)
        return; /* discarded */
    ws->rbuf = (const uint8_t *)b->base;
    ws->rlen = (size_t)n;
    ws_proceed(ws);
}

/* The loop stopped: close every connection that is still open. */
void rt_ws_close_all(rt_loop_t *lp)
{
    for (rt_ws_t *ws = lp->ws_list; ws; ws = ws->next)
        ws_shutdown(ws);
    buf_free(&tl_zin);
    buf_free(&tl_zout);
}

/* ---- adoption ---- */

typedef struct {
    rt_task_t task;
    int fd;
    bool has_sid;
    bool deflate;
    char sid[RT_SID_LEN + 1];
    char accept[32];
    size_t len;
    uint8_t leftover[];
} adopt_t;

static void answer_error(rt_ws_t *ws, int status)
{
    char head[160];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status,
                     http_reason(status));
    if (ws_write(ws, head, (size_t)n) < 0)
        ws->fail = true;
    ws_proceed(ws);
}

static rt_session_t *attach(rt_ws_t *ws, adopt_t *a)
{
    rt_loop_t *lp = ws->lp;
    if (a->has_sid) {
        rt_session_t *s = rt_session_find(lp, a->sid);
        if (!s || s->ws_mode || s->probe)
            return NULL;
        s->probe = ws;
        return s;
    }
    if (lp->draining)
        return NULL;
    rt_session_t *s = rt_session_create(lp, true);
    if (s)
        s->ws = ws;
    return s;
}

static void adopt_run(rt_task_t *t)
{
    adopt_t *a = (adopt_t *)t;
    rt_loop_t *lp = rt_loop_here();
    rt_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws || uv_tcp_init(lp->uv, &ws->tcp) != 0) {
        close(a->fd);
        free(ws);
        free(a);
        return;
    }
    ws->lp = lp;
    ws->tcp.data = ws;
    ws->next = lp->ws_list;
    if (lp->ws_list)
        lp->ws_list->prev = ws;
    lp->ws_list = ws;
    if (uv_tcp_open(&ws->tcp, a->fd) != 0) {
        close(a->fd);
        ws_shutdown(ws);
        free(a);
        return;
    }
    uv_tcp_nodelay(&ws->tcp, 1);
    rt_session_t *s = attach(ws, a);
    if (!s) {
        answer_error(ws, a->has_sid ? 400 : 503);
        free(a);
        return;
    }
    ws->s = s;
    rt_session_ref(s);
    char head[320];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
                     a->accept,
                     a->deflate ? "Sec-WebSocket-Extensions: " WS_DEFLATE_RESPONSE "\r\n" : "");
    if (ws_write(ws, head, (size_t)n) < 0 ||
        wslay_event_context_server_init(&ws->ctx, &callbacks, ws) != 0) {
        ws->fail = true;
        ws_proceed(ws);
        free(a);
        return;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, RT.cfg.max_payload + 1);
    if (a->deflate) {
        ws->deflate = true;
        wslay_event_config_set_allowed_rsv_bits(ws->ctx, WSLAY_RSV1_BIT);
    }
    if (!a->has_sid) {
        char open[EIO_OPEN_MAX];
        size_t olen = 0;
        if (rt_session_open_packet(s, open, sizeof open, &olen) == 0)
            rt_session_send_text(s, open, olen);
    }
    ws->rbuf = a->leftover;
    ws->rlen = a->len;
    ws_proceed(ws);
    ws->rlen = 0;
    free(a);
    if (!ws->closing)
        uv_read_start((uv_stream_t *)&ws->tcp, alloc_cb, read_cb);
}

static bool header_has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = v; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && p[m - 1] == ' ')
            m--;
        if (m == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p += n;
    }
    return false;
}

/* Whether one offer of Sec-WebSocket-Extensions is a permessage-deflate we
 * can serve: no context takeover both ways (we answer so), and no
 * server window smaller than zlib's 15 bits. */
static bool deflate_offer_ok(const char *offer, size_t n)
{
    char buf[256];
    if (n >= sizeof buf)
        return false;
    memcpy(buf, offer, n);
    buf[n] = '\0';
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (first) {
            if (strcasecmp(tok, "permessage-deflate") != 0)
                return false;
            first = false;
        } else if (strncasecmp(tok, "client_max_window_bits", 22) != 0 &&
                   strcasecmp(tok, "server_no_context_takeover") != 0 &&
                   strcasecmp(tok, "client_no_context_takeover") != 0 &&
                   strcasecmp(tok, "server_max_window_bits=15") != 0) {
            return false;
        }
    }
    return !first;
}

static bool want_deflate(const char *ext)
{
    for (const char *p = ext; p && *p;) {
        size_t n = strcspn(p, ",");
        if (deflate_offer_ok(p, n))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static int accept_key(const char *key, char out[32])
{
    uint8_t raw[32];
    size_t rawlen = 0;
    size_t klen = strlen(key);
    if (klen != 24 || eio_base64_decode(key, klen, raw, &rawlen) != 0 || rawlen != 16)
        return -1;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s%s", key, WS_GUID);
    uint8_t digest[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, (size_t)n, digest) != 0)
        return -1;
    eio_base64_encode(digest, sizeof digest, out);
    out[28] = '\0';
    return 0;
}

int realtime_ws_adopt(uv_tcp_t *tcp, http_req_t *req, const char *leftover, size_t len)
{
    const char *upgrade = http_header(req, "upgrade");
    if (!req->path || (strcmp(req->path, "/socket.io/") && strcmp(req->path, "/socket.io")) ||
        !upgrade || !header_has_token(upgrade, "websocket"))
        return -1;
    rt_loop_t *here = rt_loop_here();
    if (!here)
        return 503;
    const char *eio = http_query(req, "EIO");
    const char *transport = http_query(req, "transport");
    const char *sid = http_query(req, "sid");
    const char *key = http_header(req, "sec-websocket-key");
    const char *version = http_header(req, "sec-websocket-version");
    const char *conn = http_header(req, "connection");
    if (strcmp(req->method_name, "GET") != 0 || !eio || strcmp(eio, "4") != 0 || !transport ||
        strcmp(transport, "websocket") != 0 || !key || !version || strcmp(version, "13") != 0 ||
        !conn || !header_has_token(conn, "upgrade") || len > RT.cfg.max_payload + 16)
        return 400;
    int owner = sid ? rt_sid_owner(sid) : here->index;
    if (owner < 0)
        return 400;
    adopt_t *a = calloc(1, sizeof *a + len);
    if (!a)
        return 503;
    if (accept_key(key, a->accept) < 0) {
        free(a);
        return 400;
    }
    int fd = -1;
    uv_os_fd_t ofd;
    if (uv_fileno((uv_handle_t *)tcp, &ofd) != 0 || (fd = fcntl(ofd, F_DUPFD_CLOEXEC, 0)) < 0) {
        free(a);
        return 503;
    }
    a->fd = fd;
    a->has_sid = sid != NULL;
    a->deflate = want_deflate(http_header(req, "sec-websocket-extensions"));
    if (sid)
        snprintf(a->sid, sizeof a->sid, "%s", sid);
    a->len = len;
    if (len)
        memcpy(a->leftover, leftover, len);
    a->task.fn = adopt_run;
    if (rt_post(owner, &a->task) < 0) {
        close(fd);
        free(a);
        return 503;
    }
    return 0;
}

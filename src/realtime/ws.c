/* realtime/ws.c -- the WebSocket transport (RFC 6455).
 *
 * Adoption: server.c hands over a connection whose request asked for an
 * upgrade. realtime_ws_adopt() validates it on the loop that parsed it,
 * dup()s the socket and posts the fd to the session's owner loop (the one
 * in the sid, or this loop for a new WebSocket-only session); the server
 * then closes its own handle. The owner opens a uv_tcp_t on the fd, checks
 * the sid, answers 101 (or 400) and from then on frames the connection.
 *
 * Framing is ws_frame.c (a ~90-byte parser that allocates only while a
 * message is split over reads), so an idle connection costs its uv_tcp_t
 * and this struct. Reads land in one slab per loop thread and are
 * unmasked in place. Writes go straight to the socket: a 2-10 byte frame
 * header plus the message's shared payload (rt_msg_t, refcounted; server
 * frames are unmasked, so a fan-out sends the same bytes to every
 * recipient) with uv_try_write (writev, no copy); what the kernel does not
 * take at once is queued with uv_write holding a reference on the message
 * (no copy either, except for a compressed payload). A peer that lets more
 * than max_queue_bytes pile up is closed as a slow consumer.
 *
 * Closing: a close frame is written after everything queued before it
 * (libuv keeps write order); once it is out the connection lingers (FIN,
 * read until the peer closes, at most 2 s). Nothing is freed inside a
 * callback: rt_ws_t is freed in the TCP close callback. It holds a
 * reference on its session while attached.
 */
#include "realtime/rt_int.h"

#include "core/log.h"
#include "realtime/ws_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define WS_DEFLATE_MIN 1024 /* smaller messages go out uncompressed */
#define WS_DEFLATE_RESPONSE \
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* Per loop thread: (de)compression scratch, and the last message
 * compressed (a reference), so a fan-out compresses once per loop. */
static _Thread_local buf_t tl_zin, tl_zout;
static _Thread_local rt_msg_t *tl_zmsg;

struct rt_ws {
    uv_tcp_t tcp;
    rt_loop_t *lp;
    rt_ws_t *prev, *next;  /* lp->ws_list */
    rt_session_t *s;
    ws_parser_t parser;
    size_t inflight;       /* bytes queued in uv_write requests */
    bool upgraded;         /* 101 sent: frames from now on */
    bool closing;          /* the TCP handle is closing */
    bool fail;             /* write failed: close without ceremony */
    bool close_sent;
    bool deflate;          /* permessage-deflate negotiated */
    bool lingering;        /* close frame out, FIN sent: draining the peer */
    uv_timer_t *linger;    /* bounds the lingering (heap, only then) */
};

typedef struct {
    uv_write_t w;
    rt_ws_t *ws;
    size_t len;
    rt_msg_t *m;           /* the payload's owner, or NULL (copied into data) */
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    char data[];
} ws_wreq_t;

static void ws_settle(rt_ws_t *ws);

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
    ws_parser_free(&ws->parser);
    free(ws);
}

static void ws_detach_session(rt_ws_t *ws, bool close_session)
{
    rt_session_t *s = ws->s;
    if (!s)
        return;
    ws->s = NULL;
    if (s->probe == ws) {
        s->probe = NULL;
        if (s->end_on_upgrade) /* draining, and the upgrade will not come */
            rt_session_close_async(s);
    }
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
    ws_parser_free(&ws->parser);
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

/* Decides what comes next after any event: a failed connection closes at
 * once; one whose close frame (or HTTP error answer) is fully written
 * lingers. */
static void ws_settle(rt_ws_t *ws)
{
    if (ws->closing || ws->lingering)
        return;
    if (ws->fail)
        ws_shutdown(ws);
    else if ((ws->close_sent || !ws->upgraded) && ws->inflight == 0)
        ws_linger(ws);
}

/* ---- writing ---- */

static void write_cb(uv_write_t *w, int status)
{
    ws_wreq_t *wr = (ws_wreq_t *)w;
    rt_ws_t *ws = wr->ws;
    ws->inflight -= wr->len;
    if (wr->m)
        rt_msg_unref(wr->m);
    free(wr);
    if (ws->closing || ws->lingering)
        return;
    if (status < 0)
        ws->fail = true;
    ws_settle(ws);
}

/* Writes hdr + payload: at once when nothing is queued (the common case:
 * no allocation, no copy), the rest through a uv_write that references
 * `owner` (payload inside it, kept alive by a reference) or, when owner
 * is NULL, copies what is left. Sets ws->fail on error or overflow. */
static void ws_write2(rt_ws_t *ws, const uint8_t *hdr, size_t hlen, const void *payload,
                      size_t plen, rt_msg_t *owner)
{
    if (ws->fail || ws->closing || ws->lingering)
        return;
    size_t done = 0;
    if (ws->inflight == 0) {
        uv_buf_t bufs[2] = {uv_buf_init((char *)hdr, (unsigned)hlen),
                            uv_buf_init((char *)payload, (unsigned)plen)};
        int n = uv_try_write((uv_stream_t *)&ws->tcp, bufs, plen ? 2 : 1);
        if (n == (int)(hlen + plen))
            return;
        if (n > 0)
            done = (size_t)n;
        else if (n != UV_EAGAIN) {
            ws->fail = true;
            return;
        }
    }
    size_t hleft = done < hlen ? hlen - done : 0;
    size_t pskip = done > hlen ? done - hlen : 0;
    size_t pleft = plen - pskip;
    if (ws->inflight + hleft + pleft > RT.cfg.max_queue_bytes) {
        log_msg(LOG_WARN, "realtime: slow WebSocket client closed", NULL);
        ws->fail = true;
        return;
    }
    ws_wreq_t *wr = malloc(sizeof *wr + (owner ? 0 : pleft));
    if (!wr) {
        ws->fail = true;
        return;
    }
    wr->ws = ws;
    wr->len = hleft + pleft;
    wr->m = owner ? rt_msg_ref(owner) : NULL;
    memcpy(wr->hdr, hdr + (hlen - hleft), hleft);
    const char *p = (const char *)payload + pskip;
    if (!owner) {
        memcpy(wr->data, p, pleft);
        p = wr->data;
    }
    uv_buf_t bufs[2];
    unsigned nb = 0;
    if (hleft)
        bufs[nb++] = uv_buf_init((char *)wr->hdr, (unsigned)hleft);
    if (pleft)
        bufs[nb++] = uv_buf_init((char *)p, (unsigned)pleft);
    if (uv_write(&wr->w, (uv_stream_t *)&ws->tcp, bufs, nb, write_cb) != 0) {
        if (wr->m)
            rt_msg_unref(wr->m);
        free(wr);
        ws->fail = true;
        return;
    }
    ws->inflight += wr->len;
}

static void ws_write(rt_ws_t *ws, const void *data, size_t len)
{
    ws_write2(ws, data, len, NULL, 0, NULL);
}

static void ws_send_frame(rt_ws_t *ws, int opcode, const void *data, size_t len)
{
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    size_t hlen = ws_frame_header(hdr, opcode, false, len);
    ws_write2(ws, hdr, hlen, data, len, NULL);
}

static void ws_send_close(rt_ws_t *ws, uint16_t code)
{
    if (ws->close_sent || !ws->upgraded)
        return;
    ws->close_sent = true;
    uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    ws_send_frame(ws, WS_OP_CLOSE, body, code ? 2 : 0);
}

/* The payload of m as this connection sends it: compressed when deflate
 * was negotiated and m is large (once per message per loop). */
static bool compressed(rt_msg_t *m, const uint8_t **out, size_t *len)
{
    if (m != tl_zmsg) {
        if (tl_zmsg)
            rt_msg_unref(tl_zmsg);
        tl_zmsg = NULL;
        if (rt_deflate_msg(m->data, m->len, &tl_zout) != 0)
            return false;
        tl_zmsg = rt_msg_ref(m);
    }
    *out = (const uint8_t *)tl_zout.data;
    *len = tl_zout.len;
    return true;
}

void rt_ws_send(rt_ws_t *ws, rt_msg_t *m)
{
    if (ws->closing || ws->lingering || ws->fail || ws->close_sent || !ws->upgraded)
        return;
    int op = m->binary ? WS_OP_BINARY : WS_OP_TEXT;
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    const uint8_t *z;
    size_t zlen;
    if (ws->deflate && m->len >= WS_DEFLATE_MIN && compressed(m, &z, &zlen)) {
        size_t hlen = ws_frame_header(hdr, op, true, zlen);
        ws_write2(ws, hdr, hlen, z, zlen, NULL);
    } else {
        size_t hlen = ws_frame_header(hdr, op, false, m->len);
        ws_write2(ws, hdr, hlen, m->data, m->len, m);
    }
    if (ws->fail)
        ws_shutdown(ws); /* closes the session asynchronously */
}

void rt_ws_detach(rt_ws_t *ws) { ws_detach_session(ws, false); }

void rt_ws_close(rt_ws_t *ws, uint16_t code)
{
    ws_detach_session(ws, false);
    if (ws->closing)
        return;
    ws_send_close(ws, code);
    ws_settle(ws);
}

/* ---- reading ---- */

static int on_frame(void *ud, int opcode, bool rsv1, uint8_t *data, size_t len)
{
    rt_ws_t *ws = ud;
    if (opcode == WS_OP_CLOSE) {
        uint16_t code = len >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
        ws_detach_session(ws, true);
        ws_send_close(ws, code == 1005 || code == 1006 || code == 1015 ? 1002 : code);
        return 1;
    }
    if (opcode == WS_OP_PING) {
        if (!ws->close_sent)
            ws_send_frame(ws, WS_OP_PONG, data, len);
        return ws->fail;
    }
    if (opcode == WS_OP_PONG || !ws->s || ws->close_sent)
        return ws->fail;
    if (rsv1) {
        int rc = rt_inflate_msg(data, len, RT.cfg.max_payload, &tl_zin);
        if (rc < 0) {
            ws_send_close(ws, rc == -2 ? 1009 : 1007);
            return 1;
        }
        data = (uint8_t *)tl_zin.data;
        len = tl_zin.len;
    }
    eio_packet_t p;
    if (eio_ws_decode(data, len, opcode == WS_OP_BINARY, &p) != 0) {
        ws_send_close(ws, 1002);
        return 1;
    }
    rt_session_on_packet(ws->s, &p, ws);
    return ws->fail || ws->close_sent || ws->closing;
}

/* Feeds bytes read (writable: unmasked in place). */
static void ws_feed(rt_ws_t *ws, uint8_t *data, size_t len)
{
    if (ws->closing || ws->lingering || ws->close_sent || ws->fail)
        return; /* after our close frame, input is discarded */
    int rc = ws_parse(&ws->parser, data, len, on_frame, ws);
    if (rc < 0)
        ws_send_close(ws, (uint16_t)-rc);
    if (rc != 0 && !ws->close_sent && !ws->fail)
        ws_send_close(ws, 1000);
    ws_settle(ws);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    static _Thread_local char slab[64 * 1024];
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
    if (n > 0)
        ws_feed(ws, (uint8_t *)b->base, (size_t)n);
}

/* The loop stopped: close every connection that is still open. */
void rt_ws_close_all(rt_loop_t *lp)
{
    for (rt_ws_t *ws = lp->ws_list; ws; ws = ws->next)
        ws_shutdown(ws);
    if (tl_zmsg)
        rt_msg_unref(tl_zmsg);
    tl_zmsg = NULL;
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
    ws_write(ws, head, (size_t)n);
    ws_settle(ws);
}

static rt_session_t *attach(rt_ws_t *ws, adopt_t *a)
{
    rt_loop_t *lp = ws->lp;
    if (a->has_sid) {
        rt_session_t *s = rt_session_find(lp, a->sid);
        if (!s || s->ws_mode || s->probe)
            return NULL;
        s->probe = ws;
        s->probe_acked = false;
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
    ws_write(ws, head, (size_t)n);
    if (ws->fail) {
        ws_settle(ws);
        free(a);
        return;
    }
    ws->upgraded = true;
    ws->deflate = a->deflate;
    ws_parser_init(&ws->parser, RT.cfg.max_payload + 1, a->deflate);
    if (!a->has_sid) {
        char open[EIO_OPEN_MAX];
        size_t olen = 0;
        if (rt_session_open_packet(s, open, sizeof open, &olen) == 0)
            rt_session_send_text(s, open, olen);
    }
    if (a->len)
        ws_feed(ws, a->leftover, a->len);
    else
        ws_settle(ws);
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

/*
 * response.c - turning a finished request into bytes on the wire.
 *
 * A response is first offered to the socket as it is (headers and body in
 * one writev, no copy); only what the kernel did not take is copied into
 * a heap buffer for one uv_write, which its callback frees. Most answers
 * leave in that first call, with no allocation and no change to what the
 * loop polls for. JSON bodies over 1 KiB are
 * gzipped when the client accepts it. Security headers go on every
 * response.
 */
#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"
#include "http/server.h"
#include "http/server_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZIP_MIN 1024

typedef struct {
    uv_write_t w;
    conn_t *c;
    char data[];
} wreq_t;

const char *loop_date(loop_t *lp)
{
    int64_t now = clock_now_ms() / 1000;
    if (now != lp->date_sec) {
        time_t t = (time_t)now;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(lp->date, sizeof lp->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        lp->date_sec = now;
    }
    return lp->date;
}

static void write_cb(uv_write_t *w, int status)
{
    wreq_t *wr = (wreq_t *)w;
    conn_t *c = wr->c;
    free(wr);
    c->writes--;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->close_after && !c->head && c->writes == 0)
        conn_close(c);
}

/* 0 when the bytes left or are queued (c->writes counts queued writes),
 * -1 when the connection failed. */
static int send_bytes(conn_t *c, buf_t *head, const char *body, size_t blen)
{
    size_t sent = 0, total = head->len + blen;
    if (c->writes == 0) { /* nothing queued: writing now keeps the order */
        uv_buf_t now[2] = {uv_buf_init(head->data, (unsigned)head->len),
                           uv_buf_init((char *)body, (unsigned)blen)};
        int n = uv_try_write((uv_stream_t *)&c->tcp, now, blen ? 2 : 1);
        if (n < 0 && n != UV_EAGAIN)
            return -1;
        sent = n > 0 ? (size_t)n : 0;
        if (sent == total)
            return 0;
    }
    wreq_t *wr = malloc(sizeof *wr + total - sent);
    if (!wr)
        return -1;
    size_t at = 0;
    if (sent < head->len) {
        memcpy(wr->data, head->data + sent, head->len - sent);
        at = head->len - sent;
    }
    size_t boff = sent > head->len ? sent - head->len : 0;
    if (blen > boff)
        memcpy(wr->data + at, body + boff, blen - boff);
    wr->c = c;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)(total - sent));
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        free(wr);
        return -1;
    }
    c->writes++;
    return 0;
}

static bool accepts_gzip(const http_req_t *req)
{
    const char *ae = http_header(req, "accept-encoding");
    if (!ae)
        return false;
    const char *g = strstr(ae, "gzip");
    if (!g)
        return false;
    /* "gzip;q=0" refuses it. */
    const char *q = g + 4;
    while (*q == ' ')
        q++;
    if (*q == ';') {
        const char *v = strstr(q, "q=");
        if (v && strtod(v + 2, NULL) == 0.0)
            return false;
    }
    return true;
}

static int gzip_body(const buf_t *in, buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, in->len);
    if (buf_reserve(out, bound) < 0) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)in->data;
    z.avail_in = (uInt)in->len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static void security_headers(buf_t *h)
{
    buf_puts(h, "X-Content-Type-Options: nosniff\r\n"
                "X-Frame-Options: DENY\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "Cross-Origin-Resource-Policy: same-origin\r\n");
}

int response_write(conn_t *c, http_req_t *req)
{
    http_res_t *res = &req->res;
    buf_t h = BUF_INIT;
    buf_t gz = BUF_INIT;
    const buf_t *body = &res->body;
    bool json = res->content_type && strncmp(res->content_type, "application/json", 16) == 0;
    if (json && !res->no_compress && body->len > GZIP_MIN && accepts_gzip(req) &&
        gzip_body(body, &gz) == 0) {
        body = &gz;
    }
    buf_printf(&h, "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Length: %zu\r\n", res->status,
               http_reason(res->status), loop_date(c->lp), body->len);
    if (res->content_type)
        buf_printf(&h, "Content-Type: %s\r\n", res->content_type);
    if (body == &gz)
        buf_puts(&h, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
    if (req->request_id[0])
        buf_printf(&h, "X-Request-Id: %s\r\n", req->request_id);
    security_headers(&h);
    if (res->headers.len)
        buf_append(&h, res->headers.data, res->headers.len);
    bool keep = req->keep_alive && !c->close_after && !c->lp->draining;
    if (!keep)
        req->keep_alive = false;
    buf_puts(&h, keep ? "\r\n" : "Connection: close\r\n\r\n");
    int rc = h.data ? send_bytes(c, &h, req->head ? NULL : body->data, req->head ? 0 : body->len)
                    : -1;
    buf_free(&h);
    buf_free(&gz);
    return rc;
}

/* A request the parser refused before any handler ran: answer and close. */
void response_early_error(conn_t *c, int status, const char *code, const char *msg)
{
    buf_t body = BUF_INIT, h = BUF_INIT;
    char rid[40];
    uuid_v7(rid);
    buf_printf(&body, "{\"error\":{\"code\":\"%s\",\"message\":", code ? code : "bad_request");
    const char *m = msg ? msg : http_reason(status);
    buf_json_str(&body, m, strlen(m));
    buf_printf(&body, ",\"requestId\":\"%s\"}}", rid);
    buf_printf(&h, "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nX-Request-Id: %s\r\nConnection: close\r\n",
               status, http_reason(status), loop_date(c->lp), body.len, rid);
    security_headers(&h);
    buf_puts(&h, "\r\n");
    c->close_after = true;
    if (c->head) {
        /* Earlier pipelined requests are still pending: they are answered
         * in order, then the connection closes without this answer. */
        buf_free(&body);
        buf_free(&h);
        return;
    }
    if (!h.data || !body.data || send_bytes(c, &h, body.data, body.len) < 0 || c->writes == 0)
        conn_close(c); /* failed, or already on the wire: nothing will call back */
    buf_free(&body);
    buf_free(&h);
}

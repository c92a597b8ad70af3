/*
 * parse.c - http_parser's callbacks for a connection: the request head and
 * body into the http_req_t being parsed, with the limits (header bytes and
 * count, body size per route), the 100-continue answer, and the timeouts
 * each stage arms. A refusal records its status in the conn_t and stops
 * the parser; server.c answers it (read_cb).
 */
#include "http/server.h"
#include "http/server_internal.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 100

int conn_refuse(conn_t *c, int status, const char *code)
{
    c->error_status = status;
    c->error_code = code;
    return -1;
}

static int count_header_bytes(conn_t *c, size_t n)
{
    c->header_bytes += n;
    return c->header_bytes > MAX_HEADER_BYTES ? conn_refuse(c, 431, "headers_too_large") : 0;
}

static int on_message_begin(http_parser *p)
{
    conn_t *c = p->data;
    http_req_t *req = calloc(1, sizeof *req);
    if (!req)
        return conn_refuse(c, 503, "overloaded");
    pool_init(&req->pool);
    req->conn = c;
    req->route_index = -1;
    req->start_ns = clock_mono_ns();
    snprintf(req->client_ip, sizeof req->client_ip, "%s", c->ip);
    c->parsing = req;
    c->header_bytes = 0;
    c->content_lengths = 0;
    c->in_value = false;
    buf_reset(&c->url);
    buf_reset(&c->field);
    buf_reset(&c->value);
    conn_arm_timer(c, server_config()->header_timeout_ms);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    conn_t *c = p->data;
    if (count_header_bytes(c, n) < 0)
        return -1;
    return buf_append(&c->url, at, n) < 0 ? conn_refuse(c, 503, "overloaded") : 0;
}

static int commit_header(conn_t *c)
{
    http_req_t *req = c->parsing;
    if (!c->field.len)
        return 0;
    if (req->nheaders == MAX_HEADERS)
        return conn_refuse(c, 431, "headers_too_large");
    if (req->nheaders == req->cap_headers) {
        int cap = req->cap_headers ? req->cap_headers * 2 : 16;
        http_header_t *h = pool_alloc(&req->pool, sizeof(*h) * (size_t)cap);
        if (!h)
            return conn_refuse(c, 503, "overloaded");
        if (req->nheaders)
            memcpy(h, req->headers, sizeof(*h) * (size_t)req->nheaders);
        req->headers = h;
        req->cap_headers = cap;
    }
    for (size_t i = 0; i < c->field.len; i++)
        if (c->field.data[i] >= 'A' && c->field.data[i] <= 'Z')
            c->field.data[i] = (char)(c->field.data[i] + 32);
    http_header_t *h = &req->headers[req->nheaders++];
    h->name = pool_strndup(&req->pool, c->field.data, c->field.len);
    h->value = pool_strndup(&req->pool, c->value.data ? c->value.data : "", c->value.len);
    if (!h->name || !h->value)
        return conn_refuse(c, 503, "overloaded");
    if (strcmp(h->name, "content-length") == 0 && ++c->content_lengths > 1)
        return conn_refuse(c, 400, "bad_request");
    buf_reset(&c->field);
    buf_reset(&c->value);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    conn_t *c = p->data;
    if (count_header_bytes(c, n) < 0)
        return -1;
    if (c->in_value) {
        if (commit_header(c) < 0)
            return -1;
        c->in_value = false;
    }
    return buf_append(&c->field, at, n) < 0 ? conn_refuse(c, 503, "overloaded") : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    conn_t *c = p->data;
    if (count_header_bytes(c, n) < 0)
        return -1;
    c->in_value = true;
    return buf_append(&c->value, at, n) < 0 ? conn_refuse(c, 503, "overloaded") : 0;
}

int http_prepare_request(http_req_t *req, const char *url, size_t len);

static int on_headers_complete(http_parser *p)
{
    conn_t *c = p->data;
    http_req_t *req = c->parsing;
    if (commit_header(c) < 0)
        return -1;
    /* Request smuggling: a body framed two ways is refused outright. */
    if ((p->flags & F_CHUNKED) && c->content_lengths)
        return conn_refuse(c, 400, "bad_request");
    if (http_header(req, "transfer-encoding") && !(p->flags & F_CHUNKED))
        return conn_refuse(c, 400, "bad_request");
    req->method = (int)p->method;
    req->method_name = http_method_str((enum http_method)p->method);
    req->head = p->method == HTTP_HEAD;
    req->keep_alive = http_should_keep_alive(p) && !c->lp->draining;
    req->max_body = server_config()->max_body;
    if (http_prepare_request(req, c->url.data ? c->url.data : "", c->url.len) < 0)
        return conn_refuse(c, 400, "bad_request");
    if (req->route && req->route->max_body)
        req->max_body = req->route->max_body;
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX &&
        p->content_length > (uint64_t)req->max_body)
        return conn_refuse(c, 413, "payload_too_large");
    const char *expect = http_header(req, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && !c->head && p->content_length > 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t b = uv_buf_init((char *)cont, sizeof cont - 1);
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    }
    conn_arm_timer(c, server_config()->body_timeout_ms);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    conn_t *c = p->data;
    http_req_t *req = c->parsing;
    if ((int64_t)(req->body.len + n) > req->max_body)
        return conn_refuse(c, 413, "payload_too_large");
    if (buf_append(&req->body, at, n) < 0)
        return conn_refuse(c, 503, "overloaded");
    conn_arm_timer(c, server_config()->body_timeout_ms);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    conn_t *c = p->data;
    http_req_t *req = c->parsing;
    c->parsing = NULL;
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    c->queued++;
    conn_disarm_timer(c);
    if (!req->keep_alive) {
        /* Nothing after this request will be read. */
        http_parser_pause(p, 1);
    }
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

const http_parser_settings *conn_parser_settings(void) { return &settings; }

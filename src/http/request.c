/*
 * request.c - request accessors, URL handling and response builders.
 */
#include "http/router.h"
#include "http/server.h"
#include "http/server_internal.h"

#include "core/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *http_header(const http_req_t *req, const char *name)
{
    for (int i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *http_param(const http_req_t *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

/* Percent-decodes s[0..n) into the pool. plus_space turns '+' into ' '
 * (query strings). NULL on a malformed escape or an encoded NUL. */
static char *pct_decode(pool_t *p, const char *s, size_t n, bool plus_space)
{
    char *out = pool_alloc(p, n + 1);
    if (!out || validate_pct_decode(s, n, out, n + 1, plus_space) < 0)
        return NULL;
    return out;
}

const char *http_query(http_req_t *req, const char *name)
{
    const char *q = req->query;
    size_t nlen = strlen(name);
    while (q && *q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if (klen == nlen && memcmp(q, name, nlen) == 0) {
            if (!eq)
                return "";
            return pct_decode(&req->pool, eq + 1, len - klen - 1, true);
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return NULL;
}

/* Splits the URL, decodes the path and routes the request. -1 when the
 * target is not an origin-form path we can serve. */
int http_prepare_request(http_req_t *req, const char *url, size_t len);
int http_prepare_request(http_req_t *req, const char *url, size_t len)
{
    req->url = pool_strndup(&req->pool, url, len);
    if (!req->url || len == 0 || url[0] != '/')
        return -1;
    const char *qm = memchr(url, '?', len);
    size_t plen = qm ? (size_t)(qm - url) : len;
    if (qm)
        req->query = pool_strndup(&req->pool, qm + 1, len - plen - 1);
    const char *hash = memchr(url, '#', plen);
    if (hash)
        plen = (size_t)(hash - url);
    req->path = pct_decode(&req->pool, url, plen, false);
    if (!req->path)
        return -1;
    char *scratch = pool_strdup(&req->pool, req->path);
    if (!scratch)
        return -1;
    router_match_t m;
    router_match(server_router(), req->method_name, scratch, &m);
    snprintf(req->allow, sizeof req->allow, "%s", m.allow);
    if (m.status == ROUTER_FOUND) {
        req->route = m.route;
        req->route_index = m.route_index;
        req->nparams = m.nparams;
        for (int i = 0; i < m.nparams; i++) {
            req->param_names[i] = m.names[i];
            req->param_values[i] = m.values[i];
        }
    }
    return 0;
}

/* ---- responses ------------------------------------------------------------ */

static void res_reset(http_res_t *res)
{
    buf_reset(&res->body);
}

void http_add_header(http_req_t *req, const char *name, const char *value)
{
    buf_printf(&req->res.headers, "%s: %s\r\n", name, value);
}

void http_send_raw(http_req_t *req, int status, const char *content_type, const void *data,
                   size_t len)
{
    res_reset(&req->res);
    req->res.status = status;
    req->res.content_type = content_type;
    if (len && buf_append(&req->res.body, data, len) < 0)
        req->res.status = 503;
    req->responded = true;
}

void http_send_json(http_req_t *req, int status, json_t *body)
{
    res_reset(&req->res);
    req->res.status = status;
    req->res.content_type = "application/json";
    req->responded = true;
    if (!body)
        return;
    size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT);
    if (buf_reserve(&req->res.body, n) == 0) {
        json_dumpb(body, req->res.body.data, n, JSON_COMPACT);
        req->res.body.len = n;
        req->res.body.data[n] = '\0';
    }
    json_decref(body);
}

static void send_error_body(http_req_t *req, int status, const char *code, const char *msg,
                            json_t *details)
{
    json_t *e = json_pack("{s:s, s:s, s:s}", "code", code, "message", msg, "requestId",
                          req->request_id);
    if (details)
        json_object_set(e, "details", details);
    http_send_json(req, status, json_pack("{s:o}", "error", e));
}

void http_send_error(http_req_t *req, int status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_error_body(req, status, code, msg, NULL);
}

void http_send_apierr(http_req_t *req, apierr_t *err)
{
    send_error_body(req, err->status ? err->status : 500, err->code ? err->code : "internal",
                    err->message[0] ? err->message : "internal error", err->details);
    apierr_clear(err);
}

const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

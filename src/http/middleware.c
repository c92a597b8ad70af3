/*
 * middleware.c - the pipeline every request runs through.
 *
 * Stages run in order inside the request's coroutine; a stage that answers
 * the request (an error, a preflight) ends the pipeline. Then the handler
 * runs. http_finish adds what every response carries (CORS, rate-limit
 * headers, the 500 for a handler that forgot to answer) and records metrics
 * and the access log line.
 */
#include "auth/access.h"
#include "auth/session_cache.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "http/server_internal.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef int (*stage_fn)(http_req_t *req); /* 0 continue, 1 answered */

static ratelimit_t *g_ratelimit;

void middleware_init(const config_t *cfg);
void middleware_init(const config_t *cfg)
{
    if (cfg->rate_limit > 0)
        g_ratelimit = ratelimit_new(cfg->rate_limit, cfg->rate_window_s);
}

static bool valid_request_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

static int stage_request_id(http_req_t *req)
{
    const char *id = http_header(req, "x-request-id");
    if (id && valid_request_id(id))
        snprintf(req->request_id, sizeof req->request_id, "%s", id);
    else
        uuid_v7(req->request_id);
    return 0;
}

/* The allowed origin for this request, or NULL when CORS does not apply. */
static const char *cors_origin(http_req_t *req)
{
    const char *origin = http_header(req, "origin");
    const char *allowed = server_config()->cors_origins;
    if (!origin || !allowed || !*allowed)
        return NULL;
    if (strcmp(allowed, "*") == 0)
        return "*";
    size_t olen = strlen(origin);
    for (const char *p = allowed; *p;) {
        size_t len = strcspn(p, ",");
        while (len && *p == ' ') {
            p++;
            len--;
        }
        if (len == olen && strncasecmp(p, origin, len) == 0)
            return origin;
        p += len;
        if (*p == ',')
            p++;
    }
    return NULL;
}

static int stage_preflight(http_req_t *req)
{
    if (strcmp(req->method_name, "OPTIONS") != 0)
        return 0;
    if (!req->allow[0]) {
        http_send_error(req, 404, "not_found", "no such resource: %s", req->path);
        return 1;
    }
    http_send_raw(req, 204, NULL, NULL, 0);
    http_add_header(req, "Allow", req->allow);
    const char *origin = cors_origin(req);
    if (origin && http_header(req, "access-control-request-method")) {
        http_add_header(req, "Access-Control-Allow-Methods", req->allow);
        http_add_header(req, "Access-Control-Allow-Headers",
                        "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, "
                        "X-Request-Id");
        http_add_header(req, "Access-Control-Max-Age", "600");
    }
    return 1;
}

static int stage_route(http_req_t *req)
{
    if (req->route)
        return 0;
    if (req->allow[0]) {
        http_send_error(req, 405, "method_not_allowed", "%s is not allowed on %s",
                        req->method_name, req->path);
        http_add_header(req, "Allow", req->allow);
    } else {
        http_send_error(req, 404, "not_found", "no such resource: %s", req->path);
    }
    return 1;
}

static int stage_rate_limit(http_req_t *req)
{
    if (!g_ratelimit || (req->route->flags & ROUTE_OPS))
        return 0;
    rl_result_t r;
    char key[80];
    snprintf(key, sizeof key, "ip:%s", req->client_ip);
    bool ok = ratelimit_take(g_ratelimit, key, clock_mono_ms(), &r);
    char v[24];
    snprintf(v, sizeof v, "%d", r.limit);
    http_add_header(req, "RateLimit-Limit", v);
    snprintf(v, sizeof v, "%d", r.remaining);
    http_add_header(req, "RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%d", r.reset_s);
    http_add_header(req, "RateLimit-Reset", v);
    if (ok)
        return 0;
    http_send_error(req, 429, "rate_limited", "too many requests; retry in %d s", r.retry_after_s);
    snprintf(v, sizeof v, "%d", r.retry_after_s);
    http_add_header(req, "Retry-After", v);
    return 1;
}

static int auth_refuse(http_req_t *req, const char *msg)
{
    http_send_error(req, 401, "unauthorized", "%s", msg);
    http_add_header(req, "WWW-Authenticate", "Bearer");
    return 1;
}

static int role_rank(const char *role)
{
    return strcmp(role, "admin") == 0 ? ROUTE_NEED_ADMIN
           : strcmp(role, "guide") == 0 ? ROUTE_NEED_GUIDE
                                        : ROUTE_NEED_ANY;
}

/* Looks the token's session up: alive, its user active. Fills req's
 * identity from the database (the role there wins over the token's, so a
 * role change or a suspension takes effect at once). 0 or answered. */
static int auth_session(http_req_t *req, const jwt_claims_t *c)
{
    store_arg_t a[] = {ARG_TEXT(c->sid), ARG_TEXT(c->sub)};
    store_res_t *r = NULL;
    apierr_t e = {0};
    store_conn_t *db = loop_ctx_get()->db;
    int64_t now = clock_now_ms();
    char role[sizeof req->role];
    session_stamp_t st; /* unchanged database since the read: see session_cache.h */
    if (session_late(req)) { /* the handler's first statement checks it */
        if (strlen(c->sub) >= sizeof req->user_id || strlen(c->sid) >= sizeof req->session_id)
            return auth_refuse(req, "the session has ended or the account is not active");
        strcpy(req->user_id, c->sub);
        strcpy(req->session_id, c->sid);
        req->role[0] = '\0';
        return 0;
    }
    if (session_cache_get(db, c->sid, c->sub, now, role, sizeof role)) {
        memcpy(req->user_id, c->sub, strnlen(c->sub, sizeof req->user_id - 1));
        memcpy(req->session_id, c->sid, strnlen(c->sid, sizeof req->session_id - 1));
        memcpy(req->role, role, sizeof req->role);
        return 0;
    }
    session_cache_stamp(db, &st);
    if (store_query(db, SESSION_ROW_SQL, a, 2, &r, &e) < 0) {
        http_send_apierr(req, &e);
        return 1;
    }
    if (r->nrows != 1 || strcmp(store_val(r, 0, 1), "active") != 0) {
        store_res_free(r);
        return auth_refuse(req, "the session has ended or the account is not active");
    }
    /* The query matched, so both ids are UUIDs that fit. */
    memcpy(req->user_id, c->sub, strnlen(c->sub, sizeof req->user_id - 1));
    memcpy(req->session_id, c->sid, strnlen(c->sid, sizeof req->session_id - 1));
    snprintf(req->role, sizeof req->role, "%s", store_val(r, 0, 0));
    if (now - store_int(r, 0, 2) > 60000) {
        store_arg_t u[] = {ARG_INT(now), ARG_TEXT(c->sid)};
        store_exec(db, "UPDATE sessions SET last_used_at = $1 WHERE id = $2", u, 2, &e);
        apierr_clear(&e);
    } else {
        session_cache_put(&st, c->sid, c->sub, store_val(r, 0, 0), store_int(r, 0, 2));
    }
    store_res_free(r);
    return 0;
}

/* Routes without ROUTE_PUBLIC need "Authorization: Bearer <access JWT>"
 * of a live session (401), then the role the route needs (403). */
static int stage_auth(http_req_t *req)
{
    if (req->route->flags & ROUTE_PUBLIC)
        return 0;
    const char *h = http_header(req, "authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return auth_refuse(req, "this route needs Authorization: Bearer <access token>");
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    jwt_claims_t c;
    int rc = auth_access_verify(tok, &c);
    if (rc != 0)
        return auth_refuse(req, rc == JWT_EEXPIRED ? "the access token has expired"
                                                   : "the access token is not valid");
    rc = auth_session(req, &c);
    jwt_claims_clear(&c);
    if (rc)
        return rc;
    if (g_ratelimit) {
        rl_result_t r;
        char key[80];
        snprintf(key, sizeof key, "user:%s", req->user_id);
        if (!ratelimit_take(g_ratelimit, key, clock_mono_ms(), &r)) {
            http_send_error(req, 429, "rate_limited", "too many requests; retry in %d s",
                            r.retry_after_s);
            char v[24];
            snprintf(v, sizeof v, "%d", r.retry_after_s);
            http_add_header(req, "Retry-After", v);
            return 1;
        }
    }
    if (role_rank(req->role) < req->route->need) {
        http_send_error(req, 403, "forbidden", "your role may not use this route");
        return 1;
    }
    return 0;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ')
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

static int stage_json_body(http_req_t *req)
{
    if (req->body.len == 0 || (req->route->flags & ROUTE_RAW_BODY))
        return 0;
    if (!is_json_type(http_header(req, "content-type"))) {
        http_send_error(req, 415, "unsupported_media_type",
                        "the body must be JSON (Content-Type: application/json)");
        return 1;
    }
    json_error_t e;
    req->json = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &e);
    if (req->json)
        return 0;
    apierr_t err = {0};
    apierr_set(&err, 400, "invalid_json", "malformed JSON at line %d, column %d: %s", e.line,
               e.column, e.text);
    apierr_detail(&err, "line", json_integer(e.line));
    apierr_detail(&err, "column", json_integer(e.column));
    http_send_apierr(req, &err);
    return 1;
}

static const stage_fn stages[] = {
    stage_request_id, stage_preflight, stage_route, stage_rate_limit, stage_auth,
    stage_json_body,
};

void http_dispatch(http_req_t *req)
{
    loop_ctx_t *lc = loop_ctx_get();
    metrics_inflight(lc->metrics, 1);
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        if (stages[i](req))
            goto done;
    req->route->handler(req);
done:
    metrics_inflight(lc->metrics, -1);
}

static void access_log(http_req_t *req, double ms)
{
    loop_t *lp = req->conn->lp;
    int64_t now = clock_now_ms();
    if (now != lp->log_ms) { /* one timestamp string per millisecond */
        clock_rfc3339(now, lp->log_time, sizeof lp->log_time);
        lp->log_ms = now;
    }
    const char *ts = lp->log_time;
    buf_t *b = &lp->log;
    if (b->len)
        buf_puts(b, "\n");
    buf_printf(b, "{\"time\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"method\":\"%s\","
                  "\"route\":",
               ts, req->method_name);
    const char *route = req->route ? req->route->pattern : "unmatched";
    buf_json_str(b, route, strlen(route));
    buf_puts(b, ",\"path\":");
    buf_json_str(b, req->path ? req->path : "", req->path ? strlen(req->path) : 0);
    buf_printf(b, ",\"status\":%d,\"bytes\":%zu,\"latencyMs\":%.3f,\"requestId\":\"%s\","
                  "\"ip\":\"%s\"}",
               req->res.status, req->res.body.len, ms, req->request_id, req->client_ip);
    if (b->len > 64 * 1024) {
        log_raw(b->data, b->len);
        buf_reset(b);
    }
}

void http_finish(http_req_t *req)
{
    if (!req->responded)
        http_send_error(req, 500, "internal", "the handler produced no response");
    const char *origin = cors_origin(req);
    if (origin) {
        http_add_header(req, "Access-Control-Allow-Origin", origin);
        http_add_header(req, "Access-Control-Expose-Headers",
                        "ETag, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
                        "RateLimit-Reset");
        if (strcmp(origin, "*") != 0)
            http_add_header(req, "Vary", "Origin");
    }
    uint64_t ns = clock_mono_ns() - req->start_ns;
    loop_ctx_t *lc = loop_ctx_get();
    metrics_observe(lc->metrics, req->route_index, req->res.status, ns);
    const config_t *cfg = server_config();
    if (cfg->access_log && log_get_level() <= LOG_INFO)
        access_log(req, (double)ns / 1e6);
}

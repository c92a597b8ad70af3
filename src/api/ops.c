/*
 * ops.c - operations endpoints: liveness, readiness, metrics, the OpenAPI
 * document and the API explorer.
 */
#include "api/api.h"

#include "core/embedded.h"
#include "core/loopctx.h"
#include "http/metrics.h"
#include "http/server.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ops_health(http_req_t *req)
{
    static const char body[] = "{\"status\":\"ok\"}";
    http_send_raw(req, 200, "application/json", body, sizeof body - 1);
}

void ops_ready(http_req_t *req)
{
    apierr_t err = {0};
    if (store_ping(loop_ctx_get()->db, &err) < 0) {
        err.status = 503;
        http_send_apierr(req, &err);
        return;
    }
    http_send_json(req, 200,
                   json_pack("{s:s, s:s}", "status", "ready", "database",
                             store_backend_name(server_store())));
}

void ops_metrics(http_req_t *req)
{
    buf_t out = BUF_INIT;
    int n;
    const route_t *routes = server_routes(&n);
    metrics_render(&out, routes, n);
    http_send_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    buf_free(&out);
}

static void send_asset(http_req_t *req, const char *name, const char *type)
{
    const embedded_file_t *f = embedded_asset(name);
    if (!f) {
        http_send_error(req, 404, "not_found", "%s is not built into this binary", name);
        return;
    }
    http_send_raw(req, 200, type, f->data, f->len);
    http_add_header(req, "Cache-Control", "no-cache");
}

void ops_openapi(http_req_t *req)
{
    send_asset(req, "openapi.json", "application/json");
}

void ops_docs(http_req_t *req)
{
    send_asset(req, "docs.html", "text/html; charset=utf-8");
    http_add_header(req, "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
}

/* The explorer's files from swagger-ui-dist, read once and kept. */
static const struct {
    const char *name, *type;
} assets[] = {
    {"swagger-ui.css", "text/css"},
    {"swagger-ui-bundle.js", "application/javascript"},
    {"swagger-ui-standalone-preset.js", "application/javascript"},
    {"favicon-32x32.png", "image/png"},
};
#define NASSETS (sizeof assets / sizeof assets[0])

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static buf_t cache[NASSETS];

typedef struct {
    const char *path;
    buf_t data;
    int rc;
} readfile_t;

static void read_file(void *arg)
{
    readfile_t *r = arg;
    FILE *f = fopen(r->path, "rb");
    r->rc = -1;
    if (!f)
        return;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&r->data, chunk, n) < 0) {
            fclose(f);
            return;
        }
    fclose(f);
    r->rc = 0;
}

static const char *static_dir(void)
{
    const char *d = server_config()->static_dir;
    return d && *d ? d : "node_modules/swagger-ui-dist";
}

void ops_docs_asset(http_req_t *req)
{
    const char *file = http_param(req, "file");
    if (strcmp(file, "init.js") == 0) {
        send_asset(req, "docs-init.js", "application/javascript");
        return;
    }
    size_t i = 0;
    while (i < NASSETS && strcmp(assets[i].name, file) != 0)
        i++;
    if (i == NASSETS) {
        http_send_error(req, 404, "not_found", "no such asset");
        return;
    }
    pthread_mutex_lock(&cache_mu);
    bool have = cache[i].len > 0;
    pthread_mutex_unlock(&cache_mu);
    if (!have) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", static_dir(), assets[i].name);
        readfile_t r = {.path = path, .data = BUF_INIT};
        if (loop_run_blocking(read_file, &r) < 0 || r.rc < 0) {
            buf_free(&r.data);
            http_send_error(req, 503, "assets_missing",
                            "the API explorer's files are not installed (run make)");
            return;
        }
        pthread_mutex_lock(&cache_mu);
        if (!cache[i].len)
            cache[i] = r.data;
        else
            buf_free(&r.data);
        pthread_mutex_unlock(&cache_mu);
    }
    pthread_mutex_lock(&cache_mu);
    http_send_raw(req, 200, assets[i].type, cache[i].data, cache[i].len);
    pthread_mutex_unlock(&cache_mu);
    http_add_header(req, "Cache-Control", "public, max-age=86400");
}

const route_t ops_routes[] = {
    {"GET", "/health", ops_health, ROUTE_OPS | ROUTE_PUBLIC | ROUTE_INLINE, 0, "Liveness", 0},
    {"GET", "/ready", ops_ready, ROUTE_OPS | ROUTE_PUBLIC, 0, "Readiness (database reachable)", 0},
    {"GET", "/metrics", ops_metrics, ROUTE_OPS | ROUTE_PUBLIC | ROUTE_INLINE, 0, "Prometheus metrics", 0},
    {"GET", "/v1/openapi.json", ops_openapi, ROUTE_OPS | ROUTE_PUBLIC | ROUTE_INLINE, 0, "This API's OpenAPI document", 0},
    {"GET", "/docs", ops_docs, ROUTE_OPS | ROUTE_PUBLIC | ROUTE_INLINE, 0, "API explorer", 0},
    {"GET", "/docs/assets/:file", ops_docs_asset, ROUTE_OPS | ROUTE_PUBLIC, 0, "API explorer assets", 0},
    {"POST", "/v1/echo", diag_echo, ROUTE_PUBLIC, 64 * 1024, "Echo a JSON body", 0},
};
const int ops_routes_count = (int)(sizeof ops_routes / sizeof ops_routes[0]);

/*
 * http.h - requests, responses and the handler contract.
 *
 * A request lives from the first byte of its request line until its
 * response has been queued for writing. Everything it allocates comes from
 * req->pool (freed with the request); body and response buffers are owned by
 * the request too. A handler runs inside a coroutine (coro.h), may call the
 * store or loop_run_blocking(), and must finish by setting a response with
 * one of http_send_*; if it sets none the client gets a 500.
 *
 * Data flows one way: server -> middleware -> handler -> response.
 */
#ifndef TRAVLOC_HTTP_H
#define TRAVLOC_HTTP_H

#include "core/apierr.h"
#include "core/buf.h"
#include "core/pool.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HTTP_MAX_PARAMS 8

struct conn;
struct route;

typedef struct {
    const char *name;  /* lower-case */
    const char *value;
} http_header_t;

typedef struct {
    int status;
    const char *content_type;   /* static or pool string */
    buf_t headers;              /* extra "Name: value\r\n" lines */
    buf_t body;
    bool no_compress;
} http_res_t;

/* Route flags. */
enum {
    ROUTE_OPS = 1 << 0,      /* operations endpoint: no rate limit, no log noise */
    ROUTE_RAW_BODY = 1 << 1, /* body is not JSON (uploads) */
    ROUTE_PUBLIC = 1 << 2,   /* no authentication needed */
    ROUTE_INLINE = 1 << 3,   /* handler never yields (no store, no thread pool):
                              * it runs on the loop's stack, no coroutine */
    ROUTE_SESSION_LATE = 1 << 4, /* the handler checks the session in its own first
                                  * statement on PostgreSQL (auth/session_cache.h) */
};

typedef struct http_req http_req_t;
typedef void (*http_handler_fn)(http_req_t *req);

typedef struct route {
    const char *method;     /* "GET", "POST", … */
    const char *pattern;    /* "/v1/trips/:id" */
    http_handler_fn handler;
    unsigned flags;
    int64_t max_body;       /* 0 = server default */
    const char *summary;    /* one line, also checked against openapi.json */
    int need;               /* ROUTE_NEED_*: role required; 0 = any signed-in user */
} route_t;

/* Roles a route may require (route_t.need); admin satisfies every need. */
enum {
    ROUTE_NEED_ANY = 0,     /* any authenticated user (or none with ROUTE_PUBLIC) */
    ROUTE_NEED_GUIDE = 1,   /* guide or admin */
    ROUTE_NEED_ADMIN = 2,   /* admin only */
};

struct http_req {
    pool_t pool;
    struct conn *conn;
    http_req_t *next;           /* pipelining queue */

    int method;                 /* enum http_method */
    const char *method_name;
    char *url;
    char *path;                 /* percent-decoded path, no query */
    char *query;                /* raw query string or NULL */
    http_header_t *headers;
    int nheaders, cap_headers;
    buf_t body;
    int64_t max_body;
    bool head;                  /* HEAD: send headers only */
    bool keep_alive;
    bool expect_continue;

    const route_t *route;       /* NULL when no route matched */
    int route_index;            /* for metrics; -1 when none */
    const char *param_names[HTTP_MAX_PARAMS];
    const char *param_values[HTTP_MAX_PARAMS];
    int nparams;
    char allow[128];            /* Allow header when the path exists */

    json_t *json;               /* parsed JSON body or NULL */
    char request_id[72];
    char client_ip[64];
    uint64_t start_ns;

    /* Set by the auth middleware once accounts exist. */
    char user_id[40];
    char session_id[40];
    char role[16];

    http_res_t res;
    bool responded;
    bool started;
    bool finished;
};

/* Lookups. Names are case-insensitive; NULL when absent. */
const char *http_header(const http_req_t *req, const char *name);
const char *http_param(const http_req_t *req, const char *name);
/* Query parameter value, percent-decoded into the pool; NULL when absent. */
const char *http_query(http_req_t *req, const char *name);

/* Responses. Each replaces any earlier response of the request. */
void http_send_json(http_req_t *req, int status, json_t *body); /* steals body */
void http_send_raw(http_req_t *req, int status, const char *content_type,
                   const void *data, size_t len);
/* The error shape of DESIGN.md. */
void http_send_error(http_req_t *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_send_apierr(http_req_t *req, apierr_t *err); /* clears err */
/* Adds a response header line; value is copied. */
void http_add_header(http_req_t *req, const char *name, const char *value);

/* Status reason phrase ("Not Found"). */
const char *http_reason(int status);

#endif

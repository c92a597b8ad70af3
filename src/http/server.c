/*
 * server.c - listeners, loop threads, connections and request parsing.
 *
 * Each thread runs its own libuv loop with its own SO_REUSEPORT listener,
 * so connections never move between threads. A connection parses with
 * http_parser into a queue of complete requests; the head of the queue runs
 * in a coroutine (middleware.c) and its response is written before the next
 * one starts, which keeps pipelined responses in order.
 *
 * Timers: one per connection, re-armed for the state it is in: waiting for
 * headers (header timeout), reading a body (body timeout between reads),
 * idle between requests (idle timeout). A timer that fires closes the
 * connection (408 when a request had started).
 */
#include "http/server.h"

#include "core/coro.h"
#include "core/log.h"
#include "http/metrics.h"
#include "http/server_internal.h"
#include "cluster/cluster.h"
#include "realtime/realtime.h"
#include "store/store.h"

#include "core/clock.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PIPELINE 32

static struct {
    const config_t *cfg;
    struct store *store;
    const router_t *router;
    const route_t *routes;
    int nroutes;
    loop_t *loops;
    int nloops;
    _Atomic long nconns;
} S;

void middleware_init(const config_t *cfg);

const config_t *server_config(void) { return S.cfg; }
const router_t *server_router(void) { return S.router; }
struct store *server_store(void) { return S.store; }
long server_connections(void) { return atomic_load(&S.nconns); }

const route_t *server_routes(int *count)
{
    *count = S.nroutes;
    return S.routes;
}

/* ---- connection lifetime ------------------------------------------------ */

static void req_free(http_req_t *req)
{
    if (req->json)
        json_decref(req->json);
    buf_free(&req->body);
    buf_free(&req->res.body);
    buf_free(&req->res.headers);
    pool_free(&req->pool);
    free(req);
}

static void conn_free_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    loop_t *lp = c->lp;
    if (c->prev)
        c->prev->next = c->next;
    else
        lp->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    lp->nconns--;
    atomic_fetch_sub(&S.nconns, 1);
    /* Reached without conn_close when the loop's final walk closes every
     * handle: release what the connection still holds. */
    if (c->parsing)
        req_free(c->parsing);
    while (c->head && !(c->head->started && !c->head->finished)) {
        http_req_t *r = c->head;
        c->head = r->next;
        req_free(r);
    }
    buf_free(&c->field);
    buf_free(&c->value);
    buf_free(&c->url);
    free(c);
    if (lp->draining && lp->nconns == 0 && !lp->rt_upgrading)
        uv_stop(&lp->uv);
}

static void timer_closed_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    uv_close((uv_handle_t *)&c->tcp, conn_free_cb);
}

/* Closes the socket once no request is running in a coroutine; a running
 * request finishes first and calls back here through http_finish. */
void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->head && c->head->started && !c->head->finished)
        return; /* conn_request_done will come back */
    while (c->head) {
        http_req_t *r = c->head;
        c->head = r->next;
        req_free(r);
    }
    if (c->parsing) {
        req_free(c->parsing);
        c->parsing = NULL;
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}


/* Connection timeouts are lazy: arming records a deadline and touches the
 * libuv timer only when it would fire too late; a timer that fires early
 * starts again for the deadline that moved meanwhile. A request costs a
 * few integer writes instead of five timer-heap updates. */
static void on_timeout(uv_timer_t *t)
{
    conn_t *c = t->data;
    if (!c->deadline) /* disarmed since */
        return;
    uint64_t now = uv_now(t->loop);
    if (now < c->deadline) {
        uv_timer_start(t, on_timeout, c->deadline - now, 0);
        return;
    }
    c->deadline = 0;
    if (c->head) /* a request is being handled: its own deadline rules */
        return;
    if (c->parsing) {
        response_early_error(c, 408, "request_timeout", "the request took too long to arrive");
        return;
    }
    conn_close(c);
}

void conn_arm_timer(conn_t *c, int ms)
{
    if (c->closing)
        return;
    c->deadline = uv_now(c->timer.loop) + (uint64_t)ms;
    if (!uv_is_active((uv_handle_t *)&c->timer) || uv_timer_get_due_in(&c->timer) > (uint64_t)ms)
        uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0);
}

void conn_disarm_timer(conn_t *c) { c->deadline = 0; }

/* ---- the request queue ---------------------------------------------------- */

static void start_reading(conn_t *c);
static void conn_process(conn_t *c);

static void request_run(void *arg)
{
    http_dispatch((http_req_t *)arg);
}

static void request_done(void *arg)
{
    http_req_t *req = arg;
    conn_t *c = req->conn;
    req->finished = true;
    http_finish(req);
    if (!c->closing && response_write(c, req) < 0)
        c->close_after = true;
    if (!req->keep_alive)
        c->close_after = true;
    c->head = req->next;
    if (!c->head)
        c->tail = NULL;
    c->queued--;
    req_free(req);
    if (c->closing) {
        c->closing = false;
        conn_close(c);
        return;
    }
    conn_process(c);
}

static void conn_process(conn_t *c)
{
    if (c->closing)
        return;
    if (!c->head) {
        if (c->close_after) {
            if (c->writes == 0)
                conn_close(c);
            return;
        }
        if (!c->parsing)
            conn_arm_timer(c, c->lp->draining ? 1 : S.cfg->idle_timeout_ms);
        if (!c->reading)
            start_reading(c);
        return;
    }
    http_req_t *req = c->head;
    if (req->started)
        return;
    req->started = true;
    conn_disarm_timer(c);
    if (req->route && (req->route->flags & ROUTE_INLINE) && (req->route->flags & ROUTE_PUBLIC)) {
        request_run(req);
        request_done(req);
        return;
    }
    coro_t *co = coro_spawn(request_run, request_done, req);
    if (!co) {
        http_send_error(req, 503, "overloaded", "the server is out of memory");
        request_done(req);
        return;
    }
    coro_resume(co);
}

/* ---- reading ---------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    static _Thread_local char slab[64 * 1024];
    b->base = slab;
    b->len = sizeof slab;
}

/* ---- WebSocket hand-off (realtime) ---------------------------------------- */

/* The request just parsed asked to upgrade the connection; nothing after
 * it is HTTP. realtime takes the socket (0: close our handle quietly),
 * refuses it with a status, or declines (-1: it is served as plain HTTP,
 * as are requests pipelined before it, then the connection closes).
 * Returns true when the connection is dealt with. */
static bool hand_off_upgrade(conn_t *c, const char *rest, size_t len)
{
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    c->close_after = true;
    http_req_t *req = c->tail;
    if (!req || c->head != req || req->started)
        return false;
    int rc = realtime_ws_adopt(&c->tcp, req, rest, len);
    if (rc < 0)
        return false;
    c->head = c->tail = NULL;
    c->queued = 0;
    req_free(req);
    if (rc == 0)
        conn_close(c);
    else
        response_early_error(c, rc, rc == 400 ? "bad_request" : "unavailable", NULL);
    return true;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = s->data;
    if (n < 0) {
        c->close_after = true;
        uv_read_stop(s);
        c->reading = false;
        if (!c->head || n != UV_EOF)
            conn_close(c);
        return;
    }
    if (n == 0 || c->close_after)
        return;
    size_t done = http_parser_execute(&c->parser, conn_parser_settings(), b->base, (size_t)n);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (c->parser.upgrade && (e == HPE_OK || e == HPE_PAUSED) &&
        hand_off_upgrade(c, b->base + done, (size_t)n - done))
        return;
    if (e != HPE_OK && e != HPE_PAUSED) {
        if (!c->error_status)
            conn_refuse(c, 400, "bad_request");
        uv_read_stop(s);
        c->reading = false;
        response_early_error(c, c->error_status, c->error_code,
                             c->error_status == 400 ? http_errno_description(e) : NULL);
        return;
    }
    if (e == HPE_PAUSED || done < (size_t)n) {
        /* Connection: close seen; ignore the rest of the stream. */
        uv_read_stop(s);
        c->reading = false;
        c->close_after = true;
    } else if (c->queued >= MAX_PIPELINE) {
        uv_read_stop(s);
        c->reading = false;
    }
    conn_process(c);
}

static void start_reading(conn_t *c)
{
    if (c->closing || c->close_after)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0)
        c->reading = true;
}

/* ---- accepting ---------------------------------------------------------------- */

static void peer_ip(conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    c->ip[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET)
        uv_ip4_name((struct sockaddr_in *)&ss, c->ip, sizeof c->ip);
    else if (ss.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&ss, c->ip, sizeof c->ip);
}

static void on_connection(uv_stream_t *server, int status)
{
    loop_t *lp = server->data;
    if (status < 0 || lp->draining)
        return;
    conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->lp = lp;
    uv_tcp_init(&lp->uv, &c->tcp);
    uv_timer_init(&lp->uv, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->parser.data = c;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->next = lp->conns;
    if (lp->conns)
        lp->conns->prev = c;
    lp->conns = c;
    lp->nconns++;
    long total = atomic_fetch_add(&S.nconns, 1) + 1;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_ip(c);
    if (total > S.cfg->max_connections) {
        response_early_error(c, 503, "too_many_connections",
                             "the server has reached its connection limit");
        return;
    }
    conn_arm_timer(c, S.cfg->idle_timeout_ms);
    start_reading(c);
}

/* ---- loops, listeners and shutdown ---------------------------------------- */

static int make_listener(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int family = strchr(host, ':') ? AF_INET6 : AF_INET;
    int rc = family == AF_INET6 ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss)
                                : uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc != 0) {
        snprintf(err, errlen, "listen host '%s' is not an IP address", host);
        return -1;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&ss,
             family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0 ||
        listen(fd, 4096) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

static void close_cb_noop(uv_handle_t *h) { (void)h; }

/* The grace period is over: close what can be closed. Requests still
 * running in a coroutine cannot be cancelled safely; they are abandoned
 * and the process exits without tearing their state down. */
static void on_grace(uv_timer_t *t)
{
    loop_t *lp = t->data;
    for (conn_t *c = lp->conns, *n; c; c = n) {
        n = c->next;
        if (c->head && c->head->started && !c->head->finished)
            lp->abandoned++;
        else
            conn_close(c);
    }
    uv_stop(&lp->uv);
}

static const server_service_t *services[8];
static int nservices;

void server_add_service(const server_service_t *svc)
{
    if (nservices < 8)
        services[nservices++] = svc;
}

/* Realtime ended the last session it kept for its upgrade (drain). */
static void on_rt_drained(void *arg)
{
    loop_t *lp = arg;
    lp->rt_upgrading = false;
    if (lp->nconns == 0)
        uv_stop(&lp->uv);
}

static void on_stop(uv_async_t *a)
{
    loop_t *lp = a->data;
    if (lp->draining)
        return;
    lp->draining = true;
    uv_close((uv_handle_t *)&lp->listener, close_cb_noop);
    for (int i = 0; i < nservices; i++)
        if (services[i]->drain)
            services[i]->drain(&lp->ctx);
    /* Ends polls and WebSockets; a client midway through an upgrade is
     * ended once it completes (see realtime.h). */
    lp->rt_upgrading = realtime_loop_drain(lp->ctx.index, on_rt_drained, lp);
    for (conn_t *c = lp->conns, *n; c; c = n) {
        n = c->next;
        if (!c->head && !c->parsing)
            conn_close(c);
        else
            c->close_after = true;
    }
    if (lp->nconns == 0 && !lp->rt_upgrading) {
        uv_stop(&lp->uv);
        return;
    }
    uv_timer_start(&lp->grace, on_grace, (uint64_t)S.cfg->shutdown_timeout_ms, 0);
}

static void on_flush(uv_prepare_t *p)
{
    loop_t *lp = p->data;
    if (lp->log.len) {
        log_raw(lp->log.data, lp->log.len);
        buf_reset(&lp->log);
    }
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, close_cb_noop);
}

static uv_async_t main_done;
static _Atomic int loops_done;

static void loop_thread(void *arg)
{
    loop_t *lp = arg;
    loop_ctx_set(&lp->ctx);
    lp->ctx.db = store_conn_open(S.store, &lp->uv);
    realtime_loop_start(lp->ctx.index, &lp->uv);
    for (int i = 0; i < nservices; i++)
        services[i]->start(&lp->ctx);
    uv_run(&lp->uv, UV_RUN_DEFAULT);
    for (int i = nservices - 1; i >= 0; i--)
        lp->abandoned += services[i]->stop(&lp->ctx);
    if (lp->abandoned) {
        on_flush(&lp->flush);
        atomic_fetch_add(&loops_done, 1);
        uv_async_send(&main_done);
        return;
    }
    /* Draining is over (or timed out): let the store finish, close the rest. */
    on_flush(&lp->flush);
    if (lp->ctx.db)
        store_conn_close(lp->ctx.db);
    lp->ctx.db = NULL;
    realtime_loop_fini(lp->ctx.index);
    uv_walk(&lp->uv, walk_close, NULL);
    uv_run(&lp->uv, UV_RUN_DEFAULT);
    buf_free(&lp->log);
    coro_thread_cleanup();
    atomic_fetch_add(&loops_done, 1);
    uv_async_send(&main_done);
}

static int loop_init(loop_t *lp, int index, int fd)
{
    lp->ctx.loop = &lp->uv;
    lp->ctx.index = index;
    lp->ctx.group_commit = true; /* many requests per turn (not the worker's batching loop) */
    lp->ctx.server = NULL;
    lp->ctx.metrics = metrics_new(S.nroutes);
    lp->listen_fd = fd;
    if (uv_loop_init(&lp->uv) != 0)
        return -1;
    uv_tcp_init(&lp->uv, &lp->listener);
    lp->listener.data = lp;
    if (uv_tcp_open(&lp->listener, fd) != 0 ||
        uv_listen((uv_stream_t *)&lp->listener, 4096, on_connection) != 0)
        return -1;
    uv_async_init(&lp->uv, &lp->stop, on_stop);
    lp->stop.data = lp;
    uv_timer_init(&lp->uv, &lp->grace);
    lp->grace.data = lp;
    uv_prepare_init(&lp->uv, &lp->flush);
    lp->flush.data = lp;
    uv_prepare_start(&lp->flush, on_flush);
    uv_unref((uv_handle_t *)&lp->flush);
    return 0;
}

static uv_signal_t sig_handles[2];
static bool stopping;

/* Signals stay handled until every loop is done, so a second SIGTERM
 * during the drain does not kill the process half way. */
static void on_signal(uv_signal_t *sig, int signum)
{
    (void)sig;
    if (stopping)
        return;
    stopping = true;
    log_info("shutting down", "\"signal\":%d", signum);
    for (int i = 0; i < S.nloops; i++)
        uv_async_send(&S.loops[i].stop);
}

static void on_main_done(uv_async_t *a)
{
    if (atomic_load(&loops_done) < S.nloops)
        return;
    uv_close((uv_handle_t *)a, close_cb_noop);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&sig_handles[i], close_cb_noop);
}

int server_run(const config_t *cfg, struct store *store, const router_t *router,
               const route_t *routes, int nroutes)
{
    char err[256];
    S.cfg = cfg;
    S.store = store;
    S.router = router;
    S.routes = routes;
    S.nroutes = nroutes;
    S.nloops = cfg->threads;
    middleware_init(cfg);
    http_parser_set_max_header_size(MAX_HEADER_BYTES + 1024);
    if (realtime_init(cfg, S.nloops) < 0)
        return -1;
    /* cluster mode: shared PostgreSQL + Redis (embedded SQLite is one node) */
    if (strcmp(store_backend_name(store), "postgres") == 0 &&
        cluster_start(cfg->redis_url, CLUSTER_SERVE) < 0)
        return -1;
    S.loops = calloc((size_t)S.nloops, sizeof *S.loops);
    if (!S.loops)
        return -1;
    int port = cfg->listen_port;
    for (int i = 0; i < S.nloops; i++) {
        int fd = make_listener(cfg->listen_host, port, err, sizeof err);
        if (fd < 0 || loop_init(&S.loops[i], i, fd) < 0) {
            log_error(fd < 0 ? err : "cannot start an event loop", NULL);
            return -1;
        }
        port = bound_port(fd);
    }
    uv_loop_t main_loop;
    uv_loop_init(&main_loop);
    uv_async_init(&main_loop, &main_done, on_main_done);
    uv_signal_init(&main_loop, &sig_handles[0]);
    uv_signal_init(&main_loop, &sig_handles[1]);
    uv_signal_start(&sig_handles[0], on_signal, SIGTERM);
    uv_signal_start(&sig_handles[1], on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < S.nloops; i++)
        uv_thread_create(&S.loops[i].thread, loop_thread, &S.loops[i]);
    log_info("listening", "\"addr\":\"%s:%d\",\"threads\":%d,\"backend\":\"%s\"",
             cfg->listen_host, port, S.nloops, store_backend_name(store));
    uv_run(&main_loop, UV_RUN_DEFAULT); /* until every loop is done */
    long abandoned = 0;
    for (int i = 0; i < S.nloops; i++) {
        uv_thread_join(&S.loops[i].thread);
        abandoned += S.loops[i].abandoned;
    }
    if (abandoned) {
        log_warn("stopped with requests abandoned after the grace period",
                 "\"abandoned\":%ld", abandoned);
        _exit(0);
    }
    uv_walk(&main_loop, walk_close, NULL);
    uv_run(&main_loop, UV_RUN_DEFAULT);
    uv_loop_close(&main_loop);
    for (int i = 0; i < S.nloops; i++)
        uv_loop_close(&S.loops[i].uv);
    cluster_stop(); /* before realtime goes: it delivers into it */
    realtime_shutdown();
    free(S.loops);
    S.loops = NULL;
    log_info("stopped", NULL);
    return 0;
}

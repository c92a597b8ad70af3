/*
 * pg.c - the PostgreSQL driver: libpq's asynchronous API on the loop.
 *
 * Each loop owns a small pool of connections. A query from a coroutine
 * takes an idle connection (or waits in line), sends a prepared statement
 * (prepared once per connection), and yields; the connection's uv_poll
 * handle gathers the result and resumes the coroutine. Idle connections
 * stay polled so a server restart is noticed at once: the connection is
 * dropped and reconnected with backoff, and queries meanwhile fail fast
 * with 503 instead of hanging.
 *
 * Outside a coroutine (CLI, migrations) the handle is one blocking
 * connection.
 */
#include "store/driver.h"
#include "store/pg_int.h"

#include "core/coro.h"
#include "core/log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void conn_start(pgc_t *c);
static void pool_kick(pg_pool_t *p);

/* ---- handles and waking ---------------------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
    pg_pool_t *p = h->data;
    if (h->type == UV_POLL)
        free(h);
    if (--p->handles == 0 && p->closing) {
        free(p->conns);
        free(p);
    }
}

static void on_wake(uv_idle_t *h)
{
    pg_pool_t *p = h->data;
    while (p->ready) {
        waiter_t *w = p->ready;
        p->ready = w->next;
        if (!p->ready)
            p->ready_tail = NULL;
        w->ready = true;
        coro_resume(w->co);
    }
    pg_pipe_resume_failed(p);
    uv_idle_stop(&p->wake);
}

void pg_wake_later(pg_pool_t *p)
{
    if (!p->closing)
        uv_idle_start(&p->wake, on_wake);
}

static void grant(pg_pool_t *p, waiter_t *w, pgc_t *c)
{
    w->got = c;
    w->failed = c == NULL;
    if (c) {
        c->owner = w->co;
        c->state = PC_BUSY;
    }
    /* FIFO: first come, first served, so no request starves. */
    w->next = NULL;
    if (p->ready_tail)
        p->ready_tail->next = w;
    else
        p->ready = w;
    p->ready_tail = w;
    pg_wake_later(p);
}

static waiter_t *pop_waiter(pg_pool_t *p)
{
    waiter_t *w = p->wait_head;
    if (w) {
        p->wait_head = w->next;
        if (!p->wait_head)
            p->wait_tail = NULL;
        atomic_fetch_sub(&p->store->pool_waiting, 1);
    }
    return w;
}

static bool any_alive(pg_pool_t *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].state != PC_DOWN)
            return true;
    return false;
}

void pg_release(pgc_t *c)
{
    pg_pool_t *p = c->pool;
    c->owner = NULL;
    c->pinned = 0;
    c->begin_pending = false;
    if (c->state == PC_DOWN)
        return;
    if (c->state == PC_BUSY || c->state == PC_PIPE)
        atomic_fetch_sub(&p->store->pool_busy, 1);
    c->state = PC_IDLE;
    waiter_t *w = pop_waiter(p);
    if (w) {
        atomic_fetch_add(&p->store->pool_busy, 1);
        grant(p, w, c);
    }
}

/* ---- connection life -------------------------------------------------------------- */

void pg_conn_down(pgc_t *c)
{
    pg_pool_t *p = c->pool;
    c->piped = c->begin_pending = false;
    if (c->state == PC_BUSY || c->state == PC_PIPE)
        atomic_fetch_sub(&p->store->pool_busy, 1);
    if (c->state == PC_IDLE || c->state == PC_BUSY || c->state == PC_PIPE)
        atomic_fetch_sub(&p->store->pool_size, 1);
    if (c->poll) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, handle_closed);
        c->poll = NULL;
        c->events = 0;
    }
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    c->fd = -1;
    c->state = PC_DOWN;
    for (int i = 0; i < PREP_SLOTS; i++) {
        free(c->prep[i]);
        c->prep[i] = NULL;
    }
    if (c->last)
        PQclear(c->last);
    c->last = NULL;
    pg_pipe_fail_all(c);
    if (c->co) {
        c->io_failed = true;
        coro_t *co = c->co;
        c->co = NULL;
        coro_resume(co);
    }
    if (!any_alive(p)) /* nobody can serve the queue: fail it now */
        for (waiter_t *w; (w = pop_waiter(p));)
            grant(p, w, NULL);
    pool_kick(p);
}

static void on_io(uv_poll_t *h, int status, int events);

int pg_watch(pgc_t *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    if (c->poll && c->fd != fd) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, handle_closed);
        c->poll = NULL;
        c->events = 0;
    }
    /* uv_poll_start takes the fd out of epoll and puts it back (two system
     * calls); a connection that keeps watching the same events needs none. */
    if (c->poll && c->events == events)
        return 0;
    if (!c->poll) {
        c->poll = malloc(sizeof *c->poll);
        if (!c->poll || uv_poll_init(c->pool->loop, c->poll, fd) != 0) {
            free(c->poll);
            c->poll = NULL;
            return -1;
        }
        c->poll->data = c->pool;
        c->pool->handles++;
        c->fd = fd;
    }
    /* uv_poll's data is the pool (for handle_closed); find c from fd. */
    int rc = uv_poll_start(c->poll, events, on_io);
    c->events = rc == 0 ? events : 0;
    return rc;
}

static pgc_t *conn_of(pg_pool_t *p, uv_poll_t *h)
{
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].poll == h)
            return &p->conns[i];
    return NULL;
}

static void connect_step(pgc_t *c)
{
    pg_pool_t *p = c->pool;
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (pg_watch(c, UV_READABLE) < 0)
            pg_conn_down(c);
        return;
    case PGRES_POLLING_WRITING:
        if (pg_watch(c, UV_WRITABLE) < 0)
            pg_conn_down(c);
        return;
    case PGRES_POLLING_OK:
        PQsetnonblocking(c->pg, 1);
        c->state = PC_IDLE;
        p->backoff_ms = 0;
        atomic_fetch_add(&p->store->pool_size, 1);
        pg_watch(c, UV_READABLE);
        c->owner = NULL;
        pg_release(c); /* hands it to the first waiter, if any */
        return;
    default:
        log_warn("postgres connection failed", "\"error\":\"%.200s\"", PQerrorMessage(c->pg));
        pg_conn_down(c);
    }
}

/* The command's results into c->last: the last one, or for a piped BEGIN
 * + statement (which ends with a sync point) the first error. */
static void read_results(pgc_t *c)
{
    if (!PQconsumeInput(c->pg)) {
        pg_conn_down(c);
        return;
    }
    for (;;) {
        PGresult *r;
        if (!c->piped) {
            if (PQisBusy(c->pg))
                break;
            if (!(r = PQgetResult(c->pg))) {
                c->io_done = true;
                break;
            }
        } else {
            bool down = false;
            if (!(r = pg_pipe_next(c, &down))) {
                if (down)
                    return;
                break;
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                c->io_done = true;
                break;
            }
            if (c->last && !pg_result_ok(c->last)) {
                PQclear(r); /* BEGIN failed: what follows is only "aborted" */
                continue;
            }
        }
        if (c->last)
            PQclear(c->last);
        c->last = r;
    }
    if (c->io_done && c->co) {
        coro_t *co = c->co;
        c->co = NULL;
        coro_resume(co);
    }
}

static void on_io(uv_poll_t *h, int status, int events)
{
    pgc_t *c = conn_of(h->data, h);
    if (!c)
        return;
    if (status < 0) {
        pg_conn_down(c);
        return;
    }
    switch (c->state) {
    case PC_CONNECTING:
        connect_step(c);
        return;
    case PC_BUSY:
        if (events & UV_WRITABLE) {
            int f = PQflush(c->pg);
            if (f < 0) {
                pg_conn_down(c);
                return;
            }
            if (f == 0)
                pg_watch(c, UV_READABLE);
        }
        if ((events & UV_READABLE) && c->co)
            read_results(c);
        return;
    case PC_PIPE:
        pg_pipe_io(c, events);
        return;
    case PC_IDLE:
        /* Unsolicited input on an idle connection: a notice or the
         * server going away. */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
            log_warn("postgres connection lost", NULL);
            pg_conn_down(c);
            return;
        }
        while (!PQisBusy(c->pg)) {
            PGresult *r = PQgetResult(c->pg);
            if (!r)
                break;
            PQclear(r);
        }
        return;
    default:
        return;
    }
}

static void conn_start(pgc_t *c)
{
    pg_pool_t *p = c->pool;
    c->pg = PQconnectStart(p->store->conninfo);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        if (c->pg)
            PQfinish(c->pg);
        c->pg = NULL;
        return;
    }
    PQsetNoticeProcessor(c->pg, pg_notice_ignore, NULL);
    c->state = PC_CONNECTING;
    atomic_fetch_add(&p->store->reconnects, 1);
    connect_step(c);
}

static void on_retry(uv_timer_t *t)
{
    pg_pool_t *p = t->data;
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].state == PC_DOWN)
            conn_start(&p->conns[i]);
}

static void pool_kick(pg_pool_t *p)
{
    if (p->closing || uv_is_active((uv_handle_t *)&p->retry))
        return;
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : 100;
    if (p->backoff_ms > 2000)
        p->backoff_ms = 2000;
    uv_timer_start(&p->retry, on_retry, (uint64_t)p->backoff_ms, 0);
}

/* ---- acquiring and running -------------------------------------------------------- */

static pgc_t *pinned_conn(pg_pool_t *p, coro_t *co)
{
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].owner == co && p->conns[i].pinned)
            return &p->conns[i];
    return NULL;
}

static pgc_t *acquire(pg_pool_t *p, apierr_t *err)
{
    coro_t *co = coro_current();
    pgc_t *c = pinned_conn(p, co);
    if (c) {
        if (c->state == PC_DOWN) {
            apierr_set(err, 503, "database_unavailable", "the database connection was lost");
            return NULL;
        }
        return c;
    }
    if (p->closing) {
        apierr_set(err, 503, "database_unavailable", "the server is shutting down");
        return NULL;
    }
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].state == PC_IDLE) {
            c = &p->conns[i];
            c->state = PC_BUSY;
            c->owner = co;
            atomic_fetch_add(&p->store->pool_busy, 1);
            return c;
        }
    if (!any_alive(p)) {
        pool_kick(p);
        apierr_set(err, 503, "database_unavailable", "the database is not available");
        return NULL;
    }
    waiter_t w = {.co = co};
    if (p->wait_tail)
        p->wait_tail->next = &w;
    else
        p->wait_head = &w;
    p->wait_tail = &w;
    atomic_fetch_add(&p->store->pool_waiting, 1);
    while (!w.ready)
        coro_yield();
    if (w.failed || !w.got) {
        apierr_set(err, 503, "database_unavailable", "the database is not available");
        return NULL;
    }
    return w.got;
}

/* Waits for the command just sent; the result is left in c->last. */
static int wait_result(pgc_t *c)
{
    c->io_done = c->io_failed = false;
    c->co = coro_current();
    int f = PQflush(c->pg);
    if (f < 0 || pg_watch(c, f ? UV_READABLE | UV_WRITABLE : UV_READABLE) < 0) {
        c->co = NULL;
        pg_conn_down(c);
        return -1;
    }
    while (!c->io_done && !c->io_failed)
        coro_yield();
    return c->io_failed ? -1 : 0;
}

char **pg_prepared_name(pgc_t *c, const char *sql, char name[24], bool *known)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = sql; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    int slot = (int)(h % PREP_SLOTS);
    snprintf(name, 24, "s%d", slot);
    *known = c->prep[slot] && strcmp(c->prep[slot], sql) == 0;
    return &c->prep[slot];
}

/* The transaction's deferred BEGIN and its first statement in one round
 * trip: both in pipeline mode, then one sync point (which ends nothing: the
 * transaction is explicit). 1 when sent, 0 when libpq could not. */
static int send_with_begin(pgc_t *c, const char *name, const params_t *pp, int nargs)
{
    c->begin_pending = false;
    if (PQenterPipelineMode(c->pg) != 1)
        return 0;
    c->piped = true;
    return PQsendQueryParams(c->pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
           PQsendQueryPrepared(c->pg, name, nargs, pp->values, pp->lengths, pp->formats, 0) &&
           PQpipelineSync(c->pg);
}

/* Leaves pipeline mode after send_with_begin's results came in. */
static int end_piped(pgc_t *c)
{
    if (!c->piped)
        return 0;
    c->piped = false;
    if (c->state == PC_DOWN)
        return -1;
    if (PQexitPipelineMode(c->pg) != 1) {
        log_warn("postgres pipeline did not end", "\"error\":\"%.200s\"", PQerrorMessage(c->pg));
        pg_conn_down(c);
        return -1;
    }
    return 0;
}

static int async_query(pg_pool_t *p, const char *sql, const params_t *pp, int nargs,
                       store_res_t **res, apierr_t *err)
{
    /* A read outside a transaction joins a pipeline when it can. */
    if (!pinned_conn(p, coro_current()) && !p->closing && pg_pipe_suits(sql)) {
        pgc_t *pc = pg_pipe_pick(p);
        if (pc)
            return pg_pipe_query(pc, sql, pp, nargs, res, err);
    }
    pgc_t *c = acquire(p, err);
    if (!c)
        return -1;
    char name[24];
    bool known;
    char **slot = pg_prepared_name(c, sql, name, &known);
    int rc = 0;
    if (!known && *slot) {
        /* Two statements hash to this slot: release the old one's name. */
        char dealloc[48];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
        if (!PQsendQuery(c->pg, dealloc) || wait_result(c) < 0) {
            if (c->state != PC_DOWN && PQstatus(c->pg) == CONNECTION_BAD)
                pg_conn_down(c);
            rc = apierr_set(err, 503, "database_unavailable", "the database is not available");
            goto out;
        }
        free(*slot);
        *slot = NULL;
    }
    if (!known) {
        if (!PQsendPrepare(c->pg, name, sql, nargs, NULL) || wait_result(c) < 0) {
            if (c->state != PC_DOWN && PQstatus(c->pg) == CONNECTION_BAD)
                pg_conn_down(c);
            rc = apierr_set(err, 503, "database_unavailable", "the database is not available");
            goto out;
        }
        if (PQresultStatus(c->last) != PGRES_COMMAND_OK) {
            rc = pg_map_result_error(c->last, c->pg, err);
            goto out;
        }
        free(*slot);
        *slot = strdup(sql);
    }
    if ((c->begin_pending ? send_with_begin(c, name, pp, nargs)
                          : PQsendQueryPrepared(c->pg, name, nargs, pp->values, pp->lengths,
                                                pp->formats, 0)) == 0 ||
        wait_result(c) < 0 || end_piped(c) < 0) {
        /* A pipeline that failed half way leaves the connection in no
         * known state: drop it. */
        if (c->state != PC_DOWN && (c->piped || PQstatus(c->pg) == CONNECTION_BAD))
            pg_conn_down(c);
        rc = apierr_set(err, 503, "database_unavailable", "the database is not available");
        goto out;
    }
    rc = pg_finish_result(&c->last, c->pg, res, err);
out:
    if (c->last) {
        PQclear(c->last);
        c->last = NULL;
    }
    if (!c->pinned)
        pg_release(c);
    return rc;
}

static int block_connect(pg_pool_t *p, apierr_t *err)
{
    if (p->block && PQstatus(p->block) == CONNECTION_OK)
        return 0;
    if (p->block)
        PQfinish(p->block);
    p->block = PQconnectdb(p->store->conninfo);
    PQsetNoticeProcessor(p->block, pg_notice_ignore, NULL);
    if (PQstatus(p->block) != CONNECTION_OK) {
        log_error("cannot connect to PostgreSQL", "\"error\":\"%.200s\"",
                  PQerrorMessage(p->block));
        return apierr_set(err, 503, "database_unavailable", "the database is not available");
    }
    return 0;
}

static int pg_query(store_conn_t *base, const char *sql, const store_arg_t *args, int nargs,
                    store_res_t **res, apierr_t *err)
{
    pg_pool_t *p = (pg_pool_t *)base;
    params_t pp;
    if (pg_build_params(&pp, args, nargs) < 0)
        return apierr_set(err, 500, "internal", "too many query arguments");
    if (p->loop && coro_current())
        return async_query(p, sql, &pp, nargs, res, err);
    if (block_connect(p, err) < 0)
        return -1;
    PGresult *r = PQexecParams(p->block, sql, nargs, NULL, pp.values, pp.lengths, pp.formats, 0);
    int rc = pg_finish_result(&r, p->block, res, err);
    PQclear(r);
    return rc;
}

static int simple(store_conn_t *base, const char *sql, apierr_t *err)
{
    return pg_query(base, sql, NULL, 0, NULL, err);
}

static int pg_begin(store_conn_t *base, bool write, apierr_t *err)
{
    (void)write;
    pg_pool_t *p = (pg_pool_t *)base;
    if (!p->loop || !coro_current()) {
        if (p->block_depth++ > 0)
            return 0;
        if (simple(base, "BEGIN", err) < 0) {
            p->block_depth--;
            return -1;
        }
        return 0;
    }
    pgc_t *c = pinned_conn(p, coro_current());
    if (c) {
        c->pinned++;
        return 0;
    }
    if (!(c = acquire(p, err)))
        return -1;
    c->pinned = 1;
    if (p->store->cfg->pg_pipeline > 0) {
        c->begin_pending = true; /* sent with the first statement (send_with_begin) */
        return 0;
    }
    if (simple(base, "BEGIN", err) < 0) { /* --pg-pipeline 0: no pipeline mode at all */
        pg_release(c);
        return -1;
    }
    return 0;
}

static int pg_commit(store_conn_t *base, apierr_t *err)
{
    pg_pool_t *p = (pg_pool_t *)base;
    if (!p->loop || !coro_current()) {
        if (p->block_depth == 0 || --p->block_depth > 0)
            return 0;
        return simple(base, "COMMIT", err);
    }
    pgc_t *c = pinned_conn(p, coro_current());
    if (!c || --c->pinned > 0)
        return 0;
    if (c->begin_pending) { /* nothing ran: nothing to commit */
        pg_release(c);
        return 0;
    }
    c->pinned = 1; /* keep it pinned for the COMMIT itself */
    int rc = simple(base, "COMMIT", err);
    pg_release(c);
    return rc;
}

static void pg_rollback(store_conn_t *base)
{
    pg_pool_t *p = (pg_pool_t *)base;
    apierr_t err = {0};
    if (!p->loop || !coro_current()) {
        if (p->block_depth) {
            p->block_depth = 0;
            simple(base, "ROLLBACK", &err);
        }
        apierr_clear(&err);
        return;
    }
    pgc_t *c = pinned_conn(p, coro_current());
    if (!c)
        return;
    if (c->begin_pending) { /* nothing ran: nothing to undo */
        pg_release(c);
        return;
    }
    c->pinned = 1;
    simple(base, "ROLLBACK", &err);
    apierr_clear(&err);
    pg_release(c);
}

static int pg_script(store_conn_t *base, const char *sql, apierr_t *err)
{
    pg_pool_t *p = (pg_pool_t *)base;
    if (block_connect(p, err) < 0)
        return -1;
    PGresult *r = PQexec(p->block, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = apierr_set(err, 500, "migration_failed", "%s", PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}

/* ---- open and close ------------------------------------------------------------------ */

static store_conn_t *pg_conn_open(store_t *s, uv_loop_t *loop)
{
    pg_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->store = s;
    p->loop = loop;
    if (!loop)
        return (store_conn_t *)p;
    p->n = s->cfg->pg_pool;
    p->conns = calloc((size_t)p->n, sizeof *p->conns);
    if (!p->conns) {
        free(p);
        return NULL;
    }
    uv_idle_init(loop, &p->wake);
    uv_timer_init(loop, &p->retry);
    p->wake.data = p->retry.data = p;
    p->handles = 2;
    for (int i = 0; i < p->n; i++) {
        p->conns[i].pool = p;
        p->conns[i].fd = -1;
        conn_start(&p->conns[i]);
        if (p->conns[i].state == PC_DOWN)
            pool_kick(p);
    }
    return (store_conn_t *)p;
}

static void pg_conn_close(store_conn_t *base)
{
    pg_pool_t *p = (pg_pool_t *)base;
    if (!p->loop) {
        if (p->block)
            PQfinish(p->block);
        free(p);
        return;
    }
    p->closing = true;
    uv_timer_stop(&p->retry);
    /* Wake everyone still waiting so their requests can finish. */
    for (waiter_t *w; (w = pop_waiter(p));) {
        w->failed = true;
        w->ready = true;
        coro_resume(w->co);
    }
    while (p->ready) {
        waiter_t *w = p->ready;
        p->ready = w->next;
        w->ready = true;
        coro_resume(w->co);
    }
    p->ready_tail = NULL;
    for (int i = 0; i < p->n; i++)
        if (p->conns[i].state != PC_DOWN)
            pg_conn_down(&p->conns[i]);
    pg_pipe_resume_failed(p);
    uv_close((uv_handle_t *)&p->wake, handle_closed);
    uv_close((uv_handle_t *)&p->retry, handle_closed);
}

static int pg_open(store_t *s, char *err, size_t errlen)
{
    s->conninfo = strdup(s->cfg->database_url);
    PGconn *pg = PQconnectdb(s->conninfo);
    PQsetNoticeProcessor(pg, pg_notice_ignore, NULL);
    if (PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
        PQfinish(pg);
        return -1;
    }
    PQfinish(pg);
    return 0;
}

static void pg_close(store_t *s) { (void)s; }

const store_driver_t store_pg_driver = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .script = pg_script,
};

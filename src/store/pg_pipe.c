/*
 * pg_pipe.c - single statements pipelined on a shared connection.
 *
 * A statement outside a transaction does not wait for a connection of its
 * own: it is queued on a connection in libpq pipeline mode, with its own
 * sync point (so it runs in its own implicit transaction and an error
 * fails only it), and the server runs the queue back to back instead of
 * waiting for this loop between statements. Results come back in send
 * order; each resumes the coroutine that sent it.
 *
 * Only reads are pipelined (pg_pipe_suits): a write's implicit commit
 * waits for its WAL flush (synchronous_commit), and in a pipeline every
 * statement queued behind it would wait too (the durable queue lost a
 * third of its throughput that way); writes keep a connection each, so
 * PostgreSQL can flush several commits at once.
 *
 * A connection enters pipeline mode when a statement takes it idle and
 * leaves it when its queue is empty, then goes back to the pool's FIFO
 * like any released connection, so transactions (which need a connection
 * to themselves) still get one. While anybody waits for a connection, new
 * statements wait in the same line instead of joining a pipeline: nobody
 * starves. `--pg-pipeline 0` turns all of this off.
 *
 * Ownership: a pipe_req_t lives on the stack of the coroutine that waits
 * for it; its PGresult is handed to pg_finish_result or cleared here.
 */
#include "store/pg_int.h"

#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool pg_result_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

PGresult *pg_pipe_next(pgc_t *c, bool *down)
{
    for (int nulls = 0; !PQisBusy(c->pg);) {
        PGresult *r = PQgetResult(c->pg);
        if (r)
            return r;
        if (++nulls > 2) { /* only one NULL ends each command's results */
            log_error("postgres pipeline out of step", NULL);
            pg_conn_down(c);
            *down = true;
            return NULL;
        }
    }
    return NULL;
}

bool pg_pipe_suits(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
        sql++;
    if (strncasecmp(sql, "SELECT", 6) != 0)
        return false;
    /* Row locks are writes too (and wait like them). */
    return !strcasestr(sql, " FOR UPDATE") && !strcasestr(sql, " FOR SHARE") &&
           !strcasestr(sql, " FOR NO KEY UPDATE") && !strcasestr(sql, " FOR KEY SHARE");
}

pgc_t *pg_pipe_pick(pg_pool_t *p)
{
    int max = p->store->cfg->pg_pipeline;
    if (max <= 0 || p->wait_head)
        return NULL;
    pgc_t *best = NULL;
    for (int i = 0; i < p->n; i++) {
        pgc_t *c = &p->conns[i];
        if (c->state == PC_IDLE) { /* an idle connection spreads the load */
            if (PQenterPipelineMode(c->pg) != 1)
                continue;
            c->state = PC_PIPE;
            c->inflight = 0;
            atomic_fetch_add(&p->store->pool_busy, 1);
            return c;
        }
        if (c->state == PC_PIPE && c->inflight < max && (!best || c->inflight < best->inflight))
            best = c;
    }
    return best;
}

static void enqueue(pgc_t *c, pipe_req_t *r)
{
    r->next = NULL;
    if (c->q_tail)
        c->q_tail->next = r;
    else
        c->q_head = r;
    c->q_tail = r;
    c->inflight++;
}

/* Queues the statement (and its prepare when this connection has not
 * prepared it yet), one sync point each. False when libpq could not. */
static bool send_statement(pgc_t *c, pipe_req_t *r, const char *sql, const params_t *pp,
                           int nargs)
{
    char name[24];
    bool known;
    char **slot = pg_prepared_name(c, sql, name, &known);
    if (!known) {
        if (*slot) {
            /* Two statements hash to this slot: free the old name first.
             * Statements queued before that still use it run before. */
            char dealloc[48];
            snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
            if (!PQsendQueryParams(c->pg, dealloc, 0, NULL, NULL, NULL, NULL, 0) ||
                !PQpipelineSync(c->pg))
                return false;
            r->syncs++;
            free(*slot);
            *slot = NULL;
        }
        if (!PQsendPrepare(c->pg, name, sql, nargs, NULL) || !PQpipelineSync(c->pg))
            return false;
        r->prep_seg = r->syncs++;
        *slot = strdup(sql); /* NULL on OOM: prepared again next time */
        r->prep_slot = (int)(slot - c->prep);
    }
    if (!PQsendQueryPrepared(c->pg, name, nargs, pp->values, pp->lengths, pp->formats, 0) ||
        !PQpipelineSync(c->pg))
        return false;
    r->syncs++;
    return true;
}

int pg_pipe_query(pgc_t *c, const char *sql, const params_t *pp, int nargs, store_res_t **res,
                  apierr_t *err)
{
    pipe_req_t r = {.co = coro_current(), .prep_slot = -1, .prep_seg = -1};
    enqueue(c, &r);
    int f = send_statement(c, &r, sql, pp, nargs) ? PQflush(c->pg) : -1;
    if (f < 0 || pg_watch(c, f ? UV_READABLE | UV_WRITABLE : UV_READABLE) < 0)
        pg_conn_down(c); /* fails r too (and everything queued with it) */
    while (!r.done)
        coro_yield();
    int rc;
    if (r.failed)
        rc = apierr_set(err, 503, "database_unavailable", "the database is not available");
    else
        rc = pg_finish_result(&r.res, c->pg, res, err);
    if (r.res)
        PQclear(r.res);
    return rc;
}

/* One result for the statement at the head of the queue: keep the first
 * error, else the latest (the prepare's and DEALLOCATE's come first). */
static void take_result(pgc_t *c, pipe_req_t *q, PGresult *r)
{
    if (!pg_result_ok(r) && q->seg == q->prep_seg && q->prep_slot >= 0) {
        free(c->prep[q->prep_slot]); /* never prepared: prepare again next time */
        c->prep[q->prep_slot] = NULL;
    }
    if (q->res && !pg_result_ok(q->res)) {
        PQclear(r);
        return;
    }
    if (q->res)
        PQclear(q->res);
    q->res = r;
}

void pg_pipe_io(pgc_t *c, int events)
{
    if (events & UV_WRITABLE) {
        int f = PQflush(c->pg);
        if (f < 0) {
            pg_conn_down(c);
            return;
        }
        if (f == 0 && pg_watch(c, UV_READABLE) < 0) {
            pg_conn_down(c);
            return;
        }
    }
    if (!(events & UV_READABLE))
        return;
    if (!PQconsumeInput(c->pg)) {
        pg_conn_down(c);
        return;
    }
    pipe_req_t *done = NULL, **done_tail = &done;
    bool down = false;
    while (c->q_head) {
        PGresult *r = pg_pipe_next(c, &down);
        if (!r)
            break; /* more input needed, or c is down (its queue failed) */
        pipe_req_t *q = c->q_head;
        if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
            take_result(c, q, r);
            continue;
        }
        PQclear(r);
        q->seg++;
        if (--q->syncs > 0)
            continue;
        c->q_head = q->next;
        if (!c->q_head)
            c->q_tail = NULL;
        c->inflight--;
        q->done = true;
        q->next = NULL;
        *done_tail = q;
        done_tail = &q->next;
    }
    /* Resume in send order; each may queue more on this connection. */
    while (done) {
        pipe_req_t *q = done;
        done = q->next;
        coro_resume(q->co);
    }
    if (c->state == PC_PIPE && !c->q_head) {
        if (PQexitPipelineMode(c->pg) != 1) {
            log_warn("postgres pipeline did not end", "\"error\":\"%.200s\"",
                     PQerrorMessage(c->pg));
            pg_conn_down(c);
            return;
        }
        pg_release(c); /* idle again, or straight to the first waiter */
    }
}

void pg_pipe_fail_all(pgc_t *c)
{
    pg_pool_t *p = c->pool;
    pipe_req_t *q = c->q_head;
    c->q_head = c->q_tail = NULL;
    c->inflight = 0;
    coro_t *self = coro_current();
    while (q) {
        pipe_req_t *next = q->next; /* q is gone once its coroutine runs */
        if (q->res)
            PQclear(q->res);
        q->res = NULL;
        q->failed = q->done = true;
        q->next = NULL;
        if (q->co == self) {
            /* the caller: it sees done when pg_conn_down returns */
        } else if (!self) {
            coro_resume(q->co);
        } else { /* not from inside a coroutine: later, from the loop */
            if (p->pipe_ready_tail)
                p->pipe_ready_tail->next = q;
            else
                p->pipe_ready = q;
            p->pipe_ready_tail = q;
            pg_wake_later(p);
        }
        q = next;
    }
}

void pg_pipe_resume_failed(pg_pool_t *p)
{
    while (p->pipe_ready) {
        pipe_req_t *q = p->pipe_ready;
        p->pipe_ready = q->next;
        if (!p->pipe_ready)
            p->pipe_ready_tail = NULL;
        coro_resume(q->co);
    }
}

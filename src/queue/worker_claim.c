/*
 * queue/worker_claim.c - a worker's turn: storing the outcomes of finished
 * jobs and claiming jobs into the free slots, with one commit for both
 * (SQLite: one transaction; PostgreSQL: one statement, queue__complete_claim,
 * when every outcome is a success). Failures are stored on their own first.
 * Queues with a concurrency or rate limit are claimed afterwards, each in
 * its own transaction (claim.c).
 *
 * Ownership: outcomes are detached from the worker's finished list while
 * written and freed once stored, or put back on failure (nothing is lost;
 * if the database stays away the leases lapse and the jobs run elsewhere).
 * Claimed jobs become job_run_t records on the worker's pending list.
 */
#include "queue/worker_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"

#include <stdlib.h>
#include <string.h>

static void free_run(job_run_t *r)
{
    free(r->c.queue);
    free(r->c.type);
    free(r->c.payload);
    free(r->result);
    free(r);
}

/* The outcome UPDATEs of a detached list of finished jobs: successes 16
 * to a statement, failures one by one. */
static int flush_write(worker_t *w, const job_run_t *list, store_conn_t *db, apierr_t *err)
{
    const queue_claimed_t *ok[16];
    const char *results[16];
    int n = 0;
    for (const job_run_t *r = list; r; r = r->next) {
        if (r->timed_out)
            continue;
        if (r->rc == QUEUE_OK) {
            ok[n] = &r->c;
            results[n++] = r->result;
            if (n == 16) {
                if (queue__complete_many(db, ok, results, n, w->owner, err) < 0)
                    return -1;
                n = 0;
            }
        } else if (queue__fail(db, &r->c, w->owner, r->job.error[0] ? r->job.error : "failed",
                               r->rc == QUEUE_FATAL, err) < 0) {
            return -1;
        }
    }
    return queue__complete_many(db, ok, results, n, w->owner, err);
}

/* True when flush_write is a single statement (no transaction needed). */
static bool flush_single(const job_run_t *list)
{
    int n = 0;
    for (const job_run_t *r = list; r; r = r->next)
        if (!r->timed_out && (r->rc != QUEUE_OK || ++n > 16))
            return false;
    return true;
}


static detached_t detach(worker_t *w)
{
    detached_t d = {w->finished, w->nfinished};
    w->finished = NULL;
    w->nfinished = 0;
    w->nflushing += d.n;
    return d;
}

static void put_back(worker_t *w, detached_t *d)
{
    job_run_t **end = &w->finished;
    while (*end)
        end = &(*end)->next;
    *end = d->head;
    w->nfinished += d->n;
    w->nflushing -= d->n;
    *d = (detached_t){0};
}

static void release_detached(worker_t *w, detached_t *d)
{
    while (d->head) {
        job_run_t *r = d->head;
        d->head = r->next;
        free_run(r);
    }
    w->nflushing -= d->n;
    *d = (detached_t){0};
}

void queue__flush_done(worker_t *w)
{
    detached_t d = detach(w);
    release_detached(w, &d);
}

/* Stores the outcomes of finished jobs, all in one transaction (one
 * commit for a whole batch instead of one per job). On failure nothing is
 * lost: the outcomes go back on the list and are tried again next turn;
 * if that keeps failing the leases lapse and the jobs run again elsewhere. */
void queue__flush_outcomes(worker_t *w)
{
    if (!w->finished)
        return;
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    detached_t d = detach(w);
    if (flush_single(d.head)) {
        if (flush_write(w, d.head, db, &err) < 0)
            goto fail;
    } else {
        if (store_begin(db, true, &err) < 0 || flush_write(w, d.head, db, &err) < 0) {
            store_rollback(db);
            goto fail;
        }
        if (store_commit(db, &err) < 0)
            goto fail;
    }
    release_detached(w, &d);
    return;
fail:
    log_warn("cannot record job outcomes", "\"jobs\":%d,\"error\":\"%s\"", d.n, err.message);
    apierr_clear(&err);
    put_back(w, &d);
}

/* Appends n claimed jobs (c is consumed) to a batch. */
static void batch_add(worker_t *w, queue_claimed_t *c, int n, batch_t *b)
{
    for (int i = 0; i < n; i++) {
        job_run_t *r = calloc(1, sizeof *r);
        if (!r) { /* out of memory: the lease will lapse and the job rerun */
            free(c[i].queue);
            free(c[i].type);
            free(c[i].payload);
            continue;
        }
        r->w = w;
        r->c = c[i];
        if (b->tail)
            b->tail->next = r;
        else
            b->head = r;
        b->tail = r;
        b->n++;
    }
    free(c);
}

/* PostgreSQL plans the claim from the jobs table's statistics, and keeps
 * that plan for the connection. Statistics taken while the queue was
 * nearly empty make a sudden backlog look tiny: the planner then sorts
 * every pending row on each claim instead of reading the first few from
 * the pending index, and a claim of 8 jobs costs milliseconds. Until
 * autovacuum gets round to it, a worker that sees full claims stay slow
 * runs ANALYZE itself (at most every ANALYZE_EVERY_MS), which also makes
 * PostgreSQL replan. */
#define SLOW_CLAIM_NS 3000000u
#define ANALYZE_EVERY_MS 20000
static void watch_plan(worker_t *w, bool full, uint64_t ns)
{
    if (!queue__pg() || !full) {
        w->slow_claims = 0;
        return;
    }
    if (ns < SLOW_CLAIM_NS) {
        w->slow_claims = 0;
        return;
    }
    int64_t now = clock_mono_ms();
    if (++w->slow_claims < 5 || (w->analyzed_at && now - w->analyzed_at < ANALYZE_EVERY_MS))
        return;
    w->slow_claims = 0;
    w->analyzed_at = now;
    apierr_t err = {0};
    if (store_exec(loop_ctx_get()->db, "ANALYZE jobs", NULL, 0, &err) < 0)
        log_warn("cannot refresh the jobs statistics", "\"error\":\"%s\"", err.message);
    else
        log_info("jobs statistics refreshed after slow claims", NULL);
    apierr_clear(&err);
}

/* A claim leaves the claimed rows' entries in the pending indexes until
 * VACUUM removes them, and every later claim walks them from the start of
 * the index (they sort first): with 30,000 jobs done since the last
 * vacuum a claim of 8 reads ~300 index pages instead of ~15, and the
 * cost per job grows with the backlog already processed. Autovacuum looks
 * at a database at most once a minute (autovacuum_naptime), far too late
 * for a queue doing thousands of jobs a second, so the worker vacuums the
 * table itself every opts.vacuum_every jobs it claimed (default 5,000,
 * TRAVLOC_QUEUE_VACUUM_EVERY; ~30-80 ms of server CPU each): on its own pooled
 * connection in a coroutine, so claims go on meanwhile; SKIP_LOCKED makes
 * it a no-op while another worker's VACUUM (or autovacuum) runs. A role
 * that does not own the table only gets a warning from PostgreSQL. */
static void vacuum_main(void *arg)
{
    (void)arg;
    apierr_t err = {0};
    uint64_t t0 = clock_mono_ns();
    if (store_exec(loop_ctx_get()->db, "VACUUM (SKIP_LOCKED) jobs", NULL, 0, &err) < 0)
        log_warn("cannot vacuum the jobs table", "\"error\":\"%s\"", err.message);
    else
        log_msg(LOG_DEBUG, "jobs table vacuumed", "\"ms\":%.1f",
                (double)(clock_mono_ns() - t0) / 1e6);
    apierr_clear(&err);
}

static void vacuum_done(void *arg)
{
    worker_t *w = arg;
    w->vacuuming = false;
}

/* Called by the driver: marks a VACUUM due; the starter (an idle callback
 * on the loop's own stack, where coroutines may be spawned) starts it. */
void queue__maybe_vacuum(worker_t *w)
{
    if (!queue__pg() || w->vacuuming || w->stopping || w->opts.vacuum_every <= 0 ||
        w->unvacuumed < w->opts.vacuum_every)
        return;
    w->unvacuumed = 0;
    w->vacuuming = true;
    w->vacuum_due = true;
    uv_idle_start(&w->starter, queue__start_jobs);
}

/* From the starter: runs a due VACUUM in a coroutine of its own. */
void queue__start_vacuum(worker_t *w)
{
    w->vacuum_due = false;
    coro_t *co = coro_spawn(vacuum_main, vacuum_done, w);
    if (!co) {
        w->vacuuming = false;
        return;
    }
    coro_resume(co);
}

static int claim_into(worker_t *w, const char *queue, bool limited, int want, batch_t *b)
{
    if (want <= 0)
        return 0;
    queue_claimed_t *c;
    apierr_t err = {0};
    uint64_t t0 = clock_mono_ns();
    int n = queue__claim(loop_ctx_get()->db, queue, limited, w->owner, want, w->opts.lease_ms, &c,
                         &err);
    if (n >= 0 && !limited)
        watch_plan(w, n > 0 && n == want, clock_mono_ns() - t0);
    if (n < 0) {
        log_warn("job claim failed", "\"error\":\"%s\"", err.message);
        apierr_clear(&err);
        return -1;
    }
    batch_add(w, c, n, b);
    w->unvacuumed += n;
    return n;
}

/* PostgreSQL: stores the detached successes and claims up to `want` jobs
 * from `queue` in one statement (one commit). On failure the outcomes go
 * back on the finished list and nothing was claimed. */
static int claim_done(worker_t *w, detached_t *d, const char *queue, int want, batch_t *b)
{
    const queue_claimed_t **ok = d->n ? malloc((size_t)d->n * sizeof *ok) : NULL;
    const char **results = d->n ? malloc((size_t)d->n * sizeof *results) : NULL;
    int n = 0;
    if (d->n && (!ok || !results)) {
        free(ok);
        free(results);
        put_back(w, d);
        return -1;
    }
    for (const job_run_t *r = d->head; r; r = r->next, n++) {
        ok[n] = &r->c;
        results[n] = r->result;
    }
    queue_claimed_t *c;
    apierr_t err = {0};
    uint64_t t0 = clock_mono_ns();
    int got = queue__complete_claim(loop_ctx_get()->db, ok, results, n, queue, w->owner, want,
                                    w->opts.lease_ms, &c, &err);
    if (got >= 0)
        watch_plan(w, got > 0 && got == want, clock_mono_ns() - t0);
    free(ok);
    free(results);
    if (got < 0) {
        log_warn("cannot record job outcomes", "\"jobs\":%d,\"error\":\"%s\"", d->n, err.message);
        apierr_clear(&err);
        put_back(w, d);
        return -1;
    }
    release_detached(w, d);
    batch_add(w, c, got, b);
    w->unvacuumed += got;
    return got;
}

/* Hands a committed batch to the starter (keeps claim order). */
static void batch_start(worker_t *w, batch_t *b)
{
    if (!b->head)
        return;
    job_run_t **end = &w->pending;
    while (*end)
        end = &(*end)->next;
    *end = b->head;
    w->npending += b->n;
    uv_idle_start(&w->starter, queue__start_jobs);
    *b = (batch_t){0};
}

static void batch_drop(batch_t *b)
{
    while (b->head) {
        job_run_t *r = b->head;
        b->head = r->next;
        free_run(r);
    }
    *b = (batch_t){0};
}

static const queue_row_t *find_row(const queue_row_t *rows, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

static bool queue_free(const queue_row_t *rows, int nrows, const char *name)
{
    const queue_row_t *q = find_row(rows, nrows, name);
    return !q || (!q->paused && !q->limited);
}

/* Claims from the queues without limits (one statement each), starting at
 * the worker's queue `from`. */
static void claim_free_queues(worker_t *w, const queue_row_t *rows, int nrows, int want, int from,
                              batch_t *b)
{
    if (w->nqueues == 0) {
        if (from == 0)
            claim_into(w, NULL, false, want, b);
        return;
    }
    for (int i = from; i < w->nqueues && b->n < want && !w->stopping; i++)
        if (queue_free(rows, nrows, w->queues[i]))
            claim_into(w, w->queues[i], false, want - b->n, b);
}

/* The worker's copy of the queue settings (NULL with *n = -1 on error). */
static const queue_row_t *worker_rows(worker_t *w, int *n)
{
    int64_t now = clock_mono_ms();
    if (!w->rows_at || now - w->rows_at >= ROWS_TTL_MS) {
        queue_row_t *rows;
        apierr_t err = {0};
        int nrows = queue__queue_rows(loop_ctx_get()->db, &rows, &err);
        if (nrows < 0) {
            log_warn("cannot read queue settings", "\"error\":\"%s\"", err.message);
            apierr_clear(&err);
            *n = -1;
            return NULL;
        }
        free(w->rows);
        w->rows = rows;
        w->nrows = nrows;
        w->rows_at = now;
    }
    *n = w->nrows;
    return w->rows;
}

static bool only_successes(const job_run_t *list)
{
    for (const job_run_t *r = list; r; r = r->next)
        if (r->timed_out || r->rc != QUEUE_OK)
            return false;
    return true;
}

/* SQLite: stores the outcomes and claims from the free queues in one
 * transaction (one commit). Returns -1 when nothing was done. */
static int flush_and_claim_sqlite(worker_t *w, const queue_row_t *rows, int nrows, int want,
                                  batch_t *b)
{
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    detached_t d = detach(w); /* SQLite runs inline: nothing finishes meanwhile */
    if (store_begin(db, true, &err) < 0 || flush_write(w, d.head, db, &err) < 0) {
        store_rollback(db);
        goto fail;
    }
    claim_free_queues(w, rows, nrows, want, 0, b);
    if (store_commit(db, &err) < 0) {
        batch_drop(b);
        goto fail;
    }
    release_detached(w, &d);
    return 0;
fail:
    log_warn("cannot record job outcomes", "\"error\":\"%s\"", err.message);
    apierr_clear(&err);
    put_back(w, &d);
    return -1;
}

/* PostgreSQL: the successes ride with the claim from the first free queue
 * (one statement, one commit); further free queues are claimed after. */
static int flush_and_claim_pg(worker_t *w, const queue_row_t *rows, int nrows, int want,
                              batch_t *b)
{
    int first = 0;
    while (first < w->nqueues && !queue_free(rows, nrows, w->queues[first]))
        first++;
    bool none = w->nqueues > 0 && first == w->nqueues;
    detached_t d = detach(w);
    if (claim_done(w, &d, none || !w->nqueues ? NULL : w->queues[first], none ? 0 : want, b) < 0)
        return -1;
    if (!none && w->nqueues)
        claim_free_queues(w, rows, nrows, want, first + 1, b);
    return 0;
}

/* One turn: store finished outcomes, claim jobs into the free slots, with
 * one commit for both (SQLite: one transaction; PostgreSQL: one statement
 * when every outcome is a success, which is the common case). Queues with
 * limits are claimed afterwards, each in its own transaction. Returns how
 * many jobs were claimed. */
int queue__claim_round(worker_t *w)
{
    bool pg = queue__pg();
    if (pg && !only_successes(w->finished))
        queue__flush_outcomes(w); /* failures: their own transaction, then claim */
    bool together = w->finished && (!pg || only_successes(w->finished));
    int free_slots = w->slots - w->running - w->npending - w->nflushing -
                     (together ? 0 : w->nfinished);
    int nrows = 0;
    const queue_row_t *rows = free_slots > 0 ? worker_rows(w, &nrows) : NULL;
    if (!rows && (free_slots <= 0 || nrows < 0)) {
        if (together)
            queue__flush_outcomes(w);
        return 0;
    }
    batch_t b = {0};
    if (together) {
        int rc = pg ? flush_and_claim_pg(w, rows, nrows, free_slots, &b)
                    : flush_and_claim_sqlite(w, rows, nrows, free_slots, &b);
        if (rc < 0)
            return 0;
    } else {
        claim_free_queues(w, rows, nrows, free_slots, 0, &b);
    }
    int got = b.n;
    batch_start(w, &b);
    for (int i = 0; i < nrows && got < free_slots && !w->stopping; i++) {
        bool served = w->nqueues == 0;
        for (int k = 0; k < w->nqueues && !served; k++)
            served = strcmp(w->queues[k], rows[i].name) == 0;
        if (served && rows[i].limited && !rows[i].paused) {
            claim_into(w, rows[i].name, true, free_slots - got, &b);
            got += b.n;
            batch_start(w, &b);
        }
    }
    return got;
}

/*
 * queue/worker.c - workers: the claim loop and the jobs it runs.
 *
 * A worker belongs to one event loop (one per serving loop inside
 * `travloc serve`, one for `travloc worker`). Its driver coroutine claims
 * due jobs up to its free slots, then sleeps on a uv timer until the poll
 * interval passes or a finishing job kicks it. Claimed jobs wait in a
 * short list until an idle callback, on the loop's own stack, spawns one
 * coroutine per job; the handler runs there and may use the store. When
 * it returns, its outcome waits in a list that the driver's next turn
 * stores for all finished jobs at once, with one commit for the outcomes
 * and the next claim (SQLite: one transaction; PostgreSQL: one statement
 * that completes the successes and claims, so with synchronous_commit one
 * WAL flush per turn), always conditional on this worker still holding
 * the attempt. The queue settings that plan a claim are re-read at most
 * every ROWS_TTL_MS (the claim SQL re-checks pause and limits itself). While jobs run the driver extends
 * their leases (one UPDATE per worker), fails attempts past their timeout,
 * and on the worker that does maintenance reaps expired leases, applies
 * retention and fires cron ticks.
 *
 * The turn itself (outcomes and claims) is in worker_claim.c; the state
 * both files share is in worker_int.h.
 *
 * Ownership: the worker owns its job_run_t records (freed when each job's
 * coroutine finishes) and itself (freed by worker_stop once idle).
 * Everything here runs on the worker's loop thread.
 */
#include "queue/worker_int.h"

#include "core/clock.h"
#include "core/coro.h"
#include "core/log.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "http/server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local worker_t *tl_worker;

/* ---- options ----------------------------------------------------------------------- */

static int64_t env_int(const char *name, int64_t def, int64_t min, int64_t max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end || n < min || n > max) {
        log_warn("ignoring a bad queue setting", "\"name\":\"%s\"", name);
        return def;
    }
    return n;
}

bool queue_worker_opts_from_env(queue_worker_opts_t *o)
{
    *o = (queue_worker_opts_t){
        .queues = getenv("TRAVLOC_QUEUE_QUEUES"),
        .concurrency = (int)env_int("TRAVLOC_QUEUE_CONCURRENCY", 4, 1, 1024),
        .lease_ms = env_int("TRAVLOC_QUEUE_LEASE_MS", 30000, 200, 3600000),
        .poll_ms = env_int("TRAVLOC_QUEUE_POLL_MS", 200, 5, 60000),
        .maint_ms = env_int("TRAVLOC_QUEUE_MAINT_MS", 30000, 50, 3600000),
        .vacuum_every = env_int("TRAVLOC_QUEUE_VACUUM_EVERY", 5000, 0, 100000000),
        .scheduler = true,
        .maintenance = true,
    };
    return env_int("TRAVLOC_QUEUE_EMBEDDED", 1, 0, 1) == 1;
}

/* ---- sleeping and waking ------------------------------------------------------------ */

static void on_wake(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->sleeping) {
        w->sleeping = false;
        coro_resume(w->driver);
    }
}

static void kick(worker_t *w)
{
    if (w->sleeping)
        uv_timer_start(&w->timer, on_wake, 0, 0);
}

static void driver_wait(worker_t *w, int64_t ms)
{
    w->sleeping = true;
    uv_timer_start(&w->timer, on_wake, (uint64_t)(ms < 0 ? 0 : ms), 0);
    while (w->sleeping)
        coro_yield();
}

/* ---- running jobs ------------------------------------------------------------------------ */


static void job_main(void *arg)
{
    job_run_t *r = arg;
    queue_claimed_t *c = &r->c;
    int64_t due = c->run_at > c->enqueued_at ? c->run_at : c->enqueued_at;
    atomic_fetch_add(&queue__stats.started, 1);
    queue__observe(queue__stats.wait_hist, &queue__stats.wait_sum_ms, c->started_at - due);
    r->job = (queue_job_t){.id = c->id, .queue = c->queue, .type = c->type,
                           .attempt = c->attempt, .max_attempts = c->max_attempts,
                           .enqueued_at = c->enqueued_at, .worker_private = r};
    r->job.payload = json_loads(c->payload, JSON_DECODE_ANY, NULL);
    if (!r->job.payload)
        r->job.payload = json_object();
    queue_handler_fn fn = queue_handler(c->type);
    int64_t t0 = clock_mono_ms();
    int rc = fn ? fn(&r->job) : queue_job_fail(&r->job, "no handler for job type %s", c->type);
    if (rc != QUEUE_OK && rc != QUEUE_FATAL)
        rc = QUEUE_RETRY;
    queue__observe(queue__stats.run_hist, &queue__stats.run_sum_ms, clock_mono_ms() - t0);
    atomic_fetch_add(rc == QUEUE_OK ? &queue__stats.completed : &queue__stats.failed, 1);
    r->rc = rc;
    if (rc == QUEUE_OK && r->job.result)
        r->result = json_dumps(r->job.result, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(r->job.payload);
    if (r->job.result)
        json_decref(r->job.result);
}

static void job_done(void *arg)
{
    job_run_t *r = arg;
    worker_t *w = r->w;
    if (r->prev)
        r->prev->next = r->next;
    else
        w->runs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    w->running--;
    r->prev = NULL;
    r->next = w->finished;
    w->finished = r;
    w->nfinished++;
    kick(w);
}

void queue__start_jobs(uv_idle_t *h)
{
    worker_t *w = h->data;
    uv_idle_stop(h);
    if (w->vacuum_due)
        queue__start_vacuum(w);
    while (w->pending) {
        job_run_t *r = w->pending;
        w->pending = r->next;
        w->npending--;
        r->next = w->runs;
        r->prev = NULL;
        if (w->runs)
            w->runs->prev = r;
        w->runs = r;
        w->running++;
        coro_t *co = coro_spawn(job_main, job_done, r);
        if (!co) { /* out of memory: record a failed attempt */
            log_error("cannot start a job", "\"job\":\"%s\"", r->c.id);
            r->rc = queue_job_fail(&r->job, "the worker is out of memory");
            job_done(r);
            continue;
        }
        coro_resume(co);
    }
}

/* ---- housekeeping --------------------------------------------------------------------- */

/* Marks attempts past their timeout first, then records them failed: the
 * writes may yield, and the running list changes meanwhile (records only
 * move to the finished list, which nobody but this driver frees). */
static void check_timeouts(worker_t *w, int64_t now)
{
    job_run_t *late[64];
    int n = 0;
    for (job_run_t *r = w->runs; r && n < 64; r = r->next) {
        if (r->timed_out || r->c.timeout_ms <= 0 || now - r->c.started_at <= r->c.timeout_ms)
            continue;
        r->timed_out = true;
        late[n++] = r;
    }
    for (int i = 0; i < n; i++) {
        atomic_fetch_add(&queue__stats.timed_out, 1);
        char msg[96];
        snprintf(msg, sizeof msg, "timed out after %lld ms", (long long)late[i]->c.timeout_ms);
        apierr_t err = {0};
        if (queue__fail(loop_ctx_get()->db, &late[i]->c, w->owner, msg, false, &err) < 0)
            apierr_clear(&err);
    }
}

static void housekeeping(worker_t *w)
{
    store_conn_t *db = loop_ctx_get()->db;
    int64_t now = clock_now_ms();
    apierr_t err = {0};
    check_timeouts(w, now);
    if (w->runs && now >= w->next_extend) {
        w->next_extend = now + w->opts.lease_ms / 3;
        if (queue__extend(db, w->owner, now + w->opts.lease_ms, &err) < 0)
            log_warn("cannot extend job leases", "\"error\":\"%s\"", err.message);
        apierr_clear(&err);
    }
    if (w->stopping || !w->opts.maintenance)
        return;
    if (now >= w->next_reap) {
        int64_t every = w->opts.lease_ms / 2;
        w->next_reap = now + (every > w->opts.poll_ms ? every : w->opts.poll_ms);
        if (queue__reap(db, &err) < 0)
            log_warn("cannot reap job leases", "\"error\":\"%s\"", err.message);
        apierr_clear(&err);
    }
    if (queue__pg() && w->counts && now >= w->next_counts) {
        w->next_counts = now + 5000;
        queue__counts_refresh(db);
    }
    if (now >= w->next_retention) {
        w->next_retention = now + w->opts.maint_ms;
        if (queue__retention(db, &err) < 0)
            log_warn("job retention failed", "\"error\":\"%s\"", err.message);
        apierr_clear(&err);
    }
    if (w->opts.scheduler && now >= w->next_sched) {
        w->next_sched = now + w->opts.poll_ms;
        if (queue__fire_schedules(db, &err) >= 0)
            return;
        log_warn("cannot read job schedules", "\"error\":\"%s\"", err.message);
        apierr_clear(&err);
    }
}

static void driver_main(void *arg)
{
    worker_t *w = arg;
    while (!w->stopping) {
        housekeeping(w);
        int got = w->stopping ? 0 : queue__claim_round(w);
        if (w->stopping)
            break;
        queue__maybe_vacuum(w);
        if (got > 0 && w->running + w->npending + w->nfinished + w->nflushing < w->slots)
            continue;
        int64_t wait = w->opts.poll_ms;
        if (w->runs && w->next_extend - clock_now_ms() < wait)
            wait = w->next_extend - clock_now_ms();
        driver_wait(w, wait);
    }
    for (int tries = 0; w->running > 0 || w->npending > 0 || (w->finished && tries < 20);) {
        queue__flush_outcomes(w);
        if (w->finished && !w->running && !w->npending)
            tries++;
        housekeeping(w);
        if (w->running > 0 || w->npending > 0 || w->finished)
            driver_wait(w, w->opts.poll_ms);
    }
    queue__flush_done(w); /* if the database stayed away, the leases will lapse */
}

static void driver_done(void *arg)
{
    worker_t *w = arg;
    w->driver_done = true;
}

/* ---- life cycle ---------------------------------------------------------------------- */

static worker_t *worker_new(uv_loop_t *loop, const queue_worker_opts_t *opts, int index,
                            int slots, bool maintenance)
{
    worker_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->loop = loop;
    w->opts = *opts;
    w->opts.maintenance = opts->maintenance && maintenance;
    w->opts.scheduler = opts->scheduler && maintenance;
    w->slots = slots > 0 ? slots : 1;
    w->counts = true;
    if (opts->queues && *opts->queues) {
        w->queues_buf = strdup(opts->queues);
        for (char *save, *t = strtok_r(w->queues_buf, ",", &save); t && w->nqueues < 32;
             t = strtok_r(NULL, ",", &save))
            if (queue_name_valid(t))
                w->queues[w->nqueues++] = t;
    }
    w->opts.queues = NULL;
    char host[64] = "host", id[UUID_STR_LEN];
    gethostname(host, sizeof host - 1);
    uuid_v7(id);
    snprintf(w->owner, sizeof w->owner, "%.40s:%d:%d:%.8s", host, (int)getpid(), index, id + 28);
    uv_timer_init(loop, &w->timer);
    uv_idle_init(loop, &w->starter);
    w->timer.data = w->starter.data = w;
    w->open_handles = 2;
    return w;
}

static int worker_start(worker_t *w)
{
    w->driver = coro_spawn(driver_main, driver_done, w);
    if (!w->driver)
        return -1;
    coro_resume(w->driver);
    return 0;
}

typedef struct {
    uv_timer_t t;
    bool open;
} guard_t;

static void guard_tick(uv_timer_t *t) { (void)t; }

static void guard_closed(uv_handle_t *h) { ((guard_t *)h->data)->open = false; }

static void closed_free(uv_handle_t *h)
{
    worker_t *w = h->data;
    if (--w->open_handles == 0) {
        free(w->queues_buf);
        free(w->rows);
        free(w);
    }
}

/* Asks the worker to stop. An idle driver is finished right here (on the
 * loop's stack); otherwise the loop runs until running jobs are done or
 * the grace period ends. Returns the number of jobs abandoned (then w is
 * leaked on purpose: the process is about to exit and their coroutines
 * still point at it); on 0, w is freed once its handles have closed, by
 * whoever runs the loop next. */
/* Done: the driver finished and no job (nor a VACUUM) still runs. */
static bool worker_idle(const worker_t *w)
{
    return w->driver_done && w->running == 0 && !w->vacuuming;
}

static int worker_stop(worker_t *w, int grace_ms)
{
    w->stopping = true;
    if (!w->driver_done && w->sleeping && w->running == 0 && w->npending == 0) {
        w->sleeping = false;
        uv_timer_stop(&w->timer);
        coro_resume(w->driver);
    }
    if (!worker_idle(w)) {
        kick(w);
        int64_t deadline = clock_mono_ms() + grace_ms;
        guard_t g = {.open = true};
        uv_timer_init(w->loop, &g.t);
        g.t.data = &g;
        while (!worker_idle(w) && clock_mono_ms() < deadline) {
            uv_timer_start(&g.t, guard_tick, 100, 0); /* bounds each turn */
            uv_run(w->loop, UV_RUN_ONCE);
        }
        uv_close((uv_handle_t *)&g.t, guard_closed);
        while (g.open)
            uv_run(w->loop, UV_RUN_ONCE);
    }
    if (!worker_idle(w)) {
        log_warn("stopped with jobs still running; their leases will lapse", "\"jobs\":%d",
                 w->running);
        return w->running > 0 ? w->running : 1;
    }
    uv_close((uv_handle_t *)&w->timer, closed_free);
    uv_close((uv_handle_t *)&w->starter, closed_free);
    return 0;
}

int queue_job_progress(queue_job_t *job, int percent, const char *message)
{
    job_run_t *r = job->worker_private;
    if (!r || r->timed_out)
        return -1;
    apierr_t err = {0};
    int rc = queue__progress(loop_ctx_get()->db, r->c.id, r->w->owner, r->c.attempt, percent,
                             message, &err);
    apierr_clear(&err);
    return rc > 0 ? 0 : -1;
}

/* ---- inside travloc serve ------------------------------------------------------------- */

static queue_worker_opts_t serve_opts;
static store_t *serve_store;

static void service_start(loop_ctx_t *lc)
{
    const config_t *cfg = server_config();
    int loops = cfg && cfg->threads > 0 ? cfg->threads : 1;
    int slots = (serve_opts.concurrency + loops - 1) / loops;
    tl_worker = worker_new(lc->loop, &serve_opts, lc->index, slots, lc->index == 0);
    if (tl_worker && worker_start(tl_worker) < 0)
        log_error("cannot start the job worker", NULL);
}

static void service_drain(loop_ctx_t *lc)
{
    (void)lc;
    if (tl_worker) {
        tl_worker->stopping = true;
        kick(tl_worker);
    }
}

static int service_stop(loop_ctx_t *lc)
{
    (void)lc;
    worker_t *w = tl_worker;
    tl_worker = NULL;
    if (!w)
        return 0;
    const config_t *cfg = server_config();
    return worker_stop(w, cfg ? cfg->shutdown_timeout_ms : 10000);
}

void queue_serve_attach(store_t *store, const queue_worker_opts_t *opts)
{
    static const server_service_t svc = {service_start, service_stop, service_drain};
    serve_store = store;
    serve_opts = *opts;
    serve_opts.queues = opts->queues ? strdup(opts->queues) : NULL; /* kept for the run */
    queue__init(store);
    server_add_service(&svc);
}

void queue_serve_init(store_t *store)
{
    queue__init(store);
    queue_worker_opts_t o;
    if (queue_worker_opts_from_env(&o))
        queue_serve_attach(store, &o);
}

/* ---- travloc worker --------------------------------------------------------------------- */

static worker_t *standalone;

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    log_info("worker stopping", "\"signal\":%d", signum);
    if (standalone) {
        standalone->stopping = true;
        kick(standalone);
    }
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int queue_worker_run(store_t *store, const queue_worker_opts_t *opts, int grace_ms)
{
    queue__init(store);
    uv_loop_t loop;
    uv_loop_init(&loop);
    loop_ctx_t lc = {.loop = &loop, .index = 0};
    loop_ctx_set(&lc);
    lc.db = store_conn_open(store, &loop);
    uv_signal_t sig[2];
    uv_signal_init(&loop, &sig[0]);
    uv_signal_init(&loop, &sig[1]);
    uv_signal_start(&sig[0], on_signal, SIGTERM);
    uv_signal_start(&sig[1], on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    standalone = worker_new(&loop, opts, 0, opts->concurrency, true);
    if (!lc.db || !standalone || worker_start(standalone) < 0) {
        log_error("cannot start the worker", NULL);
        _exit(1);
    }
    standalone->counts = false; /* no /metrics here: skip the whole-table count */
    log_info("worker started", "\"owner\":\"%s\",\"concurrency\":%d,\"backend\":\"%s\"",
             standalone->owner, standalone->slots, store_backend_name(store));
    while (!standalone->stopping)
        uv_run(&loop, UV_RUN_ONCE);
    int abandoned = worker_stop(standalone, grace_ms);
    standalone = NULL;
    if (abandoned) {
        log_warn("worker stopped with jobs abandoned", "\"jobs\":%d", abandoned);
        _exit(0);
    }
    store_conn_close(lc.db);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    coro_thread_cleanup();
    loop_ctx_set(NULL);
    log_info("worker stopped", NULL);
    return 0;
}

/*
 * queue/metrics.c - the job queue's /metrics families.
 *
 * Job counts by queue and state come from the database at scrape time
 * (the scrape runs in the /metrics request's coroutine, on its loop's
 * handle), so they cover every process and node. Latency from due time
 * (enqueue or run-at) to start, run time and outcome counters are this
 * process's own workers, kept in relaxed atomics.
 */
#include "queue/queue_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/coro.h"
#include "core/loopctx.h"

#include <pthread.h>
#include <string.h>

static const int64_t bounds_ms[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
                                    30000, 60000, 300000};
#define NB ((int)(sizeof bounds_ms / sizeof bounds_ms[0]))
_Static_assert(NB < 16, "histogram slots");

queue_stats_t queue__stats;

void queue__observe(_Atomic uint64_t *hist, _Atomic uint64_t *sum, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    int b = 0;
    while (b < NB && ms > bounds_ms[b])
        b++;
    atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(sum, (uint64_t)ms, memory_order_relaxed);
}

static void histogram(buf_t *out, const char *name, const char *help, _Atomic uint64_t *hist,
                      _Atomic uint64_t *sum)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int b = 0; b < NB; b++) {
        cum += atomic_load_explicit(&hist[b], memory_order_relaxed);
        buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, (double)bounds_ms[b] / 1000.0,
                   (unsigned long long)cum);
    }
    cum += atomic_load_explicit(&hist[NB], memory_order_relaxed);
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.3f\n%s_count %llu\n", name,
               (unsigned long long)cum, name,
               (double)atomic_load_explicit(sum, memory_order_relaxed) / 1000.0, name,
               (unsigned long long)cum);
}

static void counter(buf_t *out, const char *name, const char *help, _Atomic uint64_t *v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
               (unsigned long long)atomic_load_explicit(v, memory_order_relaxed));
}

/* Renders the counts family from the database; -1 when the query failed. */
static int render_counts(store_conn_t *db, buf_t *out)
{
    store_arg_t a[] = {ARG_INT(clock_now_ms())};
    store_res_t *r;
    apierr_t err = {0};
    if (store_query(db,
                    "SELECT queue, CASE WHEN state IN ('waiting', 'delayed') THEN "
                    "CASE WHEN run_at > $1 THEN 'delayed' ELSE 'waiting' END ELSE state END, "
                    "COUNT(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2",
                    a, 1, &r, &err) < 0) {
        apierr_clear(&err);
        return -1;
    }
    buf_puts(out, "# HELP travloc_jobs Jobs by queue and state (whole database).\n"
                  "# TYPE travloc_jobs gauge\n");
    for (int i = 0; i < r->nrows; i++) {
        buf_puts(out, "travloc_jobs{queue=");
        const char *q = store_val(r, i, 0);
        buf_json_str(out, q, strlen(q));
        buf_printf(out, ",state=\"%s\"} %lld\n", store_val(r, i, 1),
                   (long long)store_int(r, i, 2));
    }
    store_res_free(r);
    return 0;
}

/* /metrics runs on the loop's stack, where a PostgreSQL query cannot
 * wait: there the counts come from a copy the maintenance worker refreshes
 * (queue__counts_refresh). SQLite answers inline. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static buf_t cache;

void queue__counts_refresh(store_conn_t *db)
{
    buf_t b = BUF_INIT;
    if (render_counts(db, &b) < 0) {
        buf_free(&b);
        return;
    }
    pthread_mutex_lock(&cache_mu);
    buf_free(&cache);
    cache = b;
    pthread_mutex_unlock(&cache_mu);
}

static void job_counts(buf_t *out)
{
    loop_ctx_t *lc = loop_ctx_get();
    if (lc && lc->db && (coro_current() || !queue__pg()) && render_counts(lc->db, out) == 0)
        return;
    pthread_mutex_lock(&cache_mu);
    if (cache.len)
        buf_append(out, cache.data, cache.len);
    pthread_mutex_unlock(&cache_mu);
}

void queue_metrics_source(buf_t *out);
void queue_metrics_source(buf_t *out)
{
    job_counts(out);
    queue_stats_t *s = &queue__stats;
    histogram(out, "travloc_job_wait_seconds",
              "Time from a job being due (enqueued or run-at) to its start, this process.",
              s->wait_hist, &s->wait_sum_ms);
    histogram(out, "travloc_job_run_seconds", "Handler run time, this process.", s->run_hist,
              &s->run_sum_ms);
    counter(out, "travloc_jobs_started_total", "Attempts started by this process.", &s->started);
    counter(out, "travloc_jobs_completed_total", "Attempts that succeeded.", &s->completed);
    counter(out, "travloc_jobs_failed_total", "Attempts that failed.", &s->failed);
    counter(out, "travloc_jobs_dead_total", "Jobs moved to the dead-letter state.", &s->dead);
    counter(out, "travloc_jobs_timed_out_total", "Attempts past their timeout.", &s->timed_out);
    counter(out, "travloc_jobs_stalled_total", "Expired leases reclaimed.", &s->stalled);
}

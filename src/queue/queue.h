/*
 * queue.h - the durable job queue: enqueue, handlers, progress, workers.
 *
 * Jobs live in the application's own database (tables jobs, job_queues,
 * job_schedules; migration 0003), so a job is enqueued in the same
 * transaction as the change that causes it and nothing is lost when a
 * process dies. Workers claim jobs with a lease (PostgreSQL: FOR UPDATE
 * SKIP LOCKED; SQLite: one claimant at a time under BEGIN IMMEDIATE), extend
 * it while the handler runs, and a job whose lease expires runs again
 * elsewhere: delivery is at least once, so handlers must be idempotent.
 *
 * Threads: queue_register() and queue_init() run once at start-up, before
 * any loop thread; everything else runs on a loop thread (inside a
 * coroutine, where PostgreSQL queries suspend) or on a blocking CLI handle.
 *
 * Ownership: job_spec_t and its strings are borrowed for the call. The
 * queue_job_t a handler receives is owned by the worker and valid only
 * until the handler returns; a handler that sets job->result hands that
 * reference over to the worker.
 */
#ifndef TRAVLOC_QUEUE_H
#define TRAVLOC_QUEUE_H

#include "core/apierr.h"
#include "core/config.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { QUEUE_BACKOFF_EXPONENTIAL = 0, QUEUE_BACKOFF_FIXED = 1 } queue_backoff_t;

/* What to enqueue. Zero means "default" for every numeric field. */
typedef struct {
    const char *queue;        /* [a-z0-9_.-]{1,64}; NULL = "default" */
    const char *type;         /* [A-Za-z0-9_.:-]{1,64}, required */
    json_t *payload;          /* borrowed; NULL = {}; at most 256 KiB serialised */
    int priority;             /* -1000..1000, higher runs first */
    int64_t delay_ms;         /* run no earlier than now + delay_ms */
    int64_t run_at_ms;        /* or an absolute Unix ms time (wins over delay) */
    int max_attempts;         /* 1..100; 0 = 3 */
    queue_backoff_t backoff;
    int64_t backoff_ms;       /* base delay between attempts; 0 = 1000 */
    int64_t timeout_ms;       /* per attempt; 0 = none */
    const char *dedupe_key;   /* NULL = none; a second enqueue with the same
                                 key while the first is pending is a no-op */
} job_spec_t;

/* Enqueues one job on db, inside the caller's transaction when one is open
 * (so a rollback leaves no job). Writes the job id to id_out. Returns 0 for
 * a new job, 1 when dedupe_key matched a pending job (id_out is that job),
 * -1 with err set (422 naming the field for a bad spec). */
int queue_enqueue(store_conn_t *db, const job_spec_t *spec, char id_out[37], apierr_t *err);

/* Enqueues n (1..1000) jobs of the same spec, which must have no dedupe
 * key, as queue_enqueue does (same transaction rules); on PostgreSQL with
 * one statement. Writes the n ids to ids_out. Returns 0, or -1 with err
 * set. */
int queue_enqueue_many(store_conn_t *db, const job_spec_t *spec, int n, char (*ids_out)[37],
                       apierr_t *err);

/* ---- handlers ------------------------------------------------------------------- */

typedef struct queue_job {
    const char *id, *queue, *type;   /* read-only */
    json_t *payload;                 /* borrowed, read-only */
    int attempt;                     /* 1 for the first run */
    int max_attempts;
    int64_t enqueued_at;             /* Unix ms */
    json_t *result;                  /* set by the handler on success (stolen) */
    char error[512];                 /* set by the handler on failure */
    void *worker_private;
} queue_job_t;

enum {
    QUEUE_OK = 0,
    QUEUE_RETRY = -1,   /* failed this attempt; retried with backoff until max_attempts */
    QUEUE_FATAL = -2,   /* failed for good: straight to the dead-letter state */
};

/* A handler runs in its own coroutine on a worker's loop: it may use the
 * store through loop_ctx_get()->db and must send slow CPU or file work
 * through loop_run_blocking(). Returns QUEUE_OK, QUEUE_RETRY or QUEUE_FATAL. */
typedef int (*queue_handler_fn)(queue_job_t *job);

/* Registers the handler of a job type (at start-up, before threads run;
 * the type string must outlive the process). Returns -1 when the table is
 * full or the type already has a handler. */
int queue_register(const char *type, queue_handler_fn fn);
queue_handler_fn queue_handler(const char *type);
/* Registers the built-in types (noop). Idempotent. */
void queue_register_builtins(void);

/* Records progress (0..100, message may be NULL) for a running job. Returns
 * 0, or -1 when the job is no longer this worker's (cancelled, lease lost):
 * the handler should then stop early. */
int queue_job_progress(queue_job_t *job, int percent, const char *message);
/* Formats job->error (printf-style) and returns QUEUE_RETRY for tail calls. */
int queue_job_fail(queue_job_t *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- workers ------------------------------------------------------------------- */

typedef struct {
    const char *queues;       /* comma-separated names; NULL/"" = every queue */
    int concurrency;          /* jobs at once in this process; 0 = 4 */
    int64_t lease_ms;         /* 0 = 30000 */
    int64_t poll_ms;          /* idle poll interval; 0 = 200 */
    int64_t maint_ms;         /* retention interval; 0 = 30000 */
    bool scheduler;           /* fire cron schedules */
    bool maintenance;         /* lease reaping and retention */
    int64_t vacuum_every;     /* PostgreSQL: VACUUM jobs every N jobs claimed; 0 = never */
} queue_worker_opts_t;

/* Fills opts from the environment (TRAVLOC_QUEUE_QUEUES, _CONCURRENCY,
 * _LEASE_MS, _POLL_MS, _MAINT_MS, _VACUUM_EVERY; TRAVLOC_QUEUE_EMBEDDED=0
 * switches the serve pool off). Returns false when the embedded pool is
 * switched off. */
bool queue_worker_opts_from_env(queue_worker_opts_t *opts);

/* Runs the embedded worker pool on the server's loops: call once before
 * server_run(). opts is copied. */
void queue_serve_attach(store_t *store, const queue_worker_opts_t *opts);

/* Prepares the queue for `travloc serve` (call once before server_run) and
 * attaches the embedded pool unless TRAVLOC_QUEUE_EMBEDDED=0. */
void queue_serve_init(store_t *store);

/* `travloc worker ...` and `travloc jobs ...` (cli.c): argv starts after the
 * command word; returns the exit status. */
int queue_cli(const char *cmd, int argc, char **argv);

/* Runs a standalone worker (travloc worker) on its own loop until SIGTERM
 * or SIGINT, then lets running jobs finish for up to grace_ms; returns the
 * exit status. */
int queue_worker_run(store_t *store, const queue_worker_opts_t *opts, int grace_ms);
/* The configuration of the running `travloc worker` (what its handlers
 * should use: data dir, provider URLs), or NULL in any other process. */
const config_t *queue_worker_config(void);

/* ---- cron schedules ------------------------------------------------------------- */

typedef struct {
    const char *name;         /* [A-Za-z0-9_.:-]{1,64} */
    const char *cron;         /* 5 or 6 fields (cron.h) */
    const char *tz;           /* IANA zone; NULL = "UTC" */
    const char *queue;        /* NULL = "default" */
    const char *type;
    json_t *payload;          /* borrowed; NULL = {} */
    bool skip_missed;         /* false: missed ticks run once; true: skipped */
    int priority, max_attempts;
} queue_schedule_t;

/* Creates or replaces a schedule. The next tick is recomputed when the
 * expression or zone changed. Returns 0 or -1 (422 for a bad expression). */
int queue_schedule_upsert(store_conn_t *db, const queue_schedule_t *s, apierr_t *err);
/* Returns 0, or -1 with 404 when there is no such schedule. */
int queue_schedule_delete(store_conn_t *db, const char *name, apierr_t *err);

/* ---- administration ------------------------------------------------------------ */

/* The job as API JSON (camelCase, RFC 3339 times), or NULL with err 404. */
json_t *queue_job_get(store_conn_t *db, const char *id, apierr_t *err);
/* {items, nextCursor}: newest first; queue/state NULL for any. */
json_t *queue_job_list(store_conn_t *db, const char *queue, const char *state, int limit,
                       const char *cursor, apierr_t *err);
/* failed or cancelled -> waiting with attempts reset (409 otherwise). */
int queue_job_retry(store_conn_t *db, const char *id, apierr_t *err);
/* waiting, delayed or active -> cancelled (409 otherwise). */
int queue_job_cancel(store_conn_t *db, const char *id, apierr_t *err);
/* Deletes jobs of a queue in a final state (completed, failed, cancelled);
 * returns how many, or -1. */
int64_t queue_purge(store_conn_t *db, const char *queue, const char *state, apierr_t *err);
/* {"states": {state: n}, "completed": {count, firstStartedAt, lastFinishedAt,
 * jobsPerSecond, waitMs: {p50, p99, max}}} for one queue (NULL: all). */
json_t *queue_stats(store_conn_t *db, const char *queue, apierr_t *err);
int queue_set_paused(store_conn_t *db, const char *queue, bool paused, apierr_t *err);

typedef struct {
    int concurrency;          /* -1 = unchanged, 0 = unlimited */
    int rate_max;             /* -1 = unchanged, 0 = off */
    int64_t rate_interval_ms; /* -1 = unchanged */
    int64_t keep_completed_ms;    /* -1 = unchanged */
    int keep_completed_count;     /* -1 = unchanged */
} queue_settings_t;
int queue_configure(store_conn_t *db, const char *queue, const queue_settings_t *s, apierr_t *err);

/* Checks a queue name / job type; false for anything else. */
bool queue_name_valid(const char *s);
bool queue_type_valid(const char *s);

#endif

/*
 * queue/worker_int.h - a worker's state, shared by worker.c (its loop, its
 * jobs, its life cycle) and worker_claim.c (its turns: storing outcomes and
 * claiming). Not for callers outside src/queue/.
 *
 * Ownership as in worker.c: the worker owns its job_run_t records and its
 * copy of the queue settings; everything runs on the worker's loop thread.
 */
#ifndef TRAVLOC_QUEUE_WORKER_INT_H
#define TRAVLOC_QUEUE_WORKER_INT_H

#include "core/coro.h"
#include "queue/queue_int.h"

#include <uv.h>

typedef struct worker worker_t;

typedef struct job_run {
    worker_t *w;
    queue_claimed_t c;
    queue_job_t job;
    bool timed_out;
    int rc;                      /* outcome, once the handler returned */
    char *result;                /* serialised result (malloc'd) or NULL */
    struct job_run *next, *prev;
} job_run_t;

struct worker {
    uv_loop_t *loop;
    queue_worker_opts_t opts;
    char *queues_buf;
    char *queues[32];
    int nqueues;                 /* 0 = every queue */
    char owner[128];
    int slots, running, npending;
    coro_t *driver;
    bool driver_done, sleeping, stopping;
    uv_timer_t timer;
    uv_idle_t starter;
    int open_handles;
    job_run_t *pending;          /* claimed, not started (LIFO is fine: sorted batches are short) */
    job_run_t *runs;             /* running */
    job_run_t *finished;         /* handler returned, outcome not yet stored */
    int nfinished;
    int nflushing;               /* outcomes being written right now */
    int64_t next_extend, next_reap, next_retention, next_counts, next_sched;
    bool counts;                 /* refresh the /metrics job counts (serve only) */
    queue_row_t *rows;           /* queue settings, re-read every ROWS_TTL_MS */
    int nrows;
    int64_t rows_at;
    int slow_claims;             /* consecutive slow full claims (worker_claim.c) */
    int64_t analyzed_at;         /* last ANALYZE it ran (monotonic ms) */
    int64_t unvacuumed;          /* jobs claimed since its last VACUUM (worker_claim.c) */
    bool vacuuming;              /* a VACUUM is due or running */
    bool vacuum_due;             /* ... and the starter has yet to spawn it */
};

/* How long the worker trusts its copy of the queue settings. The claim SQL
 * itself skips paused and limited queues, so a stale copy only delays
 * noticing a queue that became limited or was resumed, never breaks a limit. */
#define ROWS_TTL_MS 250

/* Jobs keep finishing while a PostgreSQL write is in flight (the driver
 * yields), so a flush works on the list it detached; their slots stay
 * counted (nflushing) until the outcome is stored or put back. */
typedef struct {
    job_run_t *head;
    int n;
} detached_t;

/* A batch of claimed jobs not yet handed to the starter. */
typedef struct {
    job_run_t *head, *tail;
    int n;
} batch_t;

/* worker_claim.c */
/* Stores finished outcomes (one transaction, or one statement); on failure
 * they stay on the list for the next turn. */
void queue__flush_outcomes(worker_t *w);
/* Drops finished outcomes unstored (their leases will lapse). */
void queue__flush_done(worker_t *w);
/* One turn: outcomes stored and free slots claimed; returns jobs claimed. */
int queue__claim_round(worker_t *w);

/* PostgreSQL: every so many claimed jobs, VACUUM jobs in a coroutine of its
 * own (another pooled connection; the worker keeps claiming meanwhile). */
void queue__maybe_vacuum(worker_t *w);
void queue__start_vacuum(worker_t *w);

/* worker.c: the idle callback that starts pending jobs. */
void queue__start_jobs(uv_idle_t *h);

#endif

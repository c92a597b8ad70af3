/*
 * queue/queue_int.h - shared by the queue's own files; not for callers.
 *
 * The dialect flag (set once by queue__init from the store kind) picks the
 * claim SQL: FOR UPDATE SKIP LOCKED on PostgreSQL, a single atomic UPDATE
 * under SQLite's one-writer lock. Counters are process-wide atomics read by
 * the /metrics source.
 */
#ifndef TRAVLOC_QUEUE_INT_H
#define TRAVLOC_QUEUE_INT_H

#include "queue/queue.h"

#include <stdatomic.h>

/* Sets the dialect and registers the metrics source (idempotent). */
void queue__init(store_t *store);
bool queue__pg(void);

/* A job taken by a claim; strings are malloc'd, freed by queue__claimed_free. */
typedef struct {
    char id[37];
    char *queue, *type, *payload;
    int attempt, max_attempts;
    int priority;
    queue_backoff_t backoff;
    int64_t backoff_ms, timeout_ms;
    int64_t enqueued_at, run_at, started_at;
} queue_claimed_t;

void queue__claimed_free(queue_claimed_t *c, int n);

/* Claims up to `want` due jobs from `queue` (NULL: every queue without
 * limits or pause) for `owner`, leased until now + lease_ms. Applies the
 * queue's concurrency and rate limits when `limited`; without `limited` a
 * queue that is paused or has limits yields nothing. Returns how many
 * (*out malloc'd, sorted by priority then run_at), or -1. */
int queue__claim(store_conn_t *db, const char *queue, bool limited, const char *owner, int want,
                 int64_t lease_ms, queue_claimed_t **out, apierr_t *err);

/* Queue settings rows, for the worker's claim plan. */
typedef struct {
    char name[65];
    bool paused, limited;
} queue_row_t;
int queue__queue_rows(store_conn_t *db, queue_row_t **rows, apierr_t *err);

/* Outcome of an attempt. Both only touch the row while it is still this
 * owner's active attempt; return 1 when they did, 0 when not, -1 on error. */
int queue__complete(store_conn_t *db, const queue_claimed_t *c, const char *owner,
                    const char *result, apierr_t *err);
/* Completes up to 16 attempts in one statement (same conditions). */
int queue__complete_many(store_conn_t *db, const queue_claimed_t *const *c,
                         const char *const *results, int n, const char *owner, apierr_t *err);
/* PostgreSQL only: completes `ndone` finished attempts (as
 * queue__complete_many, any number) and claims up to `want` jobs from
 * `queue` (NULL: every queue without limits or pause; a named queue only
 * while it has neither) in one statement, one commit. Returns how many
 * were claimed (*out as queue__claim), or -1 with nothing changed. */
int queue__complete_claim(store_conn_t *db, const queue_claimed_t *const *done,
                          const char *const *results, int ndone, const char *queue,
                          const char *owner, int want, int64_t lease_ms, queue_claimed_t **out,
                          apierr_t *err);
int queue__fail(store_conn_t *db, const queue_claimed_t *c, const char *owner,
                const char *error, bool fatal, apierr_t *err);
int queue__extend(store_conn_t *db, const char *owner, int64_t until, apierr_t *err);
/* Expired leases go back to waiting (or to failed after too many stalls). */
int64_t queue__reap(store_conn_t *db, apierr_t *err);
/* Deletes completed jobs past each queue's age/count retention. */
int64_t queue__retention(store_conn_t *db, apierr_t *err);
/* Fires due cron ticks (each claimed by a conditional UPDATE); returns the
 * number of jobs enqueued. */
int queue__fire_schedules(store_conn_t *db, apierr_t *err);
int queue__progress(store_conn_t *db, const char *id, const char *owner, int attempt,
                    int percent, const char *message, apierr_t *err);

/* Process counters for /metrics. */
typedef struct {
    _Atomic uint64_t started, completed, failed, dead, stalled, timed_out;
    _Atomic uint64_t wait_hist[16], run_hist[16];
    _Atomic uint64_t wait_sum_ms, run_sum_ms;
} queue_stats_t;
extern queue_stats_t queue__stats;
/* Refreshes the job counts /metrics shows where it cannot query. */
void queue__counts_refresh(store_conn_t *db);
void queue__observe(_Atomic uint64_t *hist, _Atomic uint64_t *sum, int64_t ms);

#endif

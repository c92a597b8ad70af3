/*
 * queue/policy.h - the queue's pure decisions: backoff delays, what a
 * failure leads to, how many jobs a claim may take under concurrency and
 * rate limits, and the fixed rate window. No I/O, no state: unit tested
 * in tests/unit/test_queue_policy.c and used by claim.c and worker.c.
 */
#ifndef TRAVLOC_QUEUE_POLICY_H
#define TRAVLOC_QUEUE_POLICY_H

#include "queue/queue.h"

#include <stdbool.h>
#include <stdint.h>

#define QUEUE_BACKOFF_CAP_MS (24LL * 3600 * 1000) /* no retry waits longer */
#define QUEUE_MAX_STALLS 3 /* lease losses before a job is dead-lettered */

/* Delay before attempt `attempt + 1` after attempt `attempt` (1-based)
 * failed. Fixed: base. Exponential: base * 2^(attempt-1) with "equal
 * jitter" (half fixed, half uniformly random from rnd), capped at
 * QUEUE_BACKOFF_CAP_MS. base <= 0 gives 0. */
int64_t queue_backoff_delay(queue_backoff_t kind, int64_t base_ms, int attempt, uint32_t rnd);

typedef enum { QUEUE_NEXT_RETRY, QUEUE_NEXT_DEAD } queue_next_t;

/* After a failed attempt: retry while attempts < max_attempts and the
 * failure is not fatal, otherwise dead-letter. */
queue_next_t queue_after_failure(int attempts, int max_attempts, bool fatal);

/* After a lost lease (the worker died): the attempt is not counted, the
 * job runs again, unless it has already stalled QUEUE_MAX_STALLS times. */
queue_next_t queue_after_stall(int stalls_before);

/* The fixed rate window that contains now: floor(now / interval). */
int64_t queue_rate_window(int64_t now_ms, int64_t interval_ms);

typedef struct {
    int want;             /* free local slots */
    int concurrency;      /* queue-wide limit, 0 = none */
    int active;           /* jobs of the queue active anywhere */
    int rate_max;         /* 0 = no rate limit */
    int64_t rate_window;  /* stored window */
    int rate_count;       /* jobs started in the stored window */
    int64_t now_window;   /* queue_rate_window(now) */
} queue_budget_in_t;

/* How many jobs a claim may take now (>= 0). A stored window newer than
 * now_window (another node's clock ran ahead) allows nothing. */
int queue_claim_budget(const queue_budget_in_t *in);

/* Checks a job spec; fills err (422 naming the field) and returns -1 when
 * invalid. *payload_text receives the serialised payload (malloc'd). */
int queue_spec_check(const job_spec_t *s, char **payload_text, apierr_t *err);

#endif

/*
 * cleanup.h - deleting what the accounts tables no longer need.
 *
 * accounts_cleanup() removes, in one pass of short DELETE statements:
 *   - refresh tokens past their expiry (an expired token is refused
 *     without theft detection, so it no longer guards anything) and
 *     tokens of revoked sessions; spent but unexpired tokens stay, since a
 *     replay of one must still end its session;
 *   - one-time tokens (verification, reset, MFA step) that are expired or
 *     used, and phone codes past their expiry;
 *   - outbox rows delivered more than 7 days ago (undelivered rows are
 *     never deleted: they are still being retried);
 *   - brute-force counters idle for a day and not locked;
 *   - Idempotency-Key rows older than their 24-hour lifetime (the same
 *     rule as idem_purge() in api/idempotency.c, which nothing scheduled).
 *
 * It runs as the job "accounts.cleanup", scheduled every 10 minutes by
 * accounts_cleanup_schedule() at server start, and on demand through
 * POST /v1/admin/maintenance/cleanup. Every statement is idempotent, so
 * a job that runs twice does no harm.
 *
 * Calling context: a coroutine on a loop (job handler, request) or a
 * blocking handle.
 */
#ifndef TRAVLOC_CLEANUP_H
#define TRAVLOC_CLEANUP_H

#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

#define CLEANUP_OUTBOX_KEEP_MS (7LL * 24 * 3600 * 1000)
#define CLEANUP_ATTEMPTS_IDLE_MS (24LL * 3600 * 1000)
#define CLEANUP_IDEMPOTENCY_KEEP_MS (24LL * 3600 * 1000)

/* Deletes what is due at time now (Unix ms). Returns a new object of
 * counts {refreshTokens, oneTimeTokens, phoneCodes, outbox, loginAttempts,
 * idempotencyKeys}, or NULL with err. */
json_t *accounts_cleanup(store_conn_t *db, int64_t now, apierr_t *err);

/* Registers the "accounts.cleanup" job type (idempotent). */
int accounts_cleanup_register(void);
/* Registers the job and creates or updates its schedule
 * (every 10 minutes). 0, or -1 with err. */
int accounts_cleanup_schedule(store_conn_t *db, char *err, size_t errlen);

#endif

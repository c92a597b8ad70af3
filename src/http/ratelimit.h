/*
 * ratelimit.h - token buckets keyed by client (IP, later user id).
 *
 * A bucket holds `limit` tokens and refills limit/window per second; a
 * request takes one. The table is sharded with a mutex per shard so all
 * loop threads share it (one client's connections may land on any loop).
 * Buckets that have refilled completely are dropped when a shard grows.
 * The object owns its memory; free with ratelimit_free (which also takes
 * it off the process-wide list the cluster sync walks).
 */
#ifndef TRAVLOC_RATELIMIT_H
#define TRAVLOC_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ratelimit ratelimit_t;

typedef struct {
    int limit;
    int remaining;
    int reset_s;        /* seconds until the bucket is full again */
    int retry_after_s;  /* when refused: seconds until one token */
} rl_result_t;

ratelimit_t *ratelimit_new(int limit, int window_s);
bool ratelimit_take(ratelimit_t *rl, const char *key, int64_t now_ms, rl_result_t *out);
void ratelimit_free(ratelimit_t *rl);

/* Cluster mode (cluster/ratelimit_sync.c): every node keeps its buckets
 * and, every 250 ms, sends what it took per key to Redis, which keeps one
 * decaying level per key for the cluster; the answer replaces the local
 * bucket (ratelimit_apply: tokens = limit - level - taken since). So a
 * request never waits for Redis; the cluster-wide limit holds to within
 * what one node admits in one sync interval.
 * ratelimit_collect calls fn(rl, key, taken) for every bucket of every
 * live limiter that took tokens since the last collect, or is not full
 * and was not refreshed for refresh_ms, and resets `taken`. fn runs under
 * the limiter's locks: it must not call into the limiter. */
typedef void (*rl_collect_fn)(ratelimit_t *rl, const char *key, int taken, void *arg);
void ratelimit_collect(int64_t now_ms, int64_t refresh_ms, rl_collect_fn fn, void *arg);
/* Sets key's bucket from the cluster's level `used` (no-op when rl was
 * freed or the bucket is gone). */
void ratelimit_apply(ratelimit_t *rl, const char *key, double used, int64_t now_ms);
/* fn runs (on the caller's thread, under a lock: it must only signal)
 * whenever a bucket is created, so the cluster syncs it without waiting
 * for its next tick. Set once, before serving. */
void ratelimit_on_new_key(void (*fn)(void));
int ratelimit_limit(const ratelimit_t *rl);
int ratelimit_window_s(const ratelimit_t *rl);

#endif

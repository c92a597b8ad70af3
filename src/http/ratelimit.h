/*
 * ratelimit.h - token buckets keyed by client (IP, later user id).
 *
 * A bucket holds `limit` tokens and refills limit/window per second; a
 * request takes one. The table is sharded with a mutex per shard so all
 * loop threads share it (one client's connections may land on any loop).
 * Buckets that have refilled completely are dropped when a shard grows.
 * The object owns its memory; free with ratelimit_free.
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

#endif

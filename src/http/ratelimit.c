#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 32
#define KEYLEN 72

typedef struct {
    char key[KEYLEN];
    double tokens;
    int64_t last_ms;
    bool used;
} bucket_t;

typedef struct {
    pthread_mutex_t mu;
    bucket_t *slots;
    size_t cap, count;
} shard_t;

struct ratelimit {
    int limit;
    double per_ms;      /* tokens per millisecond */
    shard_t shards[SHARDS];
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

ratelimit_t *ratelimit_new(int limit, int window_s)
{
    ratelimit_t *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->limit = limit;
    rl->per_ms = (double)limit / (window_s * 1000.0);
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].mu, NULL);
    return rl;
}

static double refill(const ratelimit_t *rl, const bucket_t *b, int64_t now)
{
    double t = b->tokens + (double)(now - b->last_ms) * rl->per_ms;
    return t > rl->limit ? rl->limit : t;
}

static bucket_t *find(shard_t *s, const char *key, uint64_t h)
{
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        bucket_t *b = &s->slots[i];
        if (!b->used || strcmp(b->key, key) == 0)
            return b;
    }
}

/* Rebuilds the shard at twice the size, dropping full (idle) buckets. */
static int grow(ratelimit_t *rl, shard_t *s, int64_t now)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    bucket_t *old = s->slots;
    size_t ocap = s->cap;
    s->slots = calloc(ncap, sizeof *s->slots);
    if (!s->slots) {
        s->slots = old;
        return -1;
    }
    s->cap = ncap;
    s->count = 0;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].used || refill(rl, &old[i], now) >= rl->limit)
            continue;
        *find(s, old[i].key, hash(old[i].key)) = old[i];
        s->count++;
    }
    free(old);
    return 0;
}

bool ratelimit_take(ratelimit_t *rl, const char *full_key, int64_t now_ms, rl_result_t *out)
{
    char key[KEYLEN];
    snprintf(key, sizeof key, "%s", full_key);
    uint64_t h = hash(key);
    shard_t *s = &rl->shards[h % SHARDS];
    pthread_mutex_lock(&s->mu);
    if ((s->count + 1) * 2 > s->cap && grow(rl, s, now_ms) < 0) {
        pthread_mutex_unlock(&s->mu);
        *out = (rl_result_t){rl->limit, rl->limit, 0, 0};
        return true; /* out of memory: fail open rather than refuse everyone */
    }
    bucket_t *b = find(s, key, h);
    if (!b->used) {
        memset(b, 0, sizeof *b);
        memcpy(b->key, key, sizeof b->key);
        b->used = true;
        b->tokens = rl->limit;
        b->last_ms = now_ms;
        s->count++;
    }
    b->tokens = refill(rl, b, now_ms);
    b->last_ms = now_ms;
    bool ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    out->limit = rl->limit;
    out->remaining = (int)floor(b->tokens);
    out->reset_s = (int)ceil((rl->limit - b->tokens) / rl->per_ms / 1000.0);
    out->retry_after_s = ok ? 0 : (int)ceil((1.0 - b->tokens) / rl->per_ms / 1000.0);
    if (!ok && out->retry_after_s < 1)
        out->retry_after_s = 1;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void ratelimit_free(ratelimit_t *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < SHARDS; i++) {
        free(rl->shards[i].slots);
        pthread_mutex_destroy(&rl->shards[i].mu);
    }
    free(rl);
}

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
    int64_t synced_ms;  /* last cluster update (ratelimit_apply) */
    int pending;        /* tokens taken since the last ratelimit_collect */
    bool used;
} bucket_t;

typedef struct {
    pthread_mutex_t mu;
    bucket_t *slots;
    size_t cap, count;
} shard_t;

struct ratelimit {
    int limit;
    int window_s;
    double per_ms;      /* tokens per millisecond */
    shard_t shards[SHARDS];
};

/* Every live limiter, for the cluster sync (ratelimit_collect). */
#define MAX_LIMITERS 8
static pthread_mutex_t R_mu = PTHREAD_MUTEX_INITIALIZER;
static ratelimit_t *R_all[MAX_LIMITERS];
static void (*R_on_new)(void);

void ratelimit_on_new_key(void (*fn)(void)) { R_on_new = fn; }

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
    rl->window_s = window_s;
    rl->per_ms = (double)limit / (window_s * 1000.0);
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].mu, NULL);
    pthread_mutex_lock(&R_mu);
    for (int i = 0; i < MAX_LIMITERS; i++) {
        if (!R_all[i]) {
            R_all[i] = rl;
            break;
        }
    }
    pthread_mutex_unlock(&R_mu);
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
        if (!old[i].used || (refill(rl, &old[i], now) >= rl->limit && !old[i].pending))
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
        if (R_on_new)
            R_on_new(); /* the cluster learns about it at once */
    }
    b->tokens = refill(rl, b, now_ms);
    b->last_ms = now_ms;
    bool ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
        if (b->pending < 1000000)
            b->pending++;
    }
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
    pthread_mutex_lock(&R_mu);
    for (int i = 0; i < MAX_LIMITERS; i++)
        if (R_all[i] == rl)
            R_all[i] = NULL;
    pthread_mutex_unlock(&R_mu);
    for (int i = 0; i < SHARDS; i++) {
        free(rl->shards[i].slots);
        pthread_mutex_destroy(&rl->shards[i].mu);
    }
    free(rl);
}

/* ---- sharing across cluster nodes ---- */

void ratelimit_collect(int64_t now_ms, int64_t refresh_ms, rl_collect_fn fn, void *arg)
{
    pthread_mutex_lock(&R_mu); /* holds limiters alive while we walk them */
    for (int l = 0; l < MAX_LIMITERS; l++) {
        ratelimit_t *rl = R_all[l];
        for (int i = 0; rl && i < SHARDS; i++) {
            shard_t *s = &rl->shards[i];
            pthread_mutex_lock(&s->mu);
            for (size_t k = 0; k < s->cap; k++) {
                bucket_t *b = &s->slots[k];
                if (!b->used || (!b->pending && (now_ms - b->synced_ms < refresh_ms ||
                                                 refill(rl, b, now_ms) >= rl->limit)))
                    continue;
                fn(rl, b->key, b->pending, arg);
                b->pending = 0;
                b->synced_ms = now_ms;
            }
            pthread_mutex_unlock(&s->mu);
        }
    }
    pthread_mutex_unlock(&R_mu);
}

void ratelimit_apply(ratelimit_t *rl, const char *key, double used, int64_t now_ms)
{
    pthread_mutex_lock(&R_mu);
    bool live = false;
    for (int l = 0; rl && l < MAX_LIMITERS; l++)
        live = live || R_all[l] == rl;
    if (live) {
        uint64_t h = hash(key);
        shard_t *s = &rl->shards[h % SHARDS];
        pthread_mutex_lock(&s->mu);
        bucket_t *b = s->cap ? find(s, key, h) : NULL;
        if (b && b->used) {
            /* the cluster's level, less what was taken here since it was sent */
            b->tokens = rl->limit - used - b->pending;
            if (b->tokens > rl->limit)
                b->tokens = rl->limit;
            b->last_ms = now_ms;
            b->synced_ms = now_ms;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&R_mu);
}

int ratelimit_limit(const ratelimit_t *rl) { return rl->limit; }
int ratelimit_window_s(const ratelimit_t *rl) { return rl->window_s; }

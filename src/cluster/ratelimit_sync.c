/* cluster/ratelimit_sync.c -- HTTP rate limits shared by the nodes.
 *
 * Every tick (250 ms) of the cluster thread, while Redis is up, the
 * tokens each local bucket gave out since the last tick are sent to
 * Redis; one script per key adds them to the cluster's level for that key
 * (a hash travloc:rl:<cluster>:<limit>:<window>:<key> {l: level, t: ms};
 * <cluster> is cluster_namespace(), so clusters sharing a Redis keep
 * apart; the level
 * draining at limit/window per ms by Redis' own clock, PEXPIRE window)
 * and answers the new level, which then becomes the local bucket's state
 * (http/ratelimit.c: ratelimit_apply). Buckets that are not full are
 * refreshed once a second even without local traffic, so a node learns
 * what the others admitted. Requests never wait for any of this; while
 * Redis is down each node limits on its own (and the counts of that time
 * are not sent later). Jobs are freed by their reply callback.
 */
#include "cluster/cluster_int.h"

#include "core/clock.h"
#include "http/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_MS 1000

/* KEYS: the level hash. ARGV: taken, limit, window ms. */
static const char RL_LUA[] =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local v = redis.call('HMGET', KEYS[1], 'l', 't') "
    "local lv = tonumber(v[1] or '0') "
    "local ts = tonumber(v[2] or now) "
    "lv = lv - (now - ts) * tonumber(ARGV[2]) / tonumber(ARGV[3]) "
    "if lv < 0 then lv = 0 end "
    "lv = lv + tonumber(ARGV[1]) "
    "redis.call('HSET', KEYS[1], 'l', tostring(lv), 't', now) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[3]) "
    "return tostring(lv)";

typedef struct {
    ratelimit_t *rl;
    char key[];
} rl_job_t;

static void on_level(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    redisReply *reply = r;
    rl_job_t *j = priv;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        char *end;
        double level = strtod(reply->str, &end);
        if (end != reply->str)
            ratelimit_apply(j->rl, j->key, level, clock_mono_ms());
    }
    free(j);
}

static void send_one(ratelimit_t *rl, const char *key, int taken, void *arg)
{
    redisAsyncContext *pub = arg;
    size_t n = strlen(key);
    rl_job_t *j = malloc(sizeof *j + n + 1);
    if (!j)
        abort();
    j->rl = rl;
    memcpy(j->key, key, n + 1);
    int window_ms = ratelimit_window_s(rl) * 1000;
    char rkey[256];
    snprintf(rkey, sizeof rkey, "travloc:rl:%s:%d:%d:%s", cluster_namespace(),
             ratelimit_limit(rl), ratelimit_window_s(rl), key);
    if (redisAsyncCommand(pub, on_level, j, "EVAL %s 1 %s %d %d %d", RL_LUA, rkey, taken,
                          ratelimit_limit(rl), window_ms) != REDIS_OK)
        free(j);
}

void cluster_ratelimit_sync(redisAsyncContext *pub)
{
    ratelimit_collect(clock_mono_ms(), REFRESH_MS, send_one, pub);
}

/* cluster/ops.c -- Redis calls with an answer, for the real-time engine:
 * the presence "last socket in the cluster" check, the cluster-wide
 * per-user socket limit, and connection-state recovery across nodes
 * (records in Redis, claims between nodes over the channel).
 *
 * Every call here is asynchronous: the caller's arguments are copied into
 * a job for the cluster thread, which sends the command on the publisher
 * connection; the completion (cluster_done_fn) runs exactly once on the
 * cluster thread -- with NULL when Redis is down, the connection drops
 * (hiredis answers pending callbacks with NULL) or a claim times out.
 * Jobs and pending claims are owned by this file and freed after their
 * completion ran.
 *
 * Keys (see docs/operations.md):
 *   travloc:presence:<user>  zset node -> ms until which it vouches
 *   travloc:sockets:<user>   hash node -> sockets of the user there
 *   travloc:rs:<pid>         JSON record of a disconnected socket, PX window
 */
#include "cluster/cluster_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS: presence zset. ARGV: node, now. Atomic, so of two nodes whose
 * last sockets close at once exactly one sees 0. */
static const char LEFT_LUA[] =
    "redis.call('ZREM', KEYS[1], ARGV[1]) "
    "return redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')";

/* KEYS: presence zset, sockets hash. ARGV: node, now, until, local, max.
 * Sums the sockets of the other live nodes; refuses (-1 - others) when
 * that plus local exceeds max, else records local and vouches. */
static const char RESERVE_LUA[] =
    "local others = 0 "
    "local h = redis.call('HGETALL', KEYS[2]) "
    "for i = 1, #h, 2 do "
    "  if h[i] ~= ARGV[1] then "
    "    local s = redis.call('ZSCORE', KEYS[1], h[i]) "
    "    if s and tonumber(s) >= tonumber(ARGV[2]) then others = others + tonumber(h[i+1]) end "
    "  end "
    "end "
    "local max = tonumber(ARGV[5]) "
    "if max > 0 and others + tonumber(ARGV[4]) > max then return -1 - others end "
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[4]) "
    "redis.call('PEXPIRE', KEYS[2], 60000) "
    "redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) "
    "redis.call('PEXPIRE', KEYS[1], 60000) "
    "return others";

typedef struct {
    cluster_done_fn done;
    void *arg;
    int kind;      /* JOB_* */
    int a, b;      /* local, max */
    int64_t ms;    /* ttl */
    json_t *json;  /* record / claim (owned) */
    char key[160];
    char key2[160];
} job_t;

enum { JOB_LEFT, JOB_RESERVE, JOB_SAVE, JOB_DROP, JOB_GET, JOB_CLAIM };

static void finish(job_t *j, json_t *reply)
{
    if (j->done)
        j->done(reply, j->arg);
    json_decref(j->json);
    free(j);
}

static job_t *job_new(int kind, cluster_done_fn done, void *arg)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->kind = kind;
    j->done = done;
    j->arg = arg;
    return j;
}

/* An integer (or string) reply as JSON, NULL otherwise. */
static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    redisReply *reply = r;
    job_t *j = priv;
    json_t *v = NULL;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        v = json_integer(reply->integer);
    else if (reply && reply->type == REDIS_REPLY_STRING && j->kind == JOB_GET)
        v = json_loadb(reply->str, reply->len, 0, NULL);
    else if (reply && reply->type == REDIS_REPLY_ERROR)
        log_warn("cluster: redis command failed", "\"error\":\"%.120s\"", reply->str);
    finish(j, v);
    json_decref(v);
}

static void pending_add(job_t *j);

static void run_job(redisAsyncContext *pub, void *arg)
{
    job_t *j = arg;
    if (!pub) {
        finish(j, NULL);
        return;
    }
    const char *node = cluster_node_id();
    long long now = (long long)clock_now_ms();
    switch (j->kind) {
    case JOB_LEFT:
        redisAsyncCommand(pub, on_reply, j, "EVAL %s 1 %s %s %lld", LEFT_LUA, j->key, node, now);
        break;
    case JOB_RESERVE:
        redisAsyncCommand(pub, on_reply, j, "EVAL %s 2 %s %s %s %lld %lld %d %d", RESERVE_LUA,
                          j->key, j->key2, node, now, now + CLUSTER_PRESENCE_TTL_MS, j->a, j->b);
        break;
    case JOB_SAVE: {
        char *s = json_dumps(j->json, JSON_COMPACT);
        if (s)
            redisAsyncCommand(pub, NULL, NULL, "SET %s %s PX %lld", j->key, s, (long long)j->ms);
        free(s);
        finish(j, NULL);
        break;
    }
    case JOB_DROP:
        redisAsyncCommand(pub, NULL, NULL, "DEL %s", j->key);
        finish(j, NULL);
        break;
    case JOB_GET:
        redisAsyncCommand(pub, on_reply, j, "GET %s", j->key);
        break;
    case JOB_CLAIM: {
        pending_add(j); /* answered by the reply, or the timeout */
        char *s = json_dumps(j->json, JSON_COMPACT);
        if (s)
            redisAsyncCommand(pub, NULL, NULL, "PUBLISH %s %s", CLUSTER_CHANNEL, s);
        free(s);
        break;
    }
    }
}

void cluster_presence_left(const char *user_id, int64_t at_ms, cluster_done_fn done, void *arg)
{
    (void)at_ms;
    job_t *j = job_new(JOB_LEFT, done, arg);
    snprintf(j->key, sizeof j->key, CLUSTER_PRESENCE_KEY "%s", user_id);
    cluster_run(run_job, j);
}

void cluster_sockets_reserve(const char *user_id, int local, int max, cluster_done_fn done,
                             void *arg)
{
    job_t *j = job_new(JOB_RESERVE, done, arg);
    snprintf(j->key, sizeof j->key, CLUSTER_PRESENCE_KEY "%s", user_id);
    snprintf(j->key2, sizeof j->key2, CLUSTER_SOCKETS_KEY "%s", user_id);
    j->a = local;
    j->b = max;
    cluster_run(run_job, j);
}

void cluster_recovery_save(const char *pid, json_t *rec, int64_t ttl_ms)
{
    if (!cluster_enabled() || !rec || ttl_ms <= 0) {
        json_decref(rec);
        return;
    }
    job_t *j = job_new(JOB_SAVE, NULL, NULL);
    json_object_set_new(rec, "n", json_string(cluster_node_id()));
    j->json = rec;
    j->ms = ttl_ms;
    snprintf(j->key, sizeof j->key, CLUSTER_RECOVERY_KEY "%s", pid);
    cluster_run(run_job, j);
}

void cluster_recovery_drop(const char *pid)
{
    if (!cluster_enabled())
        return;
    job_t *j = job_new(JOB_DROP, NULL, NULL);
    snprintf(j->key, sizeof j->key, CLUSTER_RECOVERY_KEY "%s", pid);
    cluster_run(run_job, j);
}

void cluster_recovery_get(const char *pid, cluster_done_fn done, void *arg)
{
    job_t *j = job_new(JOB_GET, done, arg);
    snprintf(j->key, sizeof j->key, CLUSTER_RECOVERY_KEY "%s", pid);
    cluster_run(run_job, j);
}

/* ---- claims: the node that has the socket's log answers ---- */

typedef struct claim {
    struct claim *next;
    job_t *job;
    int64_t deadline_ms;
    char k[24];
} claim_t;

static claim_t *P_claims; /* cluster thread only */
static unsigned long long P_seq;

void cluster_recovery_claim(const char *node, json_t *claim, cluster_done_fn done, void *arg)
{
    job_t *j = job_new(JOB_CLAIM, done, arg);
    j->json = claim;
    json_object_set_new(claim, "n", json_string(cluster_node_id()));
    json_object_set_new(claim, "t", json_string("c"));
    json_object_set_new(claim, "to", json_string(node));
    cluster_run(run_job, j);
}

static void pending_add(job_t *j)
{
    claim_t *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    snprintf(c->k, sizeof c->k, "%llu", ++P_seq);
    json_object_set_new(j->json, "k", json_string(c->k));
    c->job = j;
    c->deadline_ms = clock_now_ms() + CLUSTER_CLAIM_TIMEOUT_MS;
    c->next = P_claims;
    P_claims = c;
}

void cluster_claim_reply(json_t *msg)
{
    const char *k = json_string_value(json_object_get(msg, "k"));
    for (claim_t **pp = &P_claims; k && *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->k, k) == 0) {
            claim_t *c = *pp;
            *pp = c->next;
            finish(c->job, msg);
            free(c);
            return;
        }
    }
}

void cluster_claim_request(json_t *msg)
{
    const char *from = json_string_value(json_object_get(msg, "n"));
    const char *k = json_string_value(json_object_get(msg, "k"));
    const char *pid = json_string_value(json_object_get(msg, "pid"));
    if (!from || !k || !pid)
        return;
    json_t *rep = realtime_recovery_claimed(msg);
    if (!rep)
        rep = json_pack("{s:b}", "ok", 0);
    json_object_set_new(rep, "n", json_string(cluster_node_id()));
    json_object_set_new(rep, "t", json_string("r"));
    json_object_set_new(rep, "to", json_string(from));
    json_object_set_new(rep, "k", json_string(k));
    cluster_recovery_drop(pid);
    cluster_send_json(rep);
}

void cluster_claims_tick(int64_t now_ms)
{
    for (claim_t **pp = &P_claims; *pp;) {
        claim_t *c = *pp;
        if (c->deadline_ms <= now_ms) {
            *pp = c->next;
            finish(c->job, NULL);
            free(c);
        } else {
            pp = &c->next;
        }
    }
}

void cluster_claims_fail_all(void)
{
    while (P_claims) {
        claim_t *c = P_claims;
        P_claims = c->next;
        finish(c->job, NULL);
        free(c);
    }
}

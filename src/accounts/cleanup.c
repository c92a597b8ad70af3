/*
 * cleanup.c - the accounts cleanup pass and its job (see cleanup.h).
 *
 * The statements are a table: each names the JSON counter it feeds and
 * takes the same two arguments ($1 = now, $2 = now minus the rule's
 * age). No state; nothing allocated outlives a call.
 */
#include "accounts/cleanup.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "queue/queue.h"

#include <stdio.h>

typedef struct {
    const char *name;
    int64_t age_ms;
    const char *sql;
} rule_t;

static const rule_t rules[] = {
    {"refreshTokens", 0,
     "DELETE FROM refresh_tokens WHERE expires_at < $1 OR (session_id IN (SELECT id FROM "
     "sessions WHERE revoked_at IS NOT NULL) AND created_at < $2)"},
    {"oneTimeTokens", 0,
     "DELETE FROM one_time_tokens WHERE expires_at < $1 OR (used_at IS NOT NULL AND used_at < $2)"},
    {"phoneCodes", 0, "DELETE FROM phone_codes WHERE expires_at < $1 AND created_at < $2"},
    {"outbox", CLEANUP_OUTBOX_KEEP_MS,
     "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $2 AND created_at < $1"},
    {"loginAttempts", CLEANUP_ATTEMPTS_IDLE_MS,
     "DELETE FROM login_attempts WHERE locked_until < $1 AND updated_at < $2"},
    {"idempotencyKeys", CLEANUP_IDEMPOTENCY_KEEP_MS,
     "DELETE FROM idempotency_keys WHERE created_at < $2 AND created_at < $1"},
};

json_t *accounts_cleanup(store_conn_t *db, int64_t now, apierr_t *err)
{
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        store_arg_t a[] = {ARG_INT(now), ARG_INT(now - rules[i].age_ms)};
        store_res_t *r = NULL;
        if (store_query(db, rules[i].sql, a, 2, &r, err) < 0) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, rules[i].name, json_integer(r->changes));
        store_res_free(r);
    }
    return out;
}

static int cleanup_job(queue_job_t *job)
{
    apierr_t err = {0};
    json_t *n = accounts_cleanup(loop_ctx_get()->db, clock_now_ms(), &err);
    if (!n) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    job->result = n;
    return QUEUE_OK;
}

int accounts_cleanup_register(void)
{
    if (queue_handler("accounts.cleanup"))
        return 0;
    return queue_register("accounts.cleanup", cleanup_job) < 0 ? -1 : 0;
}

int accounts_cleanup_schedule(store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    queue_schedule_t s = {.name = "accounts.cleanup", .cron = "*/10 * * * *",
                          .type = "accounts.cleanup", .skip_missed = true};
    if (accounts_cleanup_register() < 0 || queue_schedule_upsert(db, &s, &e) < 0) {
        snprintf(err, errlen, "cannot schedule accounts.cleanup: %s",
                 e.message[0] ? e.message : "handler table full");
        apierr_clear(&e);
        return -1;
    }
    return 0;
}

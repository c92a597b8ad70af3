/*
 * queue/policy.c - pure decisions of the job queue (see policy.h).
 */
#include "queue/policy.h"

#include <stdlib.h>
#include <string.h>

int64_t queue_backoff_delay(queue_backoff_t kind, int64_t base_ms, int attempt, uint32_t rnd)
{
    if (base_ms <= 0)
        return 0;
    if (base_ms > QUEUE_BACKOFF_CAP_MS)
        base_ms = QUEUE_BACKOFF_CAP_MS;
    if (kind == QUEUE_BACKOFF_FIXED)
        return base_ms;
    if (attempt < 1)
        attempt = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < QUEUE_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > QUEUE_BACKOFF_CAP_MS)
        d = QUEUE_BACKOFF_CAP_MS;
    int64_t half = d / 2;
    return (d - half) + (half > 0 ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
}

queue_next_t queue_after_failure(int attempts, int max_attempts, bool fatal)
{
    return fatal || attempts >= max_attempts ? QUEUE_NEXT_DEAD : QUEUE_NEXT_RETRY;
}

queue_next_t queue_after_stall(int stalls_before)
{
    return stalls_before + 1 >= QUEUE_MAX_STALLS ? QUEUE_NEXT_DEAD : QUEUE_NEXT_RETRY;
}

int64_t queue_rate_window(int64_t now_ms, int64_t interval_ms)
{
    if (interval_ms <= 0)
        interval_ms = 1;
    return now_ms >= 0 ? now_ms / interval_ms : -((-now_ms + interval_ms - 1) / interval_ms);
}

int queue_claim_budget(const queue_budget_in_t *in)
{
    int n = in->want < 0 ? 0 : in->want;
    if (in->concurrency > 0) {
        int left = in->concurrency - in->active;
        if (left < n)
            n = left;
    }
    if (in->rate_max > 0) {
        if (in->rate_window > in->now_window)
            return 0;
        int used = in->rate_window == in->now_window ? in->rate_count : 0;
        int left = in->rate_max - used;
        if (left < n)
            n = left;
    }
    return n < 0 ? 0 : n;
}

static bool charset_ok(const char *s, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c);
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

bool queue_name_valid(const char *s) { return charset_ok(s, "_.-"); }

bool queue_type_valid(const char *s)
{
    return charset_ok(s, "_.:-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

static int bad(apierr_t *err, const char *field, const char *msg)
{
    apierr_set(err, 422, "invalid_job", "%s: %s", field, msg);
    apierr_detail(err, "field", json_string(field));
    return -1;
}

int queue_spec_check(const job_spec_t *s, char **payload_text, apierr_t *err)
{
    *payload_text = NULL;
    if (s->queue && !queue_name_valid(s->queue))
        return bad(err, "queue", "1-64 characters of a-z, 0-9, _ . -");
    if (!queue_type_valid(s->type))
        return bad(err, "type", "1-64 characters of A-Z, a-z, 0-9, _ . : -");
    if (s->priority < -1000 || s->priority > 1000)
        return bad(err, "priority", "must be -1000..1000");
    if (s->delay_ms < 0 || s->delay_ms > 366LL * 86400 * 1000)
        return bad(err, "delayMs", "must be 0..one year");
    if (s->run_at_ms < 0)
        return bad(err, "runAt", "must not be before 1970");
    if (s->max_attempts < 0 || s->max_attempts > 100)
        return bad(err, "maxAttempts", "must be 1..100");
    if (s->backoff != QUEUE_BACKOFF_EXPONENTIAL && s->backoff != QUEUE_BACKOFF_FIXED)
        return bad(err, "backoff", "must be fixed or exponential");
    if (s->backoff_ms < 0 || s->backoff_ms > QUEUE_BACKOFF_CAP_MS)
        return bad(err, "backoffMs", "must be 0..one day");
    if (s->timeout_ms < 0 || s->timeout_ms > QUEUE_BACKOFF_CAP_MS)
        return bad(err, "timeoutMs", "must be 0..one day");
    if (s->dedupe_key && (!*s->dedupe_key || strlen(s->dedupe_key) > 200))
        return bad(err, "dedupeKey", "must be 1..200 bytes");
    if (s->payload && !json_is_object(s->payload) && !json_is_array(s->payload))
        return bad(err, "payload", "must be a JSON object or array");
    char *text = s->payload ? json_dumps(s->payload, JSON_COMPACT) : strdup("{}");
    if (!text)
        return apierr_set(err, 500, "internal", "out of memory");
    if (strlen(text) > 256 * 1024) {
        free(text);
        return bad(err, "payload", "at most 256 KiB");
    }
    *payload_text = text;
    return 0;
}

/*
 * attempts.c - failure counters in login_attempts (see attempts.h).
 */
#include "accounts/attempts.h"

#include <stdlib.h>

const attempts_policy_t attempts_login_account = {
    .slow_after = 3, .lock_after = 5, .window_ms = 15 * 60000, .lock_ms = 60000, .step_ms = 200};
const attempts_policy_t attempts_login_ip = {
    .slow_after = 20, .lock_after = 30, .window_ms = 15 * 60000, .lock_ms = 60000, .step_ms = 50};
const attempts_policy_t attempts_codes = {
    .slow_after = 3, .lock_after = 5, .window_ms = 15 * 60000, .lock_ms = 60000, .step_ms = 200};

#define MAX_LOCK_MS (60 * 60000)

int64_t attempts_lock_ms(const attempts_policy_t *p, int failures)
{
    if (failures < p->lock_after)
        return 0;
    int64_t ms = p->lock_ms;
    for (int k = p->lock_after; k < failures && ms < MAX_LOCK_MS; k++)
        ms *= 2;
    return ms > MAX_LOCK_MS ? MAX_LOCK_MS : ms;
}

int attempts_delay_ms(const attempts_policy_t *p, int failures)
{
    if (failures < p->slow_after)
        return 0;
    int d = p->step_ms * (failures - p->slow_after + 1);
    return d > 2000 ? 2000 : d;
}

int attempts_locked(store_conn_t *db, const char *key, int64_t now, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(key)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT locked_until FROM login_attempts WHERE key = $1", a, 1, &r,
                    err) < 0)
        return -1;
    int64_t until = r->nrows ? store_int(r, 0, 0) : 0;
    store_res_free(r);
    return until > now ? (int)((until - now + 999) / 1000) : 0;
}

int attempts_fail(store_conn_t *db, const attempts_policy_t *p, const char *key, int64_t now,
                  int *locked_s, apierr_t *err)
{
    *locked_s = 0;
    store_arg_t a[] = {ARG_TEXT(key), ARG_INT(now), ARG_INT(now - p->window_ms)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "INSERT INTO login_attempts (key, failures, window_start, locked_until, "
                    "updated_at) VALUES ($1, 1, $2, 0, $2) ON CONFLICT (key) DO UPDATE SET "
                    "failures = CASE WHEN login_attempts.window_start < $3 THEN 1 "
                    "ELSE login_attempts.failures + 1 END, "
                    "window_start = CASE WHEN login_attempts.window_start < $3 THEN $2 "
                    "ELSE login_attempts.window_start END, updated_at = $2 "
                    "RETURNING failures",
                    a, 3, &r, err) < 0)
        return -1;
    int failures = (int)store_int(r, 0, 0);
    store_res_free(r);
    int64_t lock = attempts_lock_ms(p, failures);
    if (lock > 0) {
        store_arg_t b[] = {ARG_TEXT(key), ARG_INT(now + lock)};
        if (store_exec(db, "UPDATE login_attempts SET locked_until = $2 WHERE key = $1", b, 2,
                       err) < 0)
            return -1;
        *locked_s = (int)(lock / 1000);
    }
    return failures;
}

void attempts_clear(store_conn_t *db, const char *key)
{
    apierr_t e = {0};
    store_arg_t a[] = {ARG_TEXT(key)};
    store_exec(db, "DELETE FROM login_attempts WHERE key = $1", a, 1, &e);
    apierr_clear(&e);
}

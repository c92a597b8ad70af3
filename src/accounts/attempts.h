/*
 * attempts.h - failure counters against guessing (logins, MFA codes,
 * phone codes), kept in the login_attempts table so every thread and
 * every node of a cluster sees the same counts.
 *
 * A key ("acct:<email>", "ip:<addr>", "mfa:<user>") counts failures in a
 * sliding window. From `slow_after` failures on, the caller is told to
 * slow down (delay_ms); at `lock_after` the key locks for lock_ms, doubling
 * with every further failure (capped at an hour). A success clears the
 * key. attempts_lock_ms() is the pure rule, unit-tested.
 *
 * Calling context: a request coroutine (the store may suspend it).
 */
#ifndef TRAVLOC_ATTEMPTS_H
#define TRAVLOC_ATTEMPTS_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int slow_after;      /* failures before answers slow down */
    int lock_after;      /* failures that lock the key */
    int64_t window_ms;   /* failures older than this are forgotten */
    int64_t lock_ms;     /* first lock; doubles per further failure */
    int step_ms;         /* added delay per failure past slow_after */
} attempts_policy_t;

extern const attempts_policy_t attempts_login_account;
extern const attempts_policy_t attempts_login_ip;
extern const attempts_policy_t attempts_codes;

/* Lock length after `failures` failures (0 when below lock_after). */
int64_t attempts_lock_ms(const attempts_policy_t *p, int failures);
/* Delay to add before answering after `failures` failures. */
int attempts_delay_ms(const attempts_policy_t *p, int failures);

/* Seconds until key unlocks (0: not locked). -1 on a store error. */
int attempts_locked(store_conn_t *db, const char *key, int64_t now, apierr_t *err);
/* Records a failure; returns the failure count in the window (>= 1) and
 * sets *locked_s when this failure locked the key. -1 on a store error. */
int attempts_fail(store_conn_t *db, const attempts_policy_t *p, const char *key, int64_t now,
                  int *locked_s, apierr_t *err);
void attempts_clear(store_conn_t *db, const char *key);

#endif

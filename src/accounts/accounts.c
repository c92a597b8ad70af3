/*
 * accounts.c - start-up state of the accounts module (see accounts.h).
 *
 * Globals are written by accounts_init() before any loop thread starts and
 * only read afterwards. The policy is owned here and freed at shutdown.
 */
#include "accounts/accounts.h"

#include "accounts/cleanup.h"
#include "accounts/mailer.h"
#include "accounts/mfa_secret.h"
#include "accounts/social.h"
#include "auth/totp.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define HASH_NICE 10

static struct {
    const config_t *cfg;
    password_policy_t *policy;
    password_params_t params;
    char dummy[PASSWORD_HASH_MAX];
    uint8_t pepper[32];
    int max_hashing;           /* Argon2 runs allowed at once */
    _Atomic int hashing;
} A;

const config_t *accounts_config(void) { return A.cfg; }
const password_policy_t *accounts_policy(void) { return A.policy; }

const uint8_t *accounts_pepper(size_t *len)
{
    *len = sizeof A.pepper;
    return A.pepper;
}

static void load_policy(const config_t *cfg)
{
    char path[4096];
    const char *dirs[] = {cfg->data_dir, "data"};
    for (size_t i = 0; i < 2 && !A.policy; i++) {
        snprintf(path, sizeof path, "%s/passwords/common-10k.txt", dirs[i]);
        if (access(path, R_OK) == 0 && password_policy_load(path, &A.policy) != 0)
            A.policy = NULL;
    }
    if (!A.policy)
        log_warn("common-password list not found; only length rules apply",
                 "\"looked_for\":\"passwords/common-10k.txt\"");
}

static int load_pepper(store_conn_t *db, char *err, size_t errlen)
{
    apierr_t e = {0};
    uint8_t raw[32];
    char hex[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    store_arg_t a[] = {ARG_TEXT(hex), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    size_t n = 0;
    if (store_exec(db,
                   "INSERT INTO server_state (key, value, updated_at) VALUES "
                   "('recovery_pepper', $1, $2) ON CONFLICT (key) DO NOTHING",
                   a, 2, &e) < 0 ||
        store_query(db, "SELECT value FROM server_state WHERE key = 'recovery_pepper'", NULL, 0,
                    &r, &e) < 0 ||
        r->nrows != 1 ||
        sodium_hex2bin(A.pepper, sizeof A.pepper, store_val(r, 0, 0), strlen(store_val(r, 0, 0)),
                       NULL, &n, NULL) != 0 ||
        n != sizeof A.pepper) {
        snprintf(err, errlen, "cannot load the recovery-code pepper: %s", e.message);
        apierr_clear(&e);
        store_res_free(r);
        return -1;
    }
    store_res_free(r);
    return 0;
}

int accounts_init(const config_t *cfg, store_t *store, bool start_mailer, char *err,
                  size_t errlen)
{
    A.cfg = cfg;
    const char *cost = cfg->password_cost;
    if (cost && *cost && strcmp(cost, "min") != 0 && strcmp(cost, "interactive") != 0) {
        snprintf(err, errlen, "TRAVLOC_PASSWORD_COST must be interactive or min");
        return -1;
    }
    A.params = cost && strcmp(cost, "min") == 0 ? password_params_min()
                                                : password_params_interactive();
    char pw[33];
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
    if (password_hash(pw, strlen(pw), &A.params, A.dummy) != 0) {
        snprintf(err, errlen, "cannot hash passwords (libsodium)");
        return -1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    A.max_hashing = cores > 2 ? (int)cores - 1 : 1;
    store_conn_t *db = store_conn_open(store, NULL);
    int rc = db ? load_pepper(db, err, errlen) : -1;
    if (rc == 0)
        rc = mfa_secret_init(cfg, db, err, errlen);
    if (rc == 0 && start_mailer)
        rc = accounts_cleanup_schedule(db, err, errlen);
    store_conn_close(db);
    if (rc < 0)
        return -1;
    load_policy(cfg);
    if (social_init(cfg->oidc_providers, err, errlen) < 0)
        return -1;
    if (start_mailer && mailer_start(cfg, store, err, errlen) < 0)
        return -1;
    return 0;
}

void accounts_shutdown(void)
{
    mailer_stop();
    mfa_secret_shutdown();
    social_free();
    password_policy_free(A.policy);
    A.policy = NULL;
    sodium_memzero(A.pepper, sizeof A.pepper);
}

typedef struct {
    const char *pw;
    const char *stored;
    char *out;
    int rc;
} pw_job_t;

/* Argon2 takes a core for ~0.1 s; at a lower CPU priority the event loops
 * (and everything else that answers requests) preempt it, so a burst of
 * logins slows logins, not other requests. A thread-pool thread keeps the
 * lower priority once it has hashed (raising it back needs privileges);
 * other thread-pool work is background work as well. */
static void lower_priority(void)
{
    static _Thread_local bool done;
    if (done || loop_ctx_get()) /* never an event loop's own thread */
        return;
    done = true;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), HASH_NICE) < 0)
        log_warn("cannot lower the Argon2 thread's priority", "\"errno\":%d", errno);
}

static void hash_job(void *arg)
{
    pw_job_t *j = arg;
    lower_priority();
    j->rc = password_hash(j->pw, strlen(j->pw), &A.params, j->out);
}

static void verify_job(void *arg)
{
    pw_job_t *j = arg;
    lower_priority();
    j->rc = password_verify(j->stored, j->pw, strlen(j->pw));
}

/* Runs an Argon2 job on the thread pool, at most A.max_hashing at once:
 * each takes a core and 64 MiB for ~0.1 s, and a burst of logins must not
 * take every core from the event loops. Waiters sleep in their coroutine
 * (the loop keeps serving). */
static int run_bounded(void (*fn)(void *), pw_job_t *j)
{
    while (atomic_fetch_add(&A.hashing, 1) >= A.max_hashing) {
        atomic_fetch_sub(&A.hashing, 1);
        loop_sleep(2);
    }
    int rc = loop_run_blocking(fn, j);
    atomic_fetch_sub(&A.hashing, 1);
    return rc;
}

int accounts_hash_password(const char *pw, char out[PASSWORD_HASH_MAX])
{
    pw_job_t j = {.pw = pw, .out = out, .rc = PASSWORD_ECRYPTO};
    if (run_bounded(hash_job, &j) < 0)
        return PASSWORD_ECRYPTO;
    return j.rc;
}

bool accounts_needs_rehash(const char *stored)
{
    return stored && password_needs_rehash(stored, &A.params) == 1;
}

int accounts_verify_password(const char *stored, const char *pw)
{
    bool dummy = !stored || !*stored;
    pw_job_t j = {.pw = pw, .stored = dummy ? A.dummy : stored, .rc = PASSWORD_ECRYPTO};
    if (run_bounded(verify_job, &j) < 0)
        return PASSWORD_ECRYPTO;
    return dummy && j.rc == 0 ? PASSWORD_EMISMATCH : j.rc;
}

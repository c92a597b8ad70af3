/*
 * accounts.h - process-wide account services, set up once at start-up.
 *
 * accounts_init() loads the password policy (the common-password list),
 * picks the Argon2id cost, makes the dummy hash that logins for unknown
 * e-mails are verified against (so both failures take the same time),
 * loads or creates the recovery-code pepper (server_state
 * 'recovery_pepper', shared by every node like the JWT secret), loads the
 * MFA secret key and seals old plaintext secrets (mfa_secret.h), and, for
 * the server, schedules the cleanup job (cleanup.h) and starts the
 * mailer (mailer.h: the EMAIL_SEND/SMS_SEND job handlers). Everything it
 * sets up is read-only afterwards and safe from every thread;
 * accounts_shutdown() stops the mailer and frees it all.
 *
 * The password helpers run Argon2 on libuv's thread pool through
 * loop_run_blocking(), so a request coroutine waits without blocking its
 * loop, and at most cores - 1 (at least one) at once, so a burst of logins
 * leaves the event loops a core; outside a coroutine (the CLI) they run
 * inline.
 */
#ifndef TRAVLOC_ACCOUNTS_H
#define TRAVLOC_ACCOUNTS_H

#include "auth/password.h"
#include "core/config.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* Runs at start-up, before any loop thread (it opens a blocking handle
 * of store for itself). start_mailer false (CLI) skips the mailer. Returns 0 or -1 with err. */
int accounts_init(const config_t *cfg, store_t *store, bool start_mailer, char *err,
                  size_t errlen);

/* `travloc user create [--admin] --email E --password P [--first-name F]
 * [--last-name L] [server options]`: exit status 0, 1 or 2. */
int accounts_cli(int argc, char **argv);
void accounts_shutdown(void);

const config_t *accounts_config(void);
const password_policy_t *accounts_policy(void);  /* NULL when no list was found */
/* Server secret for recovery-code hashes (>= TOTP_PEPPER_MIN bytes). */
const uint8_t *accounts_pepper(size_t *len);

/* Hashes pw on the thread pool into out. Returns 0 or a PASSWORD_E code. */
int accounts_hash_password(const char *pw, char out[PASSWORD_HASH_MAX]);
/* True when stored was made with another cost than the configured one
 * (re-hash the password just verified). */
bool accounts_needs_rehash(const char *stored);
/* Verifies pw against stored (NULL: against the dummy hash, which never
 * matches) on the thread pool. 0 on a match, PASSWORD_EMISMATCH, or
 * another PASSWORD_E code. */
int accounts_verify_password(const char *stored, const char *pw);

#endif

/*
 * password.h - password hashing (Argon2id) and the password policy.
 *
 * Hashing uses libsodium's crypto_pwhash_str with Argon2id v1.3 and yields
 * a self-describing "$argon2id$v=19$m=...,t=...,p=1$salt$hash" string with
 * a random salt, so the stored string is all a verifier needs. The default
 * cost is libsodium's INTERACTIVE level (t=2 passes over m=64 MiB), the
 * library's recommendation for online logins: on this project's 2-core
 * reference machine one hash takes ~0.1-0.2 s and 64 MiB, so the server
 * must run hash/verify on the thread pool and bound how many run at once
 * (memory = 64 MiB x concurrent logins). Tests pass password_params_min().
 * When the configured cost changes, password_needs_rehash() tells the
 * login handler to re-hash the password it has just verified.
 *
 * The policy (password_policy_check) asks for 10 or more code points, at
 * most PASSWORD_MAX_BYTES bytes of valid UTF-8 without NUL, not one of the
 * common passwords loaded by password_policy_load(), and not equal to or
 * containing the local part of the user's e-mail; the last two checks are
 * case-insensitive (ASCII).
 *
 * Ownership: a password_policy_t is created by password_policy_load() and
 * freed by password_policy_free(); once loaded it is read-only, so one
 * policy may be shared by every thread. Hash strings are written into
 * caller buffers. No function prints, aborts or keeps global state.
 */
#ifndef TRAVLOC_PASSWORD_H
#define TRAVLOC_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_CODE_POINTS 10
#define PASSWORD_MAX_BYTES 256
#define PASSWORD_HASH_MAX 128     /* == crypto_pwhash_STRBYTES, NUL included */
#define PASSWORD_PERSONAL_MIN 3   /* shorter e-mail local parts are ignored */

enum {
    PASSWORD_OK = 0,
    PASSWORD_EINVAL = -1,     /* NULL argument, malformed stored hash */
    PASSWORD_ENOMEM = -2,
    PASSWORD_EIO = -3,        /* list file could not be read */
    PASSWORD_EFORMAT = -4,    /* list file is empty or too big */
    PASSWORD_ECRYPTO = -5,    /* libsodium failed (init, out of memory) */
    PASSWORD_EMISMATCH = -6,  /* wrong password */
    /* Policy failures, each a message the user can act on. */
    PASSWORD_ETOO_SHORT = -10,
    PASSWORD_ETOO_LONG = -11,
    PASSWORD_EENCODING = -12, /* not valid UTF-8, or contains NUL */
    PASSWORD_ECOMMON = -13,   /* in the common-password list */
    PASSWORD_EPERSONAL = -14, /* equal to or containing the e-mail name */
};

/* Argon2id cost. memlimit is in bytes. */
typedef struct {
    unsigned long long opslimit;
    size_t memlimit;
} password_params_t;

/* libsodium INTERACTIVE: opslimit 2, memlimit 64 MiB (the default). */
password_params_t password_params_interactive(void);
/* The smallest cost Argon2id allows (opslimit 1, 8 KiB): tests only. */
password_params_t password_params_min(void);

/* Hashes pw[0..len) with a fresh random salt. params NULL means
 * interactive. Writes the NUL-terminated string into out, which must hold
 * PASSWORD_HASH_MAX bytes. Returns 0, PASSWORD_EINVAL, ETOO_LONG (over
 * PASSWORD_MAX_BYTES) or ECRYPTO. Slow on purpose: not on the event loop. */
int password_hash(const char *pw, size_t len, const password_params_t *params,
                  char out[PASSWORD_HASH_MAX]);

/* Checks pw[0..len) against stored (a password_hash() string). Returns 0
 * on a match, PASSWORD_EMISMATCH on a wrong password, PASSWORD_EINVAL on a
 * malformed stored string, ETOO_LONG for over-long input. Constant time
 * with respect to the password (libsodium). Slow: not on the event loop. */
int password_verify(const char *stored, const char *pw, size_t len);

/* 1 if stored was made with other parameters than params (NULL means
 * interactive) or another algorithm, 0 if not, PASSWORD_EINVAL if stored
 * is malformed. */
int password_needs_rehash(const char *stored, const password_params_t *params);

/* ---- Policy ------------------------------------------------------- */

typedef struct password_policy password_policy_t;  /* opaque, read-only */

/* Loads a list of common passwords, one per line (LF or CRLF, UTF-8,
 * blank lines skipped, lines over PASSWORD_MAX_BYTES ignored), lower-cased
 * and sorted for binary search. The file must be at most 16 MiB. Returns 0
 * and *out (owned by the caller, free with password_policy_free), or
 * PASSWORD_EINVAL / EIO / EFORMAT / ENOMEM with *out NULL. */
int password_policy_load(const char *path, password_policy_t **out);

void password_policy_free(password_policy_t *policy);

/* Number of distinct entries loaded. */
size_t password_policy_count(const password_policy_t *policy);

/* True when pw[0..len), lower-cased (ASCII), is in the list. */
bool password_policy_is_common(const password_policy_t *policy, const char *pw, size_t len);

/* Applies the whole policy. policy may be NULL to skip the list check;
 * email may be NULL (or have no '@': then all of it counts as the local
 * part). Checks run in this order and the first failure is returned:
 * ETOO_LONG, EENCODING, ETOO_SHORT, ECOMMON, EPERSONAL. Returns 0 when
 * the password is acceptable, PASSWORD_EINVAL if pw is NULL. */
int password_policy_check(const password_policy_t *policy, const char *pw, size_t len,
                          const char *email, size_t email_len);

/* Short English description of a PASSWORD_E* code (static string). */
const char *password_strerror(int code);

#endif

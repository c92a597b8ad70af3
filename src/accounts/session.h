/*
 * session.h - sessions and their token pairs.
 *
 * A session is one signed-in device. It owns a family of refresh tokens:
 * opaque 256-bit tokens (auth/tokens.h) stored only as SHA-256 hashes,
 * each usable once. Refreshing spends the presented token and issues the
 * next one of the family; presenting a spent token again means it was
 * copied, so the whole session is revoked (theft detection). Access
 * tokens are short-lived JWTs (auth/access.h) naming user, session, role.
 *
 * Calling context: a request coroutine (or the CLI). Ownership: the
 * access token in session_tokens_t is heap memory released by
 * session_tokens_free().
 */
#ifndef TRAVLOC_SESSION_H
#define TRAVLOC_SESSION_H

#include "auth/tokens.h"
#include "core/uuid.h"
#include "store/store.h"

#include <stdint.h>

#define SESSION_REFRESH_TTL_MS (30LL * 24 * 3600 * 1000)

typedef struct {
    const char *device_id;   /* may be NULL */
    const char *ip;
    const char *user_agent;  /* may be NULL */
} session_meta_t;

typedef struct {
    char user_id[UUID_STR_LEN];
    char session_id[UUID_STR_LEN];
    char role[16];
    char *access;                   /* owned */
    char refresh[TOKENS_LEN + 1];
} session_tokens_t;

/* Opens a session for user and issues its first pair. 0 or -1 with err. */
int session_create(store_conn_t *db, const char *user_id, const char *role,
                   const session_meta_t *meta, session_tokens_t *out, apierr_t *err);
/* Spends refresh and issues the next pair of its session. 401
 * "invalid_refresh_token" for unknown, expired or revoked tokens, 401
 * "refresh_token_reused" (and the session is revoked) for a spent one. */
int session_refresh(store_conn_t *db, const char *refresh, session_tokens_t *out,
                    apierr_t *err);
/* Revokes one session of user (404 when it is not theirs or not live). */
int session_revoke(store_conn_t *db, const char *user_id, const char *session_id, apierr_t *err);
/* Revokes every live session of user; except may name one to keep. */
int session_revoke_all(store_conn_t *db, const char *user_id, const char *except, apierr_t *err);
void session_tokens_free(session_tokens_t *t);

#endif

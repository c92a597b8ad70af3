/*
 * session.c - sessions and rotating refresh tokens (see session.h).
 */
#include "accounts/session.h"

#include "auth/access.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_tokens_free(session_tokens_t *t)
{
    free(t->access);
    t->access = NULL;
}

/* Inserts a fresh refresh token for session and signs an access token. */
static int issue_pair(store_conn_t *db, session_tokens_t *out, int64_t now, apierr_t *err)
{
    char hash[TOKENS_HASH_LEN + 1];
    if (tokens_generate(out->refresh, sizeof out->refresh) != 0 ||
        tokens_hash(out->refresh, TOKENS_LEN, hash, sizeof hash) != 0)
        return apierr_set(err, 500, "internal", "cannot make a token");
    store_arg_t a[] = {ARG_TEXT(hash), ARG_TEXT(out->session_id), ARG_INT(now),
                       ARG_INT(now + SESSION_REFRESH_TTL_MS)};
    if (store_exec(db,
                   "INSERT INTO refresh_tokens (hash, session_id, family, created_at, expires_at) "
                   "VALUES ($1, $2, $2, $3, $4)",
                   a, 4, err) < 0)
        return -1;
    if (auth_access_issue(out->user_id, out->session_id, out->role, &out->access) != 0)
        return apierr_set(err, 500, "internal", "cannot sign the access token");
    return 0;
}

int session_create(store_conn_t *db, const char *user_id, const char *role,
                   const session_meta_t *meta, session_tokens_t *out, apierr_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    snprintf(out->role, sizeof out->role, "%s", role);
    uuid_v7(out->session_id);
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(out->session_id), ARG_TEXT(user_id), ARG_TEXT(meta->device_id),
                       ARG_TEXT(meta->ip), ARG_TEXT(meta->user_agent), ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO sessions (id, user_id, device_id, ip, user_agent, created_at, "
                   "last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                   a, 6, err) < 0)
        return -1;
    return issue_pair(db, out, now, err);
}

static int revoke_by_id(store_conn_t *db, const char *session_id, int64_t now)
{
    apierr_t e = {0};
    store_arg_t a[] = {ARG_TEXT(session_id), ARG_INT(now)};
    int rc = store_exec(db,
                        "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                        a, 2, &e);
    apierr_clear(&e);
    return rc;
}

static int bad_refresh(apierr_t *err)
{
    return apierr_set(err, 401, "invalid_refresh_token", "the refresh token is not valid");
}

int session_refresh(store_conn_t *db, const char *refresh, session_tokens_t *out,
                    apierr_t *err)
{
    memset(out, 0, sizeof *out);
    char hash[TOKENS_HASH_LEN + 1];
    if (!refresh || !tokens_is_well_formed(refresh, strlen(refresh)) ||
        tokens_hash(refresh, strlen(refresh), hash, sizeof hash) != 0)
        return bad_refresh(err);
    store_arg_t a[] = {ARG_TEXT(hash)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT t.session_id, t.used_at, t.expires_at, s.revoked_at, s.user_id, "
                    "u.role, u.status FROM refresh_tokens t JOIN sessions s ON s.id = "
                    "t.session_id JOIN users u ON u.id = s.user_id WHERE t.hash = $1",
                    a, 1, &r, err) < 0)
        return -1;
    int64_t now = clock_now_ms();
    if (r->nrows != 1 || store_val(r, 0, 3) || strcmp(store_val(r, 0, 6), "active") != 0 ||
        store_int(r, 0, 2) <= now) {
        store_res_free(r);
        return bad_refresh(err);
    }
    snprintf(out->session_id, sizeof out->session_id, "%s", store_val(r, 0, 0));
    snprintf(out->user_id, sizeof out->user_id, "%s", store_val(r, 0, 4));
    snprintf(out->role, sizeof out->role, "%s", store_val(r, 0, 5));
    bool spent = store_val(r, 0, 1) != NULL;
    store_res_free(r);
    if (!spent) {
        store_arg_t u[] = {ARG_TEXT(hash), ARG_INT(now)};
        if (store_query(db,
                        "UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL",
                        u, 2, &r, err) < 0)
            return -1;
        spent = r->changes != 1;
        store_res_free(r);
    }
    if (spent) {
        revoke_by_id(db, out->session_id, now);
        return apierr_set(err, 401, "refresh_token_reused",
                          "this refresh token was already used; the session has been ended");
    }
    store_arg_t s[] = {ARG_TEXT(out->session_id), ARG_INT(now)};
    if (store_exec(db, "UPDATE sessions SET last_used_at = $2 WHERE id = $1", s, 2, err) < 0)
        return -1;
    return issue_pair(db, out, now, err);
}

int session_revoke(store_conn_t *db, const char *user_id, const char *session_id, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(session_id), ARG_TEXT(user_id), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND "
                    "revoked_at IS NULL",
                    a, 3, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    if (n != 1)
        return apierr_set(err, 404, "not_found", "no such session");
    return 0;
}

int session_revoke_all(store_conn_t *db, const char *user_id, const char *except, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(user_id), ARG_INT(clock_now_ms()), ARG_TEXT(except ? except : "")};
    return store_exec(db,
                      "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND "
                      "revoked_at IS NULL AND id <> $3",
                      a, 3, err);
}

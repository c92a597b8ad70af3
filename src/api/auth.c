/*
 * auth.c - /v1/auth: sign-up, login, token refresh, logout, sessions, and
 * the route table of every /v1/auth handler.
 *
 * Passwords are hashed and verified on the thread pool (accounts.h), never
 * inside a transaction (a transaction must not span a suspension on
 * SQLite). Unknown e-mails are verified against a dummy hash so that they
 * fail like wrong passwords, in about the same time, with the same 401.
 * Failures count per account and per client IP (accounts/attempts.h):
 * answers slow down, then the key locks (429 with Retry-After) and the
 * account's owner gets an e-mail.
 */
#include "api/api.h"
#include "api/auth_int.h"

#include "accounts/accounts.h"
#include "accounts/attempts.h"
#include "accounts/mailer.h"
#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "http/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

session_meta_t auth_meta(http_req_t *req, const char *device_id)
{
    const char *ua = http_header(req, "user-agent");
    if (ua && strlen(ua) > 300)
        ua = pool_strndup(&req->pool, ua, 300);
    return (session_meta_t){.device_id = device_id, .ip = req->client_ip, .user_agent = ua};
}

void auth_send_tokens(http_req_t *req, int status, session_tokens_t *t)
{
    apierr_t err = {0};
    store_res_t *u = NULL;
    if (acc_user_load(acc_db(), t->user_id, &u, &err) < 0) {
        acc_fail(req, &err);
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "user", acc_user_json(u, 0));
    json_object_set_new(body, "token", json_string(t->access));
    json_object_set_new(body, "refreshToken", json_string(t->refresh));
    json_object_set_new(body, "tokenType", json_string("Bearer"));
    json_object_set_new(body, "expiresIn", json_integer(server_config()->access_ttl_s));
    json_object_set_new(body, "sessionId", json_string(t->session_id));
    store_res_free(u);
    http_send_json(req, status, body);
}

void auth_send_login(http_req_t *req, int status, const char *user_id, const char *role,
                     const char *device_id)
{
    apierr_t err = {0};
    session_tokens_t t;
    session_meta_t m = auth_meta(req, device_id);
    if (session_create(acc_db(), user_id, role, &m, &t, &err) < 0) {
        session_tokens_free(&t);
        acc_fail(req, &err);
        return;
    }
    auth_send_tokens(req, status, &t);
    session_tokens_free(&t);
}

int auth_otp_issue(store_conn_t *db, const char *user_id, const char *purpose, int64_t ttl_ms,
                   char out[TOKENS_LEN + 1], apierr_t *err)
{
    char hash[TOKENS_HASH_LEN + 1];
    if (tokens_generate(out, TOKENS_LEN + 1) != 0 ||
        tokens_hash(out, TOKENS_LEN, hash, sizeof hash) != 0)
        return apierr_set(err, 500, "internal", "cannot make a token");
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(hash), ARG_TEXT(user_id), ARG_TEXT(purpose), ARG_INT(now),
                       ARG_INT(now + ttl_ms)};
    return store_exec(db,
                      "INSERT INTO one_time_tokens (hash, user_id, purpose, created_at, expires_at) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      a, 5, err);
}

int auth_otp_consume(store_conn_t *db, const char *token, const char *purpose,
                     const char *field, char *user_id, apierr_t *err)
{
    char hash[TOKENS_HASH_LEN + 1];
    if (!token || !tokens_is_well_formed(token, strlen(token)) ||
        tokens_hash(token, strlen(token), hash, sizeof hash) != 0)
        goto bad;
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(hash), ARG_TEXT(purpose), ARG_INT(now)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE one_time_tokens SET used_at = $3 WHERE hash = $1 AND purpose = $2 AND "
                    "used_at IS NULL AND expires_at > $3 RETURNING user_id",
                    a, 3, &r, err) < 0)
        return -1;
    bool ok = r->nrows == 1;
    if (ok)
        snprintf(user_id, UUID_STR_LEN, "%s", store_val(r, 0, 0));
    store_res_free(r);
    if (ok)
        return 0;
bad:
    apierr_set(err, 422, "invalid_token", "the token is unknown, used or expired");
    apierr_detail(err, "field", json_string(field));
    return -1;
}

int auth_queue_verification(store_conn_t *db, const char *user_id, const char *email,
                            apierr_t *err)
{
    char tok[TOKENS_LEN + 1];
    if (auth_otp_issue(db, user_id, "verify", OTP_VERIFY_TTL_MS, tok, err) < 0)
        return -1;
    char body[600];
    snprintf(body, sizeof body,
             "Welcome to Travloc!\n\nConfirm your e-mail address with this code:\n\n%s\n\n"
             "or open travloc://verify?token=%s\n\nThe code is valid for 24 hours.\n",
             tok, tok);
    return mailer_enqueue(db, "mail", email, "Confirm your e-mail address", body, err);
}

/* ---- sign-up ------------------------------------------------------------------ */

typedef struct {
    char email[VALIDATE_EMAIL_MAX + 1];
    const char *password, *first, *last, *phone;
} signup_t;

static int signup_parse(json_t *b, signup_t *s, apierr_t *err)
{
    if (acc_email(b, "email", s->email, sizeof s->email, err) < 0 ||
        acc_str(b, "password", 1, 1024, true, &s->password, err) < 0 ||
        acc_str(b, "firstName", 1, 100, true, &s->first, err) < 0 ||
        acc_str(b, "lastName", 1, 100, true, &s->last, err) < 0 ||
        acc_str(b, "phoneNumber", 1, 16, false, &s->phone, err) < 0)
        return -1;
    if (s->phone && !validate_phone_e164(s->phone, strlen(s->phone)))
        return acc_invalid(err, "phoneNumber", "must be an E.164 number like +4915112345678");
    int rc = password_policy_check(accounts_policy(), s->password, strlen(s->password), s->email,
                                   strlen(s->email));
    if (rc != 0)
        return acc_invalid(err, "password", "%s", password_strerror(rc));
    return 0;
}

static int signup_store(store_conn_t *db, const signup_t *s, const char *id, const char *hash,
                        apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(s->email), ARG_TEXT(hash), ARG_TEXT(s->first),
                       ARG_TEXT(s->last), ARG_TEXT(s->phone), ARG_INT(now)};
    if (store_begin(db, true, err) < 0)
        return -1;
    if (store_exec(db,
                   "INSERT INTO users (id, email, password_hash, first_name, last_name, phone, "
                   "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                   a, 7, err) < 0 ||
        auth_queue_verification(db, id, s->email, err) < 0 || store_commit(db, err) < 0) {
        store_rollback(db);
        if (err->status == 409) {
            apierr_clear(err);
            apierr_set(err, 409, "email_taken", "an account with this e-mail already exists");
        }
        return -1;
    }
    return 0;
}

void auth_signup(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    signup_t s = {0};
    if (signup_parse(b, &s, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = acc_db();
    store_arg_t q[] = {ARG_TEXT(s.email)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT 1 FROM users WHERE email = $1", q, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    bool taken = r->nrows > 0;
    store_res_free(r);
    if (taken) {
        http_send_error(req, 409, "email_taken", "an account with this e-mail already exists");
        return;
    }
    char hash[PASSWORD_HASH_MAX], id[UUID_STR_LEN];
    if (accounts_hash_password(s.password, hash) != 0) {
        http_send_error(req, 500, "internal", "cannot hash the password");
        return;
    }
    uuid_v7(id);
    if (signup_store(db, &s, id, hash, &err) < 0)
        ACC_FAIL(req, &err);
    const char *dev = NULL;
    if (acc_str(b, "deviceId", 1, 200, false, &dev, &err) < 0)
        dev = NULL, apierr_clear(&err);
    auth_send_login(req, 201, id, "traveller", dev);
}

/* ---- login ---------------------------------------------------------------------- */

static void send_locked(http_req_t *req, int secs)
{
    http_send_error(req, 429, "too_many_attempts",
                    "too many failed attempts; try again in %d s", secs);
    char v[24];
    snprintf(v, sizeof v, "%d", secs);
    http_add_header(req, "Retry-After", v);
}

static void notify_locked(store_conn_t *db, const char *email)
{
    apierr_t e = {0};
    mailer_enqueue(db, "mail", email, "Sign-in attempts on your Travloc account",
                   "Someone tried to sign in to your Travloc account with a wrong password\n"
                   "several times, so signing in is paused for a while.\n\n"
                   "If this was not you, consider changing your password.\n",
                   &e);
    apierr_clear(&e);
}

/* Counts a failed login for both keys, slows down, answers 401. */
static void login_failed(http_req_t *req, const char *akey, const char *ikey, bool exists,
                         const char *email)
{
    store_conn_t *db = acc_db();
    apierr_t e = {0};
    int64_t now = clock_now_ms();
    int locked = 0, ilocked = 0;
    int n = attempts_fail(db, &attempts_login_account, akey, now, &locked, &e);
    int m = attempts_fail(db, &attempts_login_ip, ikey, now, &ilocked, &e);
    apierr_clear(&e);
    if (locked && exists && n == attempts_login_account.lock_after)
        notify_locked(db, email);
    int d1 = attempts_delay_ms(&attempts_login_account, n),
        d2 = attempts_delay_ms(&attempts_login_ip, m);
    loop_sleep(d1 > d2 ? d1 : d2);
    http_send_error(req, 401, "invalid_credentials", "the e-mail or the password is wrong");
}

/* The cost changed since this hash was made: store one at today's cost. */
static void rehash_password(store_conn_t *db, const char *id, const char *pw)
{
    char hash[PASSWORD_HASH_MAX];
    apierr_t e = {0};
    if (accounts_hash_password(pw, hash) != 0)
        return;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(hash)};
    store_exec(db, "UPDATE users SET password_hash = $2 WHERE id = $1", a, 2, &e);
    apierr_clear(&e);
}

static int mfa_enabled(store_conn_t *db, const char *user_id, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(user_id)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT enabled FROM mfa WHERE user_id = $1", a, 1, &r, err) < 0)
        return -1;
    int on = r->nrows == 1 && store_bool(r, 0, 0);
    store_res_free(r);
    return on;
}

static void send_mfa_step(http_req_t *req, const char *user_id)
{
    apierr_t err = {0};
    char tok[TOKENS_LEN + 1];
    if (auth_otp_issue(acc_db(), user_id, "mfa", OTP_MFA_TTL_MS, tok, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:b, s:s, s:i}", "mfaRequired", 1, "mfaToken", tok,
                                       "expiresIn", (int)(OTP_MFA_TTL_MS / 1000)));
}

void auth_login(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *email_in, *pw, *dev;
    if (acc_str(b, "email", 1, 320, true, &email_in, &err) < 0 ||
        acc_str(b, "password", 1, 1024, true, &pw, &err) < 0 ||
        acc_str(b, "deviceId", 1, 200, false, &dev, &err) < 0)
        ACC_FAIL(req, &err);
    char email[VALIDATE_EMAIL_MAX + 1] = "";
    if (validate_email_normalize(email_in, strlen(email_in), email, sizeof email) <= 0)
        email[0] = '\0';
    char akey[300], ikey[100];
    snprintf(akey, sizeof akey, "acct:%s", email);
    snprintf(ikey, sizeof ikey, "ip:%s", req->client_ip);
    store_conn_t *db = acc_db();
    int64_t now = clock_now_ms();
    int la = attempts_locked(db, akey, now, &err), li = attempts_locked(db, ikey, now, &err);
    if (la < 0 || li < 0)
        ACC_FAIL(req, &err);
    if (la > 0 || li > 0) {
        send_locked(req, la > li ? la : li);
        return;
    }
    store_arg_t a[] = {ARG_TEXT(email)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, password_hash, role, status FROM users WHERE email = $1 AND "
                    "status <> 'deleted'",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    bool exists = r->nrows == 1;
    const char *stored = exists ? store_val(r, 0, 1) : NULL;
    int rc = accounts_verify_password(stored, pw);
    if (rc != 0) {
        store_res_free(r);
        login_failed(req, akey, ikey, exists, email);
        return;
    }
    char id[UUID_STR_LEN], role[16];
    snprintf(id, sizeof id, "%s", store_val(r, 0, 0));
    snprintf(role, sizeof role, "%s", store_val(r, 0, 2));
    bool active = strcmp(store_val(r, 0, 3), "active") == 0;
    bool rehash = accounts_needs_rehash(stored);
    store_res_free(r);
    attempts_clear(db, akey);
    if (rehash)
        rehash_password(db, id, pw);
    if (!active) {
        http_send_error(req, 403, "account_suspended", "this account is suspended");
        return;
    }
    int mfa = mfa_enabled(db, id, &err);
    if (mfa < 0)
        ACC_FAIL(req, &err);
    if (mfa) {
        send_mfa_step(req, id);
        return;
    }
    auth_send_login(req, 200, id, role, dev);
}

/* ---- refresh, logout, sessions ------------------------------------------------------ */

void auth_refresh(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *tok;
    if (acc_str(b, "refreshToken", 1, 200, true, &tok, &err) < 0)
        ACC_FAIL(req, &err);
    session_tokens_t t;
    if (session_refresh(acc_db(), tok, &t, &err) < 0) {
        session_tokens_free(&t);
        ACC_FAIL(req, &err);
    }
    auth_send_tokens(req, 200, &t);
    session_tokens_free(&t);
}

void auth_logout(http_req_t *req)
{
    apierr_t err = {0};
    if (session_revoke(acc_db(), req->user_id, req->session_id, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}

void auth_logout_all(http_req_t *req)
{
    apierr_t err = {0};
    if (session_revoke_all(acc_db(), req->user_id, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}

void auth_sessions_list(http_req_t *req)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(acc_db(),
                    "SELECT id, device_id, ip, user_agent, created_at, last_used_at FROM sessions "
                    "WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id LIMIT 200",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++) {
        const char *dev = store_val(r, i, 1), *ua = store_val(r, i, 3);
        json_array_append_new(
            items, json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:b}", "id", store_val(r, i, 0),
                             "deviceId", dev ? json_string(dev) : json_null(), "ip",
                             store_val(r, i, 2) ? store_val(r, i, 2) : "", "userAgent",
                             ua ? json_string(ua) : json_null(), "createdAt",
                             acc_time(store_int(r, i, 4)), "lastUsedAt",
                             acc_time(store_int(r, i, 5)), "current",
                             strcmp(store_val(r, i, 0), req->session_id) == 0));
    }
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

void auth_sessions_delete(http_req_t *req)
{
    apierr_t err = {0};
    if (session_revoke(acc_db(), req->user_id, http_param(req, "id"), &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}

/* ---- routes ------------------------------------------------------------------------ */

#define AUTH_BODY (16 * 1024)

const route_t auth_routes[] = {
    {"POST", "/v1/auth/signup", auth_signup, ROUTE_PUBLIC, AUTH_BODY, "Create an account", 0},
    {"POST", "/v1/auth/login", auth_login, ROUTE_PUBLIC, AUTH_BODY, "Sign in with e-mail and password", 0},
    {"POST", "/v1/auth/refresh", auth_refresh, ROUTE_PUBLIC, AUTH_BODY, "Exchange a refresh token for a new pair", 0},
    {"POST", "/v1/auth/logout", auth_logout, 0, AUTH_BODY, "End this session", 0},
    {"POST", "/v1/auth/logout-all", auth_logout_all, 0, AUTH_BODY, "End every session", 0},
    {"GET", "/v1/auth/sessions", auth_sessions_list, 0, 0, "List live sessions", 0},
    {"DELETE", "/v1/auth/sessions/:id", auth_sessions_delete, 0, 0, "End one session", 0},
    {"POST", "/v1/auth/verify", auth_verify, ROUTE_PUBLIC, AUTH_BODY, "Confirm an e-mail address", 0},
    {"POST", "/v1/auth/verify/resend", auth_verify_resend, 0, AUTH_BODY, "Send the verification e-mail again", 0},
    {"POST", "/v1/auth/reset-password", auth_reset, ROUTE_PUBLIC, AUTH_BODY, "Request a password reset e-mail", 0},
    {"POST", "/v1/auth/reset-password/confirm", auth_reset_confirm, ROUTE_PUBLIC, AUTH_BODY, "Set a new password with a reset token", 0},
    {"POST", "/v1/auth/mfa/enroll", auth_mfa_enroll, 0, AUTH_BODY, "Start TOTP enrolment", 0},
    {"POST", "/v1/auth/mfa/confirm", auth_mfa_confirm, 0, AUTH_BODY, "Confirm TOTP enrolment", 0},
    {"POST", "/v1/auth/mfa/disable", auth_mfa_disable, 0, AUTH_BODY, "Turn TOTP off", 0},
    {"POST", "/v1/auth/mfa/recovery-codes", auth_mfa_recovery, 0, AUTH_BODY, "Replace the recovery codes (needs a TOTP code)", 0},
    {"POST", "/v1/auth/mfa", auth_mfa_login, ROUTE_PUBLIC, AUTH_BODY, "Finish a login with a TOTP or recovery code", 0},
    {"POST", "/v1/auth/oidc", auth_oidc, ROUTE_PUBLIC, 32 * 1024, "Sign in with a Google, Apple or Firebase ID token", 0},
    {"POST", "/v1/auth/phone/start", auth_phone_start, 0, AUTH_BODY, "Send a phone verification code by SMS", 0},
    {"POST", "/v1/auth/phone/verify", auth_phone_verify, 0, AUTH_BODY, "Confirm the phone number with the code", 0},
};
const int auth_routes_count = (int)(sizeof auth_routes / sizeof auth_routes[0]);

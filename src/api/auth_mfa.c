/*
 * auth_mfa.c - TOTP second factor: enrol, confirm, disable, and the second
 * step of a login ({mfaToken, code} -> tokens).
 *
 * The mfa row holds the TOTP secret sealed with the MFA key
 * (accounts/mfa_secret.h; a wrong key answers 503 and lets nobody
 * through), whether it is confirmed, the last
 * time step used (so a code works once) and a JSON array of recovery-code
 * hashes (HMAC under the server pepper; a used code becomes null). Wrong
 * codes count per user (accounts/attempts.h attempts_codes) and lock with
 * 429. POST /v1/auth/mfa/recovery-codes replaces the recovery codes when
 * given a current TOTP code. The login step looks the mfaToken up without
 * spending it, so a mistyped code can be retried; it is spent only when
 * the code is right.
 */
#include "api/auth_int.h"

#include "accounts/accounts.h"
#include "accounts/attempts.h"
#include "accounts/mfa_secret.h"
#include "auth/totp.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int code_locked(store_conn_t *db, const char *key, apierr_t *err)
{
    int s = attempts_locked(db, key, clock_now_ms(), err);
    if (s < 0)
        return -1;
    if (s > 0) {
        apierr_set(err, 429, "too_many_attempts", "too many wrong codes; try again in %d s", s);
        apierr_detail(err, "retryAfter", json_integer(s));
        return -1;
    }
    return 0;
}

static int code_wrong(store_conn_t *db, const char *key, apierr_t *err)
{
    int locked;
    apierr_t e = {0};
    int n = attempts_fail(db, &attempts_codes, key, clock_now_ms(), &locked, &e);
    apierr_clear(&e);
    loop_sleep(attempts_delay_ms(&attempts_codes, n));
    return apierr_set(err, 401, "invalid_code", "the code is wrong or was already used");
}

/* Tries code as a TOTP code, then (if allowed) as a recovery code, and
 * records the use. The caller has loaded the mfa row r (secret, enabled,
 * last_step, recovery). */
static int use_code(store_conn_t *db, const char *uid, const store_res_t *r, const char *code,
                    bool recovery_ok, apierr_t *err)
{
    char key[64];
    snprintf(key, sizeof key, "mfa:%s", uid);
    if (code_locked(db, key, err) < 0)
        return -1;
    uint8_t secret[64];
    size_t slen = 0;
    char b32[128];
    bool legacy;
    if (mfa_secret_open(uid, store_val(r, 0, 0), b32, sizeof b32, &legacy) < 0 ||
        totp_base32_decode(b32, strlen(b32), secret, sizeof secret, &slen) != 0) {
        /* Wrong MFA_KEY or a damaged row: fail closed, never skip the step. */
        sodium_memzero(b32, sizeof b32);
        log_error("stored MFA secret does not open (wrong MFA_KEY?)", "\"user\":\"%s\"", uid);
        return apierr_set(err, 503, "mfa_unavailable",
                          "two-factor sign-in is unavailable right now; try again later");
    }
    sodium_memzero(b32, sizeof b32);
    int64_t step;
    int64_t now_s = clock_now_ms() / 1000;
    int totp_rc = totp_verify(secret, slen, code, strlen(code), now_s, store_int(r, 0, 2), &step);
    sodium_memzero(secret, sizeof secret);
    if (totp_rc == 0) {
        store_arg_t a[] = {ARG_TEXT(uid), ARG_INT(step), ARG_INT(clock_now_ms())};
        store_res_t *u = NULL;
        /* Conditional: two concurrent uses of one code cannot both win. */
        if (store_query(db,
                        "UPDATE mfa SET last_step = $2, updated_at = $3 WHERE user_id = $1 AND "
                        "last_step < $2",
                        a, 3, &u, err) < 0)
            return -1;
        bool won = u->changes == 1;
        store_res_free(u);
        if (won) {
            attempts_clear(db, key);
            return 0;
        }
        return code_wrong(db, key, err);
    }
    if (!recovery_ok)
        return code_wrong(db, key, err);
    json_t *arr = acc_json_col(r, 0, 3, true);
    size_t n = json_array_size(arr);
    const char *hashes[TOTP_RECOVERY_COUNT] = {0};
    for (size_t i = 0; i < n && i < TOTP_RECOVERY_COUNT; i++)
        hashes[i] = json_string_value(json_array_get(arr, i));
    size_t plen;
    const uint8_t *pepper = accounts_pepper(&plen);
    int idx = totp_recovery_verify(pepper, plen, code, strlen(code), hashes,
                                   n < TOTP_RECOVERY_COUNT ? n : TOTP_RECOVERY_COUNT);
    if (idx < 0) {
        json_decref(arr);
        return code_wrong(db, key, err);
    }
    char *old = json_dumps(arr, JSON_COMPACT);
    json_array_set_new(arr, (size_t)idx, json_null());
    char *next = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(next), ARG_TEXT(old), ARG_INT(clock_now_ms())};
    store_res_t *u = NULL;
    int rc = store_query(db,
                         "UPDATE mfa SET recovery = $2, updated_at = $4 WHERE user_id = $1 AND "
                         "recovery = $3",
                         a, 4, &u, err);
    free(old);
    free(next);
    if (rc < 0)
        return -1;
    bool won = u->changes == 1;
    store_res_free(u);
    if (!won)
        return code_wrong(db, key, err);
    attempts_clear(db, key);
    return 0;
}

static int load_mfa(store_conn_t *db, const char *uid, store_res_t **r, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    return store_query(db, "SELECT secret, enabled, last_step, recovery FROM mfa WHERE user_id = $1",
                       a, 1, r, err);
}

void auth_mfa_enroll(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    store_res_t *r = NULL, *u = NULL;
    if (load_mfa(db, req->user_id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    bool on = r->nrows == 1 && store_bool(r, 0, 1);
    store_res_free(r);
    if (on) {
        http_send_error(req, 409, "mfa_already_enabled", "two-factor sign-in is already on");
        return;
    }
    if (acc_user_load(db, req->user_id, &u, &err) < 0)
        ACC_FAIL(req, &err);
    uint8_t secret[TOTP_SECRET_BYTES];
    char b32[TOTP_BASE32_LEN(TOTP_SECRET_BYTES) + 1];
    char *uri = NULL;
    if (totp_secret_generate(secret) != 0 ||
        totp_base32_encode(secret, sizeof secret, b32, sizeof b32) < 0 ||
        totp_uri("Travloc", store_val(u, 0, 1), secret, sizeof secret, &uri) != 0) {
        store_res_free(u);
        http_send_error(req, 500, "internal", "cannot make an MFA secret");
        return;
    }
    store_res_free(u);
    sodium_memzero(secret, sizeof secret);
    char *sealed = mfa_secret_seal(req->user_id, b32);
    if (!sealed) {
        free(uri);
        http_send_error(req, 500, "internal", "cannot seal the MFA secret");
        return;
    }
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(sealed), ARG_INT(now)};
    int rc = store_exec(db,
                   "INSERT INTO mfa (user_id, secret, enabled, last_step, recovery, created_at, "
                   "updated_at) VALUES ($1, $2, 0, -1, '[]', $3, $3) ON CONFLICT (user_id) DO "
                   "UPDATE SET secret = $2, last_step = -1, recovery = '[]', updated_at = $3",
                   a, 3, &err);
    free(sealed);
    if (rc < 0) {
        free(uri);
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 200, json_pack("{s:s, s:s}", "secret", b32, "otpauthUri", uri));
    free(uri);
}

static int read_code(http_req_t *req, const char **code, apierr_t *err)
{
    json_t *b = acc_body(req);
    if (!b)
        return 1;
    return acc_str(b, "code", 1, 20, true, code, err);
}

/* Ten fresh recovery codes: *shown (JSON array of the codes, for the
 * user, once) and *hashes (compact JSON array of their peppered hashes,
 * for the row; heap, caller frees). 0 or -1. */
static int new_recovery_codes(json_t **shown, char **hashes)
{
    char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN + 1];
    if (totp_recovery_generate(codes) != 0)
        return -1;
    size_t plen;
    const uint8_t *pepper = accounts_pepper(&plen);
    json_t *list = json_array(), *h = json_array();
    for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
        char hex[TOTP_RECOVERY_HASH_LEN + 1];
        totp_recovery_hash(pepper, plen, codes[i], strlen(codes[i]), hex, sizeof hex);
        json_array_append_new(list, json_string(codes[i]));
        json_array_append_new(h, json_string(hex));
    }
    sodium_memzero(codes, sizeof codes);
    *hashes = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    *shown = list;
    return 0;
}

void auth_mfa_confirm(http_req_t *req)
{
    apierr_t err = {0};
    const char *code;
    int rc = read_code(req, &code, &err);
    if (rc > 0)
        return;
    store_conn_t *db = acc_db();
    store_res_t *r = NULL;
    if (rc < 0 || load_mfa(db, req->user_id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    if (r->nrows != 1 || store_bool(r, 0, 1)) {
        store_res_free(r);
        http_send_error(req, 409, "mfa_not_pending", "start with POST /v1/auth/mfa/enroll");
        return;
    }
    rc = use_code(db, req->user_id, r, code, false, &err);
    store_res_free(r);
    if (rc < 0)
        ACC_FAIL(req, &err);
    json_t *shown;
    char *hj;
    if (new_recovery_codes(&shown, &hj) < 0) {
        http_send_error(req, 500, "internal", "cannot make recovery codes");
        return;
    }
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(hj), ARG_INT(clock_now_ms())};
    rc = store_exec(db, "UPDATE mfa SET enabled = 1, recovery = $2, updated_at = $3 WHERE user_id = $1",
                    a, 3, &err);
    free(hj);
    if (rc < 0) {
        json_decref(shown);
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 200, json_pack("{s:b, s:o}", "mfaEnabled", 1, "recoveryCodes", shown));
}

/* The common start of disable and recovery-code regeneration: reads
 * {code}, requires MFA to be on and spends the code (recovery codes only
 * when allow_recovery). 0 when it passed; 1 when the request has been
 * answered (bad body, 409, wrong code). */
static int check_enabled_code(http_req_t *req, store_conn_t *db, bool allow_recovery)
{
    apierr_t err = {0};
    const char *code;
    int rc = read_code(req, &code, &err);
    if (rc > 0)
        return 1;
    store_res_t *r = NULL;
    if (rc < 0 || load_mfa(db, req->user_id, &r, &err) < 0) {
        acc_fail(req, &err);
        return 1;
    }
    if (r->nrows != 1 || !store_bool(r, 0, 1)) {
        store_res_free(r);
        http_send_error(req, 409, "mfa_not_enabled", "two-factor sign-in is not on");
        return 1;
    }
    rc = use_code(db, req->user_id, r, code, allow_recovery, &err);
    store_res_free(r);
    if (rc < 0) {
        acc_fail(req, &err);
        return 1;
    }
    return 0;
}

void auth_mfa_disable(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    if (check_enabled_code(req, db, true))
        return;
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    if (store_exec(db, "DELETE FROM mfa WHERE user_id = $1", a, 1, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}

/* POST /v1/auth/mfa/recovery-codes {code}: a current TOTP code (not a
 * recovery code: a leaked recovery code must not mint ten more) replaces
 * every recovery code with ten new ones. Wrong codes count towards the
 * same lock as every other MFA code. */
void auth_mfa_recovery(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    if (check_enabled_code(req, db, false))
        return;
    json_t *shown;
    char *hj;
    if (new_recovery_codes(&shown, &hj) < 0) {
        http_send_error(req, 500, "internal", "cannot make recovery codes");
        return;
    }
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(hj), ARG_INT(clock_now_ms())};
    store_res_t *u = NULL;
    int rc = store_query(db,
                         "UPDATE mfa SET recovery = $2, updated_at = $3 WHERE user_id = $1 AND "
                         "enabled = 1",
                         a, 3, &u, &err);
    free(hj);
    bool done = rc == 0 && u->changes == 1;
    store_res_free(u);
    if (!done) {
        json_decref(shown);
        if (rc == 0)
            apierr_set(&err, 409, "mfa_not_enabled", "two-factor sign-in was turned off");
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 200, json_pack("{s:o}", "recoveryCodes", shown));
}

/* The user an unspent, unexpired mfa token belongs to (not spent here). */
static int mfa_token_user(store_conn_t *db, const char *tok, char *uid, char *role,
                          apierr_t *err)
{
    char hash[TOKENS_HASH_LEN + 1];
    store_res_t *r = NULL;
    if (tok && tokens_is_well_formed(tok, strlen(tok)) &&
        tokens_hash(tok, strlen(tok), hash, sizeof hash) == 0) {
        store_arg_t a[] = {ARG_TEXT(hash), ARG_INT(clock_now_ms())};
        if (store_query(db,
                        "SELECT t.user_id, u.role FROM one_time_tokens t JOIN users u ON u.id = "
                        "t.user_id WHERE t.hash = $1 AND t.purpose = 'mfa' AND t.used_at IS NULL "
                        "AND t.expires_at > $2 AND u.status = 'active'",
                        a, 2, &r, err) < 0)
            return -1;
        bool ok = r->nrows == 1;
        if (ok) {
            snprintf(uid, UUID_STR_LEN, "%s", store_val(r, 0, 0));
            snprintf(role, 16, "%s", store_val(r, 0, 1));
        }
        store_res_free(r);
        if (ok)
            return 0;
    }
    apierr_set(err, 401, "invalid_mfa_token", "the MFA token is unknown, used or expired");
    return -1;
}

void auth_mfa_login(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *tok, *code, *dev;
    char uid[UUID_STR_LEN], role[16], other[UUID_STR_LEN];
    store_conn_t *db = acc_db();
    store_res_t *r = NULL;
    if (acc_str(b, "mfaToken", 1, 100, true, &tok, &err) < 0 ||
        acc_str(b, "code", 1, 20, true, &code, &err) < 0 ||
        acc_str(b, "deviceId", 1, 200, false, &dev, &err) < 0 ||
        mfa_token_user(db, tok, uid, role, &err) < 0 || load_mfa(db, uid, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int rc = r->nrows == 1 && store_bool(r, 0, 1) ? use_code(db, uid, r, code, true, &err)
                                                  : apierr_set(&err, 401, "invalid_mfa_token",
                                                               "two-factor sign-in is not on");
    store_res_free(r);
    if (rc < 0)
        ACC_FAIL(req, &err);
    if (auth_otp_consume(db, tok, "mfa", "mfaToken", other, &err) < 0) {
        apierr_clear(&err);
        http_send_error(req, 401, "invalid_mfa_token", "the MFA token was already used");
        return;
    }
    auth_send_login(req, 200, uid, role, dev);
}

/*
 * auth_phone.c - phone verification: POST /v1/auth/phone/start sends a
 * 6-digit code by SMS (through the outbox: accounts/mailer.h), POST
 * /v1/auth/phone/verify checks it and marks the number verified on the
 * profile.
 *
 * One pending code per user (phone_codes), stored as a SHA-256 hash bound
 * to the user id, valid 10 minutes, at most 5 tries; sends are limited to
 * 5 an hour per user (accounts/attempts.h).
 */
#include "api/auth_int.h"

#include "accounts/attempts.h"
#include "accounts/mailer.h"
#include "core/clock.h"
#include "core/validate.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define CODE_TTL_MS (10 * 60 * 1000)
#define MAX_TRIES 5

static const attempts_policy_t sends = {
    .slow_after = 1000, .lock_after = 5, .window_ms = 3600 * 1000, .lock_ms = 3600 * 1000};

static void code_hash(const char *uid, const char *code, char out[TOKENS_HASH_LEN + 1])
{
    char in[80];
    snprintf(in, sizeof in, "%s:%s", uid, code);
    tokens_hash(in, strlen(in), out, TOKENS_HASH_LEN + 1);
}

void auth_phone_start(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *phone;
    if (acc_str(b, "phone", 1, 16, true, &phone, &err) < 0)
        ACC_FAIL(req, &err);
    if (!validate_phone_e164(phone, strlen(phone))) {
        acc_invalid(&err, "phone", "must be an E.164 number like +4915112345678");
        ACC_FAIL(req, &err);
    }
    store_conn_t *db = acc_db();
    char key[64];
    snprintf(key, sizeof key, "sms:%s", req->user_id);
    int64_t now = clock_now_ms();
    int locked = attempts_locked(db, key, now, &err), just;
    if (locked < 0 || attempts_fail(db, &sends, key, now, &just, &err) < 0)
        ACC_FAIL(req, &err);
    if (locked > 0) {
        http_send_error(req, 429, "too_many_attempts", "too many codes sent; retry in %d s", locked);
        char v[24];
        snprintf(v, sizeof v, "%d", locked);
        http_add_header(req, "Retry-After", v);
        return;
    }
    char code[8], hash[TOKENS_HASH_LEN + 1], text[120];
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    code_hash(req->user_id, code, hash);
    snprintf(text, sizeof text, "Your Travloc code is %s. It is valid for 10 minutes.", code);
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(phone), ARG_TEXT(hash),
                       ARG_INT(now + CODE_TTL_MS), ARG_INT(now)};
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_exec(db,
                   "INSERT INTO phone_codes (user_id, phone, code_hash, attempts, expires_at, "
                   "created_at) VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (user_id) DO UPDATE "
                   "SET phone = $2, code_hash = $3, attempts = 0, expires_at = $4, created_at = $5",
                   a, 5, &err) < 0 ||
        mailer_enqueue(db, "sms", phone, NULL, text, &err) < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 202, json_pack("{s:b, s:i}", "sent", 1, "expiresIn", CODE_TTL_MS / 1000));
}

void auth_phone_verify(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *code;
    if (acc_str(b, "code", 1, 10, true, &code, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = acc_db();
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_query(db,
                    "UPDATE phone_codes SET attempts = attempts + 1 WHERE user_id = $1 AND "
                    "expires_at > $2 RETURNING phone, code_hash, attempts",
                    a, 2, &r, &err) < 0)
        ACC_FAIL(req, &err);
    if (r->nrows != 1 || store_int(r, 0, 2) > MAX_TRIES) {
        bool tries = r->nrows == 1;
        store_res_free(r);
        if (tries)
            http_send_error(req, 429, "too_many_attempts", "too many wrong codes; ask for a new one");
        else
            http_send_error(req, 422, "invalid_code", "no code is pending; start again");
        return;
    }
    char hash[TOKENS_HASH_LEN + 1], phone[20];
    code_hash(req->user_id, code, hash);
    bool ok = tokens_equal(hash, strlen(hash), store_val(r, 0, 1), strlen(store_val(r, 0, 1)));
    snprintf(phone, sizeof phone, "%s", store_val(r, 0, 0));
    store_res_free(r);
    if (!ok) {
        http_send_error(req, 422, "invalid_code", "the code is wrong");
        return;
    }
    store_arg_t u[] = {ARG_TEXT(req->user_id), ARG_TEXT(phone), ARG_INT(clock_now_ms())};
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_exec(db,
                   "UPDATE users SET phone = $2, phone_verified = 1, updated_at = $3, "
                   "version = version + 1 WHERE id = $1",
                   u, 3, &err) < 0 ||
        store_exec(db, "DELETE FROM phone_codes WHERE user_id = $1", u, 1, &err) < 0 ||
        store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 200, json_pack("{s:b, s:s}", "phoneVerified", 1, "phoneNumber", phone));
}

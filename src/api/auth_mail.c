/*
 * auth_mail.c - /v1/auth flows that go through e-mail: address
 * verification (and its resend) and password reset.
 *
 * Tokens travel only in the mail (auth_int.h one-time tokens). A reset
 * request answers 202 whether or not the address has an account, so the
 * endpoint tells nobody which addresses are registered; a confirmed reset
 * ends every session of the account.
 */
#include "api/auth_int.h"

#include "accounts/accounts.h"
#include "accounts/mailer.h"
#include "core/clock.h"
#include "core/validate.h"

#include <stdio.h>
#include <string.h>

void auth_verify(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *tok;
    char uid[UUID_STR_LEN];
    store_conn_t *db = acc_db();
    if (acc_str(b, "token", 1, 100, true, &tok, &err) < 0 ||
        auth_otp_consume(db, tok, "verify", "token", uid, &err) < 0)
        ACC_FAIL(req, &err);
    store_arg_t a[] = {ARG_TEXT(uid), ARG_INT(clock_now_ms())};
    if (store_exec(db,
                   "UPDATE users SET email_verified = 1, updated_at = $2, version = version + 1 "
                   "WHERE id = $1",
                   a, 2, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:b}", "emailVerified", 1));
}

void auth_verify_resend(http_req_t *req)
{
    apierr_t err = {0};
    store_res_t *u = NULL;
    store_conn_t *db = acc_db();
    if (acc_user_load(db, req->user_id, &u, &err) < 0)
        ACC_FAIL(req, &err);
    bool verified = store_bool(u, 0, 7);
    int rc = verified ? 0 : auth_queue_verification(db, req->user_id, store_val(u, 0, 1), &err);
    store_res_free(u);
    if (rc < 0)
        ACC_FAIL(req, &err);
    if (verified) {
        http_send_error(req, 409, "already_verified", "the e-mail address is already verified");
        return;
    }
    http_send_json(req, 202, json_pack("{s:b}", "sent", 1));
}

void auth_reset(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    char email[VALIDATE_EMAIL_MAX + 1];
    if (acc_email(b, "email", email, sizeof email, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = acc_db();
    store_arg_t a[] = {ARG_TEXT(email)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT id FROM users WHERE email = $1 AND status = 'active'", a, 1, &r,
                    &err) < 0)
        ACC_FAIL(req, &err);
    if (r->nrows == 1) {
        char tok[TOKENS_LEN + 1], body[600];
        if (auth_otp_issue(db, store_val(r, 0, 0), "reset", OTP_RESET_TTL_MS, tok, &err) == 0) {
            snprintf(body, sizeof body,
                     "Someone asked to reset the password of your Travloc account.\n\n"
                     "Reset code:\n\n%s\n\nor open travloc://reset-password?token=%s\n\n"
                     "The code is valid for one hour. If you did not ask, ignore this mail.\n",
                     tok, tok);
            mailer_enqueue(db, "mail", email, "Reset your Travloc password", body, &err);
        }
        apierr_clear(&err);
    }
    store_res_free(r);
    http_send_json(req, 202, json_pack("{s:b}", "accepted", 1));
}

void auth_reset_confirm(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *tok, *pw;
    if (acc_str(b, "token", 1, 100, true, &tok, &err) < 0 ||
        acc_str(b, "newPassword", 1, 1024, true, &pw, &err) < 0)
        ACC_FAIL(req, &err);
    /* Check the policy before spending the token, so a weak password can
     * be corrected with the same mail. */
    int rc = password_policy_check(accounts_policy(), pw, strlen(pw), NULL, 0);
    if (rc != 0) {
        acc_invalid(&err, "newPassword", "%s", password_strerror(rc));
        ACC_FAIL(req, &err);
    }
    store_conn_t *db = acc_db();
    char uid[UUID_STR_LEN], hash[PASSWORD_HASH_MAX];
    if (auth_otp_consume(db, tok, "reset", "token", uid, &err) < 0)
        ACC_FAIL(req, &err);
    if (accounts_hash_password(pw, hash) != 0) {
        http_send_error(req, 500, "internal", "cannot hash the password");
        return;
    }
    store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(hash), ARG_INT(clock_now_ms())};
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_exec(db,
                   "UPDATE users SET password_hash = $2, updated_at = $3, version = version + 1 "
                   "WHERE id = $1",
                   a, 3, &err) < 0 ||
        session_revoke_all(db, uid, NULL, &err) < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    http_send_raw(req, 204, NULL, NULL, 0);
}

/*
 * auth_int.h - pieces shared by the /v1/auth handlers (auth.c,
 * auth_mail.c, auth_mfa.c, auth_social.c). Not for other modules.
 *
 * One-time tokens (e-mail verification, password reset, MFA step-up) are
 * auth/tokens.h tokens stored hashed in one_time_tokens with a purpose and
 * an expiry; consuming one is a single conditional UPDATE, so a token
 * works once even under concurrent use.
 */
#ifndef TRAVLOC_AUTH_INT_H
#define TRAVLOC_AUTH_INT_H

#include "accounts/session.h"
#include "api/acc_util.h"

#define OTP_VERIFY_TTL_MS (24LL * 3600 * 1000)
#define OTP_RESET_TTL_MS (3600LL * 1000)
#define OTP_MFA_TTL_MS (5LL * 60 * 1000)

/* Device and client facts for a new session (strings borrowed from req). */
session_meta_t auth_meta(http_req_t *req, const char *device_id);

/* Creates a session for user and answers status {user, token,
 * refreshToken, tokenType, expiresIn}. */
void auth_send_login(http_req_t *req, int status, const char *user_id, const char *role,
                     const char *device_id);
/* Answers {user, token, refreshToken…} for an existing pair. */
void auth_send_tokens(http_req_t *req, int status, session_tokens_t *t);

int auth_otp_issue(store_conn_t *db, const char *user_id, const char *purpose, int64_t ttl_ms,
                   char out[TOKENS_LEN + 1], apierr_t *err);
/* Spends a live token of purpose; copies its user into user_id (37 bytes).
 * 422 "invalid_token" (field `field`) when unknown, used or expired. */
int auth_otp_consume(store_conn_t *db, const char *token, const char *purpose,
                     const char *field, char *user_id, apierr_t *err);

/* Queues the verification mail for (user_id, email). */
int auth_queue_verification(store_conn_t *db, const char *user_id, const char *email,
                            apierr_t *err);

/* Handlers. */
void auth_signup(http_req_t *req);
void auth_login(http_req_t *req);
void auth_refresh(http_req_t *req);
void auth_logout(http_req_t *req);
void auth_logout_all(http_req_t *req);
void auth_sessions_list(http_req_t *req);
void auth_sessions_delete(http_req_t *req);
void auth_verify(http_req_t *req);
void auth_verify_resend(http_req_t *req);
void auth_reset(http_req_t *req);
void auth_reset_confirm(http_req_t *req);
void auth_mfa_enroll(http_req_t *req);
void auth_mfa_confirm(http_req_t *req);
void auth_mfa_disable(http_req_t *req);
void auth_mfa_recovery(http_req_t *req);
void auth_mfa_login(http_req_t *req);
void auth_oidc(http_req_t *req);
void auth_phone_start(http_req_t *req);
void auth_phone_verify(http_req_t *req);

#endif

/*
 * auth_social.c - POST /v1/auth/oidc: sign in with an ID token from Google,
 * Apple, Firebase Auth or another configured OpenID Connect provider.
 *
 * The token is verified against the provider's JWKS (accounts/social.h,
 * auth/oidc.h: signature, iss, aud, exp, nonce). A known (provider, sub)
 * signs its user in. Otherwise the identity is linked to an existing
 * account only when the provider says the e-mail is verified; an
 * unverified e-mail that belongs to an account is refused (409), since
 * linking it would hand the account to whoever typed that address. A new
 * e-mail creates an account without a password (201).
 */
#include "api/auth_int.h"

#include "accounts/social.h"
#include "core/clock.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void split_name(const char *name, char *first, char *last, size_t n)
{
    const char *sp = strchr(name, ' ');
    if (!*name) {
        snprintf(first, n, "Traveller");
        snprintf(last, n, "%s", "");
    } else if (sp) {
        snprintf(first, n, "%.*s", (int)(sp - name), name);
        snprintf(last, n, "%s", sp + 1);
    } else {
        snprintf(first, n, "%s", name);
        snprintf(last, n, "%s", "");
    }
}

/* Finds or makes the user for a verified identity. *created tells which. */
static int resolve_user(store_conn_t *db, const char *provider, const oidc_identity_t *id,
                        char *uid, char *role, bool *created, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(provider), ARG_TEXT(id->sub)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT u.id, u.role, u.status FROM oidc_identities o JOIN users u ON u.id = "
                    "o.user_id WHERE o.provider = $1 AND o.subject = $2",
                    a, 2, &r, err) < 0)
        return -1;
    char email[VALIDATE_EMAIL_MAX + 1] = "";
    bool have = r->nrows == 1;
    if (!have && id->email[0] &&
        validate_email_normalize(id->email, strlen(id->email), email, sizeof email) > 0) {
        store_res_free(r);
        store_arg_t e[] = {ARG_TEXT(email)};
        if (store_query(db, "SELECT id, role, status FROM users WHERE email = $1", e, 1, &r, err) < 0)
            return -1;
        if (r->nrows == 1 && !id->email_verified) {
            store_res_free(r);
            return apierr_set(err, 409, "account_exists",
                              "an account uses this e-mail; sign in with its password first");
        }
        have = r->nrows == 1;
    }
    if (have) {
        bool active = strcmp(store_val(r, 0, 2), "active") == 0;
        snprintf(uid, UUID_STR_LEN, "%s", store_val(r, 0, 0));
        snprintf(role, 16, "%s", store_val(r, 0, 1));
        store_res_free(r);
        if (!active)
            return apierr_set(err, 403, "account_suspended", "this account is not active");
        *created = false;
    } else {
        store_res_free(r);
        if (!email[0])
            return apierr_set(err, 422, "email_required",
                              "the provider shared no e-mail address; allow it and retry");
        char first[256], last[256];
        split_name(id->name, first, last, sizeof first);
        uuid_v7(uid);
        snprintf(role, 16, "traveller");
        store_arg_t u[] = {ARG_TEXT(uid), ARG_TEXT(email), ARG_TEXT(first), ARG_TEXT(last),
                           ARG_INT(id->email_verified ? 1 : 0), ARG_INT(clock_now_ms())};
        if (store_exec(db,
                       "INSERT INTO users (id, email, first_name, last_name, email_verified, "
                       "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                       u, 6, err) < 0)
            return -1;
        *created = true;
    }
    store_arg_t l[] = {ARG_TEXT(provider), ARG_TEXT(id->sub), ARG_TEXT(uid), ARG_INT(clock_now_ms())};
    return store_exec(db,
                      "INSERT INTO oidc_identities (provider, subject, user_id, created_at) VALUES "
                      "($1, $2, $3, $4) ON CONFLICT (provider, subject) DO NOTHING",
                      l, 4, err);
}

void auth_oidc(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *provider, *tok, *nonce, *dev;
    if (acc_str(b, "provider", 1, 31, true, &provider, &err) < 0 ||
        acc_str(b, "idToken", 1, OIDC_TOKEN_MAX, true, &tok, &err) < 0 ||
        acc_str(b, "nonce", 1, 255, false, &nonce, &err) < 0 ||
        acc_str(b, "deviceId", 1, 200, false, &dev, &err) < 0)
        ACC_FAIL(req, &err);
    const oidc_config_t *cfg = social_provider(provider);
    if (!cfg) {
        acc_invalid(&err, "provider", "is not a configured sign-in provider");
        ACC_FAIL(req, &err);
    }
    char *jwks = social_jwks(provider);
    if (!jwks) {
        http_send_error(req, 503, "provider_unavailable", "the provider's keys are not available");
        return;
    }
    oidc_identity_t id;
    int rc = oidc_verify(cfg, jwks, strlen(jwks), tok, strlen(tok), nonce,
                         clock_now_ms() / 1000, &id);
    free(jwks);
    if (rc != 0) {
        http_send_error(req, 401, "invalid_id_token", "the ID token is not valid: %s",
                        oidc_strerror(rc));
        return;
    }
    store_conn_t *db = acc_db();
    char uid[UUID_STR_LEN], role[16];
    bool created = false;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (resolve_user(db, provider, &id, uid, role, &created, &err) < 0 ||
        store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    auth_send_login(req, created ? 201 : 200, uid, role, dev);
}

/*
 * oidc.c - OpenID Connect ID token verification (see oidc.h).
 *
 * Order of checks: sizes, JWKS, token structure, alg, key lookup and key
 * type, signature, then claims (iss, aud, exp, iat/nbf, nonce, sub). The
 * JWKS and the parsed token live only for the duration of one call.
 */
#include "auth/oidc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <rhonabwy.h>
#include <sodium.h>

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

static bool oidc_copy(char dst[OIDC_STR_MAX + 1], const char *src)
{
    if (src == NULL)
        return false;
    size_t n = strnlen(src, OIDC_STR_MAX + 1);
    if (n == 0 || n > OIDC_STR_MAX)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

int oidc_config_add_audience(oidc_config_t *cfg, const char *client_id)
{
    if (cfg == NULL || cfg->n_audiences >= OIDC_MAX_AUDIENCES ||
        !oidc_copy(cfg->audiences[cfg->n_audiences], client_id))
        return OIDC_EINVAL;
    cfg->n_audiences++;
    return OIDC_OK;
}

int oidc_config_generic(oidc_config_t *cfg, const char *issuer, const char *client_id)
{
    if (cfg == NULL)
        return OIDC_EINVAL;
    memset(cfg, 0, sizeof *cfg);
    cfg->leeway = OIDC_DEFAULT_LEEWAY;
    if (!oidc_copy(cfg->issuers[0], issuer))
        return OIDC_EINVAL;
    cfg->n_issuers = 1;
    return oidc_config_add_audience(cfg, client_id);
}

int oidc_config_google(oidc_config_t *cfg, const char *client_id)
{
    int rc = oidc_config_generic(cfg, "https://accounts.google.com", client_id);
    if (rc == OIDC_OK) {
        strcpy(cfg->issuers[1], "accounts.google.com");
        cfg->n_issuers = 2;
    }
    return rc;
}

int oidc_config_apple(oidc_config_t *cfg, const char *client_id)
{
    return oidc_config_generic(cfg, "https://appleid.apple.com", client_id);
}

int oidc_config_firebase(oidc_config_t *cfg, const char *project_id)
{
    if (cfg == NULL || project_id == NULL)
        return OIDC_EINVAL;
    char issuer[OIDC_STR_MAX + 2];
    int n = snprintf(issuer, sizeof issuer, "https://securetoken.google.com/%s", project_id);
    if (n < 0 || (size_t)n > OIDC_STR_MAX || project_id[0] == '\0' || strchr(project_id, '/'))
        return OIDC_EINVAL;
    return oidc_config_generic(cfg, issuer, project_id);
}

static bool oidc_config_ok(const oidc_config_t *cfg)
{
    return cfg != NULL && cfg->n_issuers >= 1 && cfg->n_issuers <= OIDC_MAX_ISSUERS &&
           cfg->n_audiences >= 1 && cfg->n_audiences <= OIDC_MAX_AUDIENCES &&
           cfg->leeway >= 0 && cfg->leeway <= 600;
}

/* ------------------------------------------------------------------ */
/* Keys and signature                                                 */
/* ------------------------------------------------------------------ */

static int oidc_load_jwks(const char *text, size_t len, jwks_t **out)
{
    *out = NULL;
    if (text == NULL || len == 0 || len > OIDC_JWKS_MAX)
        return OIDC_EJWKS;
    json_error_t err;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    jwks_t *jwks = NULL;
    if (doc == NULL || r_jwks_init(&jwks) != RHN_OK) {
        json_decref(doc);
        return doc == NULL ? OIDC_EJWKS : OIDC_ENOMEM;
    }
    /* A key set may hold key types we cannot import (the call then
     * reports an error); the keys it could import remain usable. */
    r_jwks_import_from_json_t(jwks, doc);
    json_decref(doc);
    if (r_jwks_size(jwks) == 0) {
        r_jwks_free(jwks);
        return OIDC_EJWKS;
    }
    *out = jwks;
    return OIDC_OK;
}

/* Picks the JWKS key named by the token's kid (or the only key when the
 * token has no kid) and checks that its type suits alg. */
static int oidc_pick_key(jwks_t *jwks, jwt_t *jwt, const char *alg, jwk_t **out)
{
    *out = NULL;
    const char *kid = r_jwt_get_header_str_value(jwt, "kid");
    jwk_t *jwk = NULL;
    if (kid != NULL && kid[0] != '\0')
        jwk = r_jwks_get_by_kid(jwks, kid);
    else if (r_jwks_size(jwks) == 1)
        jwk = r_jwks_get_at(jwks, 0);
    if (jwk == NULL)
        return OIDC_EUNKNOWN_KID;
    unsigned int bits = 0;
    int type = r_jwk_key_type(jwk, &bits, R_FLAG_IGNORE_REMOTE);
    const char *key_alg = r_jwk_get_property_str(jwk, "alg");
    const char *use = r_jwk_get_property_str(jwk, "use");
    const char *crv = r_jwk_get_property_str(jwk, "crv");
    bool ok;
    if (strcmp(alg, "RS256") == 0)
        ok = (type & R_KEY_TYPE_RSA) && bits >= 2048;
    else
        ok = (type & R_KEY_TYPE_EC) && crv != NULL && strcmp(crv, "P-256") == 0;
    if (key_alg != NULL && strcmp(key_alg, alg) != 0)
        ok = false;
    if (use != NULL && strcmp(use, "sig") != 0)
        ok = false;
    if (!ok) {
        r_jwk_free(jwk);
        return OIDC_EWRONG_ALG;
    }
    *out = jwk;
    return OIDC_OK;
}

/* Parses the token (no keys taken from its header) and checks alg, key
 * and signature. On success *out is the parsed token, freed by caller. */
static int oidc_check_signature(jwks_t *jwks, const char *token, size_t len, jwt_t **out)
{
    *out = NULL;
    jwt_t *jwt = NULL;
    if (r_jwt_init(&jwt) != RHN_OK)
        return OIDC_ENOMEM;
    /* R_PARSE_UNSIGNED lets an alg "none" token parse so it can be named. */
    int rc = OIDC_OK;
    if (r_jwt_advanced_parsen(jwt, token, len, R_PARSE_UNSIGNED, R_FLAG_IGNORE_REMOTE) != RHN_OK ||
        r_jwt_get_type(jwt) != R_JWT_TYPE_SIGN)
        rc = OIDC_EMALFORMED;
    const char *alg = rc == OIDC_OK ? r_jwt_get_header_str_value(jwt, "alg") : NULL;
    if (rc == OIDC_OK && alg == NULL)
        rc = OIDC_EMALFORMED;
    else if (rc == OIDC_OK && strcmp(alg, "none") == 0)
        rc = OIDC_EALG_NONE;
    else if (rc == OIDC_OK && strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)
        rc = OIDC_EWRONG_ALG;
    jwk_t *jwk = NULL;
    if (rc == OIDC_OK)
        rc = oidc_pick_key(jwks, jwt, alg, &jwk);
    if (rc == OIDC_OK && r_jwt_verify_signature(jwt, jwk, R_FLAG_IGNORE_REMOTE) != RHN_OK)
        rc = OIDC_EBAD_SIGNATURE;
    r_jwk_free(jwk);
    if (rc != OIDC_OK) {
        r_jwt_free(jwt);
        return rc;
    }
    *out = jwt;
    return OIDC_OK;
}

/* ------------------------------------------------------------------ */
/* Claims                                                             */
/* ------------------------------------------------------------------ */

static bool oidc_str_eq(json_t *v, const char *s)
{
    return json_is_string(v) && json_string_length(v) == strlen(s) &&
           memcmp(json_string_value(v), s, json_string_length(v)) == 0;
}

static int oidc_check_iss_aud(const oidc_config_t *cfg, json_t *claims)
{
    json_t *iss = json_object_get(claims, "iss");
    bool iss_ok = false;
    for (size_t i = 0; i < cfg->n_issuers; i++)
        iss_ok = iss_ok || oidc_str_eq(iss, cfg->issuers[i]);
    if (!iss_ok)
        return OIDC_EISSUER;
    json_t *aud = json_object_get(claims, "aud");
    for (size_t i = 0; i < cfg->n_audiences; i++) {
        if (oidc_str_eq(aud, cfg->audiences[i]))
            return OIDC_OK;
        size_t k;
        json_t *a;
        json_array_foreach(aud, k, a) {
            if (oidc_str_eq(a, cfg->audiences[i]))
                return OIDC_OK;
        }
    }
    return OIDC_EAUDIENCE;
}

/* A NumericDate: integer or finite real, >= 0. */
static bool oidc_time(json_t *claims, const char *name, int64_t *out)
{
    json_t *v = json_object_get(claims, name);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && isfinite(json_real_value(v)) && json_real_value(v) >= 0 &&
        json_real_value(v) < 9.0e15) {
        *out = (int64_t)json_real_value(v);
        return true;
    }
    return false;
}

static int oidc_check_times(const oidc_config_t *cfg, json_t *claims, int64_t now,
                            oidc_identity_t *out)
{
    int64_t nbf = 0;
    if (!oidc_time(claims, "exp", &out->exp) || !oidc_time(claims, "iat", &out->iat))
        return OIDC_EMALFORMED;
    if (json_object_get(claims, "nbf") != NULL && !oidc_time(claims, "nbf", &nbf))
        return OIDC_EMALFORMED;
    if (out->exp <= now - cfg->leeway)
        return OIDC_EEXPIRED;
    if (out->iat > now + cfg->leeway || nbf > now + cfg->leeway)
        return OIDC_ENOT_YET_VALID;
    return OIDC_OK;
}

static int oidc_check_nonce(json_t *claims, const char *expected)
{
    if (expected == NULL)
        return OIDC_OK;
    json_t *v = json_object_get(claims, "nonce");
    size_t n = strlen(expected);
    if (!json_is_string(v) || json_string_length(v) != n || n == 0)
        return OIDC_ENONCE;
    return sodium_memcmp(json_string_value(v), expected, n) == 0 ? OIDC_OK : OIDC_ENONCE;
}

/* Copies a string claim if it fits and has no NUL; false otherwise. */
static bool oidc_take_str(json_t *claims, const char *name, char *dst, size_t cap)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v))
        return false;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n >= cap || memchr(s, '\0', n) != NULL)
        return false;
    memcpy(dst, s, n + 1);
    return true;
}

static int oidc_read_identity(json_t *claims, oidc_identity_t *out)
{
    if (!oidc_take_str(claims, "sub", out->sub, sizeof out->sub) ||
        !oidc_take_str(claims, "iss", out->issuer, sizeof out->issuer))
        return OIDC_EMALFORMED;
    if (oidc_take_str(claims, "email", out->email, sizeof out->email)) {
        /* Apple sends the flag as the string "true"; others as a bool. */
        json_t *ev = json_object_get(claims, "email_verified");
        out->email_verified = json_is_true(ev) || oidc_str_eq(ev, "true");
    }
    oidc_take_str(claims, "name", out->name, sizeof out->name);
    return OIDC_OK;
}

int oidc_verify(const oidc_config_t *cfg, const char *jwks, size_t jwks_len,
                const char *token, size_t token_len, const char *expected_nonce,
                int64_t now, oidc_identity_t *out)
{
    if (out == NULL)
        return OIDC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!oidc_config_ok(cfg) || token == NULL || now < 0 || now > INT64_MAX / 2 ||
        (expected_nonce != NULL && strnlen(expected_nonce, OIDC_STR_MAX + 1) > OIDC_STR_MAX))
        return OIDC_EINVAL;
    if (token_len == 0 || token_len > OIDC_TOKEN_MAX)
        return OIDC_EMALFORMED;
    jwks_t *set = NULL;
    int rc = oidc_load_jwks(jwks, jwks_len, &set);
    jwt_t *jwt = NULL;
    if (rc == OIDC_OK)
        rc = oidc_check_signature(set, token, token_len, &jwt);
    json_t *claims = rc == OIDC_OK ? r_jwt_get_full_claims_json_t(jwt) : NULL;
    if (rc == OIDC_OK && !json_is_object(claims))
        rc = OIDC_EMALFORMED;
    if (rc == OIDC_OK)
        rc = oidc_check_iss_aud(cfg, claims);
    if (rc == OIDC_OK)
        rc = oidc_check_times(cfg, claims, now, out);
    if (rc == OIDC_OK)
        rc = oidc_check_nonce(claims, expected_nonce);
    if (rc == OIDC_OK)
        rc = oidc_read_identity(claims, out);
    json_decref(claims);
    r_jwt_free(jwt);
    r_jwks_free(set);
    if (rc != OIDC_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

const char *oidc_strerror(int code)
{
    switch (code) {
    case OIDC_OK: return "ok";
    case OIDC_EINVAL: return "invalid argument";
    case OIDC_ENOMEM: return "out of memory";
    case OIDC_EJWKS: return "no usable key in the JWKS";
    case OIDC_EMALFORMED: return "malformed ID token";
    case OIDC_EALG_NONE: return "unsigned ID token";
    case OIDC_EWRONG_ALG: return "wrong algorithm";
    case OIDC_EUNKNOWN_KID: return "unknown key id";
    case OIDC_EBAD_SIGNATURE: return "bad signature";
    case OIDC_EEXPIRED: return "ID token expired";
    case OIDC_ENOT_YET_VALID: return "ID token not yet valid";
    case OIDC_EISSUER: return "wrong issuer";
    case OIDC_EAUDIENCE: return "wrong audience";
    case OIDC_ENONCE: return "nonce mismatch";
    default: return "unknown error";
    }
}

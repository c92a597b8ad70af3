/*
 * oidc.h - verification of OpenID Connect ID tokens ("Sign in with
 * Google / Apple", Firebase Authentication) against the provider's JWKS.
 *
 * The caller supplies the JWKS as JSON text (fetching and caching the
 * provider's key document is the caller's job) and an oidc_config_t that
 * says which issuers and audiences (client ids) to accept; presets fill
 * one for Google, Apple and Firebase. oidc_verify() accepts RS256 and
 * ES256 only, never reads keys from the token itself (jwk, jku, x5u, x5c
 * headers are ignored), requires the header's kid to name a key of the
 * JWKS whose type and declared alg match, verifies the signature with
 * librhonabwy, then checks iss (exact match), aud (a string or an array
 * containing one accepted client id), exp, iat, nbf (with a leeway) and,
 * when the caller passes one, nonce. It returns the subject, e-mail,
 * e-mail verification flag and display name.
 *
 * Everything is per call: the JWKS text is parsed on each call, nothing is
 * cached or shared, so the functions are reentrant. oidc_config_t and
 * oidc_identity_t are plain value structs with fixed buffers (no
 * ownership, nothing to free). Errors are negative OIDC_E* codes.
 */
#ifndef TRAVLOC_OIDC_H
#define TRAVLOC_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OIDC_TOKEN_MAX 16384
#define OIDC_JWKS_MAX (256 * 1024)
#define OIDC_MAX_ISSUERS 2
#define OIDC_MAX_AUDIENCES 4
#define OIDC_STR_MAX 255         /* issuer, audience, sub, name (bytes) */
#define OIDC_EMAIL_MAX 320
#define OIDC_DEFAULT_LEEWAY 60   /* seconds */

enum {
    OIDC_OK = 0,
    OIDC_EINVAL = -1,        /* bad argument or configuration */
    OIDC_ENOMEM = -2,
    OIDC_EJWKS = -3,         /* JWKS text holds no usable key */
    OIDC_EMALFORMED = -10,   /* not a signed compact JWT with sub/iat/exp */
    OIDC_EALG_NONE = -11,
    OIDC_EWRONG_ALG = -12,   /* not RS256/ES256, or not the key's type/alg */
    OIDC_EUNKNOWN_KID = -13,
    OIDC_EBAD_SIGNATURE = -14,
    OIDC_EEXPIRED = -15,
    OIDC_ENOT_YET_VALID = -16,  /* iat or nbf in the future */
    OIDC_EISSUER = -17,
    OIDC_EAUDIENCE = -18,
    OIDC_ENONCE = -19,
};

typedef struct {
    char issuers[OIDC_MAX_ISSUERS][OIDC_STR_MAX + 1];
    size_t n_issuers;
    char audiences[OIDC_MAX_AUDIENCES][OIDC_STR_MAX + 1];
    size_t n_audiences;
    int leeway;                  /* seconds, 0-600 */
} oidc_config_t;

/* Presets. Each clears *cfg, sets the provider's issuer(s), one audience
 * and OIDC_DEFAULT_LEEWAY, and returns 0 or OIDC_EINVAL (NULL, empty or
 * over-long id).
 * - Google: iss "https://accounts.google.com" or "accounts.google.com",
 *   aud = the OAuth client id.
 * - Apple: iss "https://appleid.apple.com", aud = the app's bundle id or
 *   Services ID.
 * - Firebase: iss "https://securetoken.google.com/<project>",
 *   aud = the project id.
 * - Generic: one issuer, one client id. */
int oidc_config_google(oidc_config_t *cfg, const char *client_id);
int oidc_config_apple(oidc_config_t *cfg, const char *client_id);
int oidc_config_firebase(oidc_config_t *cfg, const char *project_id);
int oidc_config_generic(oidc_config_t *cfg, const char *issuer, const char *client_id);

/* Accepts one more client id (an app often has one per platform). Returns
 * 0 or OIDC_EINVAL when full or invalid. */
int oidc_config_add_audience(oidc_config_t *cfg, const char *client_id);

typedef struct {
    char issuer[OIDC_STR_MAX + 1];
    char sub[OIDC_STR_MAX + 1];       /* the provider's stable user id */
    char email[OIDC_EMAIL_MAX + 1];   /* "" when absent or unusable */
    bool email_verified;              /* true only if the token says so */
    char name[OIDC_STR_MAX + 1];      /* "" when absent or too long */
    int64_t iat, exp;
} oidc_identity_t;

/* Verifies token[0..token_len) against jwks[0..jwks_len) at time now (Unix
 * seconds). expected_nonce is NULL to skip the nonce check; otherwise the
 * token's nonce must equal it. On success returns 0 and fills *out; on
 * failure *out is zeroed and the result is a negative OIDC_E* code
 * (signature and key errors are reported before claim errors). */
int oidc_verify(const oidc_config_t *cfg, const char *jwks, size_t jwks_len,
                const char *token, size_t token_len, const char *expected_nonce,
                int64_t now, oidc_identity_t *out);

/* Short English description of an OIDC_E* code (static string). */
const char *oidc_strerror(int code);

#endif

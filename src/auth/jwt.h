/*
 * jwt.h - signed JWT access tokens and the key ring that signs and checks
 * them.
 *
 * A jwt_keyring_t holds keys by "kid": HS256 secrets, and RS256 / ES256
 * (P-256) keys given as PEM or JWK, private (can sign) or public (verify
 * only). One key is active and signs new tokens; every key in the ring is
 * accepted for verification, which is how keys rotate without logging
 * anybody out: add the new key, make it active, remove the old one once
 * the longest access-token lifetime has passed.
 *
 * Tokens carry {sub, sid, role, iat, exp, jti} and an optional object
 * "ext" for extra claims; the header is {typ:"JWT", alg, kid}. Signing
 * goes through librhonabwy. Verification parses the compact form itself
 * (strict base64url, JSON without duplicate keys) so that each failure has
 * its own code, then checks the signature: HS256 with libsodium's
 * HMAC-SHA256 and a constant-time comparison (librhonabwy compares HMACs
 * with strcmp, which leaks timing), RS256 / ES256 with librhonabwy. The
 * kid must name a key of the ring and the header's alg must be that key's
 * alg, so "none", HS256-with-an-RSA-public-key and similar confusions are
 * refused before any cryptography runs.
 *
 * Threads: the ring has an internal read-write lock. jwt_sign/jwt_verify
 * take it shared and may run on every thread at once; add/remove/
 * set_active take it exclusively. Ownership: the ring owns copies of all
 * key material (secrets are wiped on free); tokens returned by jwt_sign are
 * heap strings freed with free(); a jwt_claims_t owns its "extra" object,
 * released by jwt_claims_clear(). Errors are negative JWT_E* codes.
 */
#ifndef TRAVLOC_JWT_H
#define TRAVLOC_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JWT_KID_MAX 64          /* bytes in a kid */
#define JWT_CLAIM_MAX 128       /* bytes in sub, sid, role, jti */
#define JWT_TOKEN_MAX 8192      /* longer tokens are refused unread */
#define JWT_HS256_MIN_SECRET 32 /* RFC 7518: key at least as long as the hash */
#define JWT_DEFAULT_LEEWAY 30   /* seconds of clock skew tolerated */

enum {
    JWT_OK = 0,
    JWT_EINVAL = -1,          /* bad argument */
    JWT_ENOMEM = -2,
    JWT_EKEY = -3,            /* key material unusable or wrong for the alg */
    JWT_EEXISTS = -4,         /* kid already in the ring */
    JWT_ENOKEY = -5,          /* no such kid (ring management) */
    JWT_ENO_SIGNING_KEY = -6, /* no active key, or it is public only */
    JWT_ECRYPTO = -7,         /* library failure while signing */
    /* Verification failures, one per cause. */
    JWT_EMALFORMED = -10,     /* not a compact JWS with the expected claims */
    JWT_EALG_NONE = -11,      /* unsigned token (alg "none") */
    JWT_EWRONG_ALG = -12,     /* alg unsupported or not the kid's key's alg */
    JWT_EUNKNOWN_KID = -13,   /* kid missing or not in the ring */
    JWT_EBAD_SIGNATURE = -14,
    JWT_EEXPIRED = -15,       /* exp is past (beyond the leeway) */
    JWT_ENOT_YET_VALID = -16, /* nbf or iat in the future beyond the leeway */
};

typedef enum {
    JWT_ALG_HS256 = 1,
    JWT_ALG_RS256 = 2,
    JWT_ALG_ES256 = 3,
} jwt_alg_t;

typedef struct jwt_keyring jwt_keyring_t;  /* opaque */

/* ---- Key ring ----------------------------------------------------- */

/* Creates an empty ring (leeway JWT_DEFAULT_LEEWAY). Returns 0 and *out,
 * owned by the caller (jwt_keyring_free), or JWT_EINVAL / JWT_ENOMEM. */
int jwt_keyring_new(jwt_keyring_t **out);

/* Frees the ring and wipes its secrets. No call may be in flight. */
void jwt_keyring_free(jwt_keyring_t *ring);

/* Adds an HS256 key from secret[0..len) (>= JWT_HS256_MIN_SECRET bytes,
 * copied). kid: 1-64 printable ASCII bytes. The first key added to an
 * empty ring that can sign becomes active. Returns 0, JWT_EINVAL,
 * JWT_EKEY (secret too short), JWT_EEXISTS or JWT_ENOMEM. */
int jwt_keyring_add_hs256(jwt_keyring_t *ring, const char *kid,
                          const char *secret, size_t secret_len);

/* Adds an RS256 or ES256 key from PEM text pem[0..len): a private key
 * (PKCS#8 or PKCS#1/SEC1; can sign) or a public key (SubjectPublicKeyInfo;
 * verify only). RSA keys need >= 2048 bits, ES256 keys the P-256 curve.
 * Returns 0, JWT_EINVAL, JWT_EKEY, JWT_EEXISTS or JWT_ENOMEM. */
int jwt_keyring_add_pem(jwt_keyring_t *ring, const char *kid, jwt_alg_t alg,
                        const char *pem, size_t len);

/* Adds a key given as one JWK (JSON text): "oct" (HS256), "RSA" (RS256)
 * or "EC" with crv P-256 (ES256), private or public. kid NULL takes the
 * JWK's own "kid". If the JWK names an "alg" it must match. Same returns
 * as above. */
int jwt_keyring_add_jwk(jwt_keyring_t *ring, const char *kid, const char *jwk_json);

/* Removes a key. Removing the active key leaves the ring without one
 * (jwt_sign then fails) until jwt_keyring_set_active. 0 or JWT_ENOKEY. */
int jwt_keyring_remove(jwt_keyring_t *ring, const char *kid);

/* Makes kid the signing key. 0, JWT_ENOKEY, or JWT_ENO_SIGNING_KEY if it
 * has no private part. */
int jwt_keyring_set_active(jwt_keyring_t *ring, const char *kid);

/* Seconds of clock skew accepted on exp, nbf and iat (0-600). */
int jwt_keyring_set_leeway(jwt_keyring_t *ring, int seconds);

/* Number of keys. */
size_t jwt_keyring_count(jwt_keyring_t *ring);

/* The public halves of the RS256/ES256 keys as a JWKS JSON document (HS256
 * secrets are never exported), for other services to verify tokens. On
 * success *out is a heap string the caller frees with free(). */
int jwt_keyring_export_jwks(jwt_keyring_t *ring, char **out);

/* ---- Signing ------------------------------------------------------ */

typedef struct {
    const char *sub;      /* user id, required */
    const char *sid;      /* session id, required */
    const char *role;     /* e.g. "traveller", "guide", "admin", required */
    int64_t iat;          /* issue time, Unix seconds */
    int64_t ttl;          /* lifetime in seconds (> 0): exp = iat + ttl */
    const char *jti;      /* token id; NULL generates 128 random bits */
    const json_t *extra;  /* optional object, copied into claim "ext" */
} jwt_sign_params_t;

/* Signs an access token with the active key. On success returns 0 and
 * *out_token, a heap string freed with free(). Errors: JWT_EINVAL (a
 * missing or over-long claim, extra not an object), JWT_ENO_SIGNING_KEY,
 * JWT_ECRYPTO, JWT_ENOMEM. */
int jwt_sign(jwt_keyring_t *ring, const jwt_sign_params_t *params, char **out_token);

/* ---- Verification ------------------------------------------------- */

typedef struct {
    char kid[JWT_KID_MAX + 1];   /* key that verified the token */
    char sub[JWT_CLAIM_MAX + 1];
    char sid[JWT_CLAIM_MAX + 1];
    char role[JWT_CLAIM_MAX + 1];
    char jti[JWT_CLAIM_MAX + 1];
    int64_t iat, exp;
    int64_t nbf;                 /* 0 when absent */
    json_t *extra;               /* owned "ext" object, or NULL */
} jwt_claims_t;

/* Verifies token[0..len) at time now (Unix seconds). On success returns 0
 * and fills *out (release with jwt_claims_clear). On failure *out is
 * zeroed and the result is, in the order checked: JWT_EMALFORMED
 * (structure or header), JWT_EALG_NONE, JWT_EUNKNOWN_KID, JWT_EWRONG_ALG,
 * JWT_EBAD_SIGNATURE, then, for a genuine signature only, JWT_EMALFORMED
 * (claims missing or mistyped), JWT_EEXPIRED, JWT_ENOT_YET_VALID; or
 * JWT_EINVAL / JWT_ENOMEM. Runs in a few microseconds for HS256. */
int jwt_verify(jwt_keyring_t *ring, const char *token, size_t len, int64_t now,
               jwt_claims_t *out);

/* Releases out->extra and zeroes the struct. NULL is allowed. */
void jwt_claims_clear(jwt_claims_t *claims);

/* "HS256", "RS256", "ES256" or NULL. */
const char *jwt_alg_name(jwt_alg_t alg);

/* Short English description of a JWT_E* code (static string). */
const char *jwt_strerror(int code);

#endif

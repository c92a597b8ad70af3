/*
 * access.h - the process's access-token keys and the two calls everyone
 * needs: issue a token and verify one.
 *
 * Keys: the signing secret comes from config (TRAVLOC_JWT_SECRET with
 * TRAVLOC_JWT_KID) or, when none is configured, from the database
 * (server_state 'jwt_secret', created on first start, so every node of a
 * cluster and every restart share it). TRAVLOC_JWT_OLD_KEYS lists
 * "kid:secret" pairs still accepted for verification, so keys rotate
 * without logging anyone out. The keyring is built once at start-up
 * (auth_keys_init) and read-only afterwards; it is thread-safe.
 */
#ifndef TRAVLOC_AUTH_ACCESS_H
#define TRAVLOC_AUTH_ACCESS_H

#include "auth/jwt.h"
#include "core/config.h"
#include "store/store.h"

/* Loads keys; db is a blocking store handle (start-up). -1 with err. */
int auth_keys_init(const config_t *cfg, store_conn_t *db, char *err, size_t errlen);
void auth_keys_free(void);
jwt_keyring_t *auth_keyring(void);

/* Issues an access token for (user, session, role) with the configured
 * lifetime. *token is malloc'd; caller frees. Returns 0 or a JWT_E code. */
int auth_access_issue(const char *user_id, const char *session_id, const char *role,
                      char **token);
/* Verifies a bearer token (signature, expiry, algorithm, kid); verdicts
 * are cached per thread until the token's exp (access.c). The caller
 * still checks that the session is alive. Returns 0 or a JWT_E code;
 * claims must be cleared with jwt_claims_clear on success. */
int auth_access_verify(const char *token, jwt_claims_t *claims);

#endif

/*
 * social.h - social-login providers (Google, Apple, Firebase Auth, or any
 * OpenID Connect issuer) and their signing keys.
 *
 * Providers come from the JSON file named by TRAVLOC_OIDC_PROVIDERS:
 *   { "google":   { "clientIds": ["…apps.googleusercontent.com"], "jwksUrl": "https://…" },
 *     "apple":    { "clientIds": ["com.example.app"], "jwksFile": "apple-keys.json" },
 *     "firebase": { "projectId": "my-project", "jwksUrl": "…" },
 *     "<name>":   { "issuer": "https://…", "clientIds": ["…"], "jwksFile": "…" } }
 * Each provider's JWKS is read from its file at start-up, or fetched from
 * its URL (libcurl, on the thread pool) when first needed and cached for
 * an hour. social_init() runs before any loop thread; afterwards the table
 * is read-only, and the URL cache is guarded by a mutex. social_free()
 * releases everything.
 */
#ifndef TRAVLOC_SOCIAL_H
#define TRAVLOC_SOCIAL_H

#include "auth/oidc.h"

#include <stddef.h>

/* path NULL or "" configures no provider. Returns 0 or -1 with err. */
int social_init(const char *path, char *err, size_t errlen);
void social_free(void);

/* The provider's verification settings, or NULL when it is not set up. */
const oidc_config_t *social_provider(const char *name);
/* Copies the provider's current JWKS into a heap string (caller frees),
 * fetching it if needed (call from a request coroutine). NULL when no key
 * set can be had. */
char *social_jwks(const char *name);

#endif

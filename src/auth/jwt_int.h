/*
 * jwt_int.h - private layout of the JWT key ring, shared by jwt_keys.c
 * (ring management) and jwt.c (signing and verification) only.
 *
 * Each key is heap-allocated and owned by the ring's array; removal frees
 * it under the write lock, so a key pointer found under the read lock is
 * valid until that lock is released. For HS256 the HMAC state after
 * absorbing the secret is precomputed, so a verification only copies it.
 */
#ifndef TRAVLOC_JWT_INT_H
#define TRAVLOC_JWT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <rhonabwy.h>
#include <sodium.h>

#include "auth/jwt.h"

typedef struct jwt_key {
    char kid[JWT_KID_MAX + 1];
    jwt_alg_t alg;
    bool can_sign;
    jwk_t *priv;   /* key librhonabwy signs with; NULL when verify-only */
    jwk_t *pub;    /* RS256/ES256 public key; NULL for HS256 */
    crypto_auth_hmacsha256_state hmac;  /* HS256 only: keyed state */
} jwt_key_t;

struct jwt_keyring {
    pthread_rwlock_t lock;
    jwt_key_t **keys;
    size_t count, cap;
    jwt_key_t *active;   /* signing key, or NULL */
    int leeway;          /* seconds */
};

/* Finds kid[0..len) in the ring; the caller holds the lock. */
jwt_key_t *jwt__find_key(const jwt_keyring_t *ring, const char *kid, size_t len);

#endif

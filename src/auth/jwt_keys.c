/*
 * jwt_keys.c - the JWT key ring: adding keys from secrets, PEM and JWK,
 * rotation of the active key, JWKS export (see jwt.h and jwt_int.h).
 */
#include "auth/jwt_int.h"

#include <stdlib.h>
#include <string.h>

#define JWT_SECRET_MAX 4096
#define JWT_PEM_MAX 65536

/* ------------------------------------------------------------------ */
/* Ring lifetime                                                      */
/* ------------------------------------------------------------------ */

int jwt_keyring_new(jwt_keyring_t **out)
{
    if (out == NULL)
        return JWT_EINVAL;
    *out = NULL;
    jwt_keyring_t *ring = calloc(1, sizeof *ring);
    if (ring == NULL)
        return JWT_ENOMEM;
    /* Prefer writers so that a key rotation is not starved by a steady
     * stream of verifications; no code path takes the read lock twice. */
    pthread_rwlockattr_t attr;
    int rc = pthread_rwlockattr_init(&attr);
    if (rc == 0)
        rc = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (rc == 0)
        rc = pthread_rwlock_init(&ring->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) {
        free(ring);
        return JWT_ENOMEM;
    }
    ring->leeway = JWT_DEFAULT_LEEWAY;
    *out = ring;
    return JWT_OK;
}

static void jwt_key_free(jwt_key_t *key)
{
    if (key == NULL)
        return;
    r_jwk_free(key->priv);
    r_jwk_free(key->pub);
    sodium_memzero(key, sizeof *key);
    free(key);
}

void jwt_keyring_free(jwt_keyring_t *ring)
{
    if (ring == NULL)
        return;
    for (size_t i = 0; i < ring->count; i++)
        jwt_key_free(ring->keys[i]);
    free(ring->keys);
    pthread_rwlock_destroy(&ring->lock);
    free(ring);
}

jwt_key_t *jwt__find_key(const jwt_keyring_t *ring, const char *kid, size_t len)
{
    if (len > JWT_KID_MAX)
        return NULL;
    for (size_t i = 0; i < ring->count; i++) {
        const char *k = ring->keys[i]->kid;
        if (strlen(k) == len && memcmp(k, kid, len) == 0)
            return ring->keys[i];
    }
    return NULL;
}

/* kid: 1-64 printable ASCII characters (it goes into headers and logs). */
static bool jwt_kid_ok(const char *kid)
{
    if (kid == NULL)
        return false;
    size_t n = strnlen(kid, JWT_KID_MAX + 1);
    if (n == 0 || n > JWT_KID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (kid[i] < 0x21 || kid[i] > 0x7E)
            return false;
    return true;
}

/* Takes ownership of key: inserts it or frees it. */
static int jwt_ring_insert(jwt_keyring_t *ring, jwt_key_t *key)
{
    int rc = JWT_OK;
    pthread_rwlock_wrlock(&ring->lock);
    if (jwt__find_key(ring, key->kid, strlen(key->kid)) != NULL) {
        rc = JWT_EEXISTS;
    } else if (ring->count == ring->cap) {
        size_t cap = ring->cap ? ring->cap * 2 : 4;
        jwt_key_t **keys = realloc(ring->keys, cap * sizeof *keys);
        if (keys == NULL) {
            rc = JWT_ENOMEM;
        } else {
            ring->keys = keys;
            ring->cap = cap;
        }
    }
    if (rc == JWT_OK) {
        ring->keys[ring->count++] = key;
        if (ring->active == NULL && key->can_sign)
            ring->active = key;
    }
    pthread_rwlock_unlock(&ring->lock);
    if (rc != JWT_OK)
        jwt_key_free(key);
    return rc;
}

/* Marks a JWK with our kid and alg so librhonabwy writes them. */
static int jwt_jwk_label(jwk_t *jwk, const char *kid, jwt_alg_t alg)
{
    if (jwk == NULL)
        return JWT_OK;
    if (r_jwk_set_property_str(jwk, "kid", kid) != RHN_OK ||
        r_jwk_set_property_str(jwk, "alg", jwt_alg_name(alg)) != RHN_OK)
        return JWT_ENOMEM;
    return JWT_OK;
}

/* ------------------------------------------------------------------ */
/* Adding keys                                                        */
/* ------------------------------------------------------------------ */

int jwt_keyring_add_hs256(jwt_keyring_t *ring, const char *kid,
                          const char *secret, size_t secret_len)
{
    if (ring == NULL || !jwt_kid_ok(kid) || secret == NULL)
        return JWT_EINVAL;
    if (secret_len < JWT_HS256_MIN_SECRET || secret_len > JWT_SECRET_MAX)
        return JWT_EKEY;
    if (sodium_init() < 0)
        return JWT_ECRYPTO;
    jwt_key_t *key = calloc(1, sizeof *key);
    if (key == NULL)
        return JWT_ENOMEM;
    strcpy(key->kid, kid);
    key->alg = JWT_ALG_HS256;
    key->can_sign = true;
    crypto_auth_hmacsha256_init(&key->hmac, (const unsigned char *)secret, secret_len);
    if (r_jwk_init(&key->priv) != RHN_OK ||
        r_jwk_import_from_symmetric_key(key->priv, (const unsigned char *)secret,
                                        secret_len) != RHN_OK ||
        jwt_jwk_label(key->priv, kid, JWT_ALG_HS256) != JWT_OK) {
        jwt_key_free(key);
        return JWT_ENOMEM;
    }
    return jwt_ring_insert(ring, key);
}

/* Checks that jwk suits alg: RSA >= 2048 bits, or EC on P-256. */
static int jwt_check_asym(jwk_t *jwk, jwt_alg_t alg, bool *is_private)
{
    unsigned int bits = 0;
    int type = r_jwk_key_type(jwk, &bits, R_FLAG_IGNORE_REMOTE);
    if (alg == JWT_ALG_RS256) {
        if (!(type & R_KEY_TYPE_RSA) || bits < 2048)
            return JWT_EKEY;
    } else if (alg == JWT_ALG_ES256) {
        const char *crv = r_jwk_get_property_str(jwk, "crv");
        if (!(type & R_KEY_TYPE_EC) || crv == NULL || strcmp(crv, "P-256") != 0)
            return JWT_EKEY;
    } else {
        return JWT_EKEY;
    }
    *is_private = (type & R_KEY_TYPE_PRIVATE) != 0;
    return JWT_OK;
}

/* Builds a ring key from an imported RS/ES JWK; takes ownership of jwk. */
static int jwt_add_asym(jwt_keyring_t *ring, const char *kid, jwt_alg_t alg, jwk_t *jwk)
{
    bool is_private = false;
    int rc = jwt_check_asym(jwk, alg, &is_private);
    jwt_key_t *key = rc == JWT_OK ? calloc(1, sizeof *key) : NULL;
    if (key == NULL) {
        r_jwk_free(jwk);
        return rc == JWT_OK ? JWT_ENOMEM : rc;
    }
    strcpy(key->kid, kid);
    key->alg = alg;
    if (is_private) {
        key->priv = jwk;
        key->can_sign = true;
        if (r_jwk_init(&key->pub) != RHN_OK ||
            r_jwk_extract_pubkey(key->priv, key->pub, R_FLAG_IGNORE_REMOTE) != RHN_OK)
            rc = JWT_EKEY;
    } else {
        key->pub = jwk;
    }
    if (rc == JWT_OK)
        rc = jwt_jwk_label(key->priv, kid, alg);
    if (rc == JWT_OK)
        rc = jwt_jwk_label(key->pub, kid, alg);
    if (rc != JWT_OK) {
        jwt_key_free(key);
        return rc;
    }
    return jwt_ring_insert(ring, key);
}

int jwt_keyring_add_pem(jwt_keyring_t *ring, const char *kid, jwt_alg_t alg,
                        const char *pem, size_t len)
{
    if (ring == NULL || !jwt_kid_ok(kid) || pem == NULL || len == 0 || len > JWT_PEM_MAX ||
        (alg != JWT_ALG_RS256 && alg != JWT_ALG_ES256))
        return JWT_EINVAL;
    jwk_t *jwk = NULL;
    if (r_jwk_init(&jwk) != RHN_OK)
        return JWT_ENOMEM;
    const unsigned char *data = (const unsigned char *)pem;
    if (r_jwk_import_from_pem_der(jwk, R_X509_TYPE_PRIVKEY, R_FORMAT_PEM, data, len) != RHN_OK) {
        r_jwk_free(jwk);
        if (r_jwk_init(&jwk) != RHN_OK)
            return JWT_ENOMEM;
        if (r_jwk_import_from_pem_der(jwk, R_X509_TYPE_PUBKEY, R_FORMAT_PEM, data, len) != RHN_OK) {
            r_jwk_free(jwk);
            return JWT_EKEY;
        }
    }
    return jwt_add_asym(ring, kid, alg, jwk);
}

/* The HS256 branch of jwt_keyring_add_jwk: pull the secret out. */
static int jwt_add_oct_jwk(jwt_keyring_t *ring, const char *kid, jwk_t *jwk)
{
    unsigned char secret[JWT_SECRET_MAX];
    size_t len = sizeof secret;
    int rc = r_jwk_export_to_symmetric_key(jwk, secret, &len) == RHN_OK
                 ? jwt_keyring_add_hs256(ring, kid, (const char *)secret, len)
                 : JWT_EKEY;
    sodium_memzero(secret, sizeof secret);
    return rc;
}

int jwt_keyring_add_jwk(jwt_keyring_t *ring, const char *kid, const char *jwk_json)
{
    if (ring == NULL || jwk_json == NULL || strnlen(jwk_json, JWT_PEM_MAX + 1) > JWT_PEM_MAX)
        return JWT_EINVAL;
    jwk_t *jwk = NULL;
    if (r_jwk_init(&jwk) != RHN_OK)
        return JWT_ENOMEM;
    if (r_jwk_import_from_json_str(jwk, jwk_json) != RHN_OK) {
        r_jwk_free(jwk);
        return JWT_EKEY;
    }
    char kid_buf[JWT_KID_MAX + 1];
    const char *own_kid = r_jwk_get_property_str(jwk, "kid");
    const char *use_kid = kid != NULL ? kid : own_kid;
    if (!jwt_kid_ok(use_kid)) {
        r_jwk_free(jwk);
        return JWT_EINVAL;
    }
    strcpy(kid_buf, use_kid);  /* own_kid dies with jwk */
    int type = r_jwk_key_type(jwk, NULL, R_FLAG_IGNORE_REMOTE);
    jwt_alg_t alg = (type & R_KEY_TYPE_HMAC) ? JWT_ALG_HS256
                    : (type & R_KEY_TYPE_RSA) ? JWT_ALG_RS256
                    : (type & R_KEY_TYPE_EC) ? JWT_ALG_ES256 : (jwt_alg_t)0;
    const char *named = r_jwk_get_property_str(jwk, "alg");
    if (alg == 0 || (named != NULL && strcmp(named, jwt_alg_name(alg)) != 0)) {
        r_jwk_free(jwk);
        return JWT_EKEY;
    }
    if (alg == JWT_ALG_HS256) {
        int rc = jwt_add_oct_jwk(ring, kid_buf, jwk);
        r_jwk_free(jwk);
        return rc;
    }
    return jwt_add_asym(ring, kid_buf, alg, jwk);
}

/* ------------------------------------------------------------------ */
/* Rotation and settings                                              */
/* ------------------------------------------------------------------ */

int jwt_keyring_remove(jwt_keyring_t *ring, const char *kid)
{
    if (ring == NULL || kid == NULL)
        return JWT_EINVAL;
    int rc = JWT_ENOKEY;
    pthread_rwlock_wrlock(&ring->lock);
    jwt_key_t *key = jwt__find_key(ring, kid, strnlen(kid, JWT_KID_MAX + 1));
    for (size_t i = 0; key != NULL && i < ring->count; i++) {
        if (ring->keys[i] != key)
            continue;
        ring->keys[i] = ring->keys[--ring->count];
        if (ring->active == key)
            ring->active = NULL;
        jwt_key_free(key);
        rc = JWT_OK;
        break;
    }
    pthread_rwlock_unlock(&ring->lock);
    return rc;
}

int jwt_keyring_set_active(jwt_keyring_t *ring, const char *kid)
{
    if (ring == NULL || kid == NULL)
        return JWT_EINVAL;
    pthread_rwlock_wrlock(&ring->lock);
    jwt_key_t *key = jwt__find_key(ring, kid, strnlen(kid, JWT_KID_MAX + 1));
    int rc = key == NULL ? JWT_ENOKEY : !key->can_sign ? JWT_ENO_SIGNING_KEY : JWT_OK;
    if (rc == JWT_OK)
        ring->active = key;
    pthread_rwlock_unlock(&ring->lock);
    return rc;
}

int jwt_keyring_set_leeway(jwt_keyring_t *ring, int seconds)
{
    if (ring == NULL || seconds < 0 || seconds > 600)
        return JWT_EINVAL;
    pthread_rwlock_wrlock(&ring->lock);
    ring->leeway = seconds;
    pthread_rwlock_unlock(&ring->lock);
    return JWT_OK;
}

size_t jwt_keyring_count(jwt_keyring_t *ring)
{
    if (ring == NULL)
        return 0;
    pthread_rwlock_rdlock(&ring->lock);
    size_t n = ring->count;
    pthread_rwlock_unlock(&ring->lock);
    return n;
}

int jwt_keyring_export_jwks(jwt_keyring_t *ring, char **out)
{
    if (ring == NULL || out == NULL)
        return JWT_EINVAL;
    *out = NULL;
    jwks_t *jwks = NULL;
    if (r_jwks_init(&jwks) != RHN_OK)
        return JWT_ENOMEM;
    int rc = JWT_OK;
    pthread_rwlock_rdlock(&ring->lock);
    for (size_t i = 0; i < ring->count && rc == JWT_OK; i++) {
        if (ring->keys[i]->pub == NULL)
            continue;  /* HS256: secret, never exported */
        jwk_t *copy = r_jwk_copy(ring->keys[i]->pub);
        if (copy == NULL || r_jwks_append_jwk(jwks, copy) != RHN_OK)
            rc = JWT_ENOMEM;
        r_jwk_free(copy);  /* the set holds its own reference */
    }
    pthread_rwlock_unlock(&ring->lock);
    char *text = rc == JWT_OK ? r_jwks_export_to_json_str(jwks, 0) : NULL;
    if (rc == JWT_OK && text == NULL)
        rc = JWT_ENOMEM;
    if (text != NULL) {
        *out = strdup(text);
        if (*out == NULL)
            rc = JWT_ENOMEM;
        r_free(text);
    }
    r_jwks_free(jwks);
    return rc;
}

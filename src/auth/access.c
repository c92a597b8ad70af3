/*
 * access.c - the process's access-token key ring, issuing and verifying
 * access tokens.
 *
 * Verification is cached per thread (each loop sees the same tokens again
 * and again): a verified token's claims are kept under the BLAKE2b hash of
 * its bytes until the token's exp (never longer: jwt_verify itself allows
 * a leeway beyond exp), so a repeat costs one hash instead of base64,
 * HMAC and two JSON parses. Only the signature/expiry verdict is cached;
 * the caller still checks the session on every request, so revocation is
 * unaffected. A ring change (init/free) bumps a generation that empties
 * every cache. Tokens with an "ext" object are not cached. The cache is
 * one heap table per thread, freed at thread exit (pthread key).
 */
#include "auth/access.h"

#include "core/clock.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jwt_keyring_t *g_ring;
static int g_ttl = 900;

#define VCACHE_SLOTS 512

typedef struct {
    unsigned char key[crypto_generichash_BYTES]; /* hash of the token */
    uint64_t gen;                                /* 0: empty */
    jwt_claims_t claims;                         /* extra is NULL */
} vcache_entry_t;

static _Atomic uint64_t g_ring_gen = 1;
static pthread_key_t g_vcache_key;
static pthread_once_t g_vcache_once = PTHREAD_ONCE_INIT;

static void vcache_key_init(void) { pthread_key_create(&g_vcache_key, free); }

static vcache_entry_t *vcache_slot(const unsigned char key[crypto_generichash_BYTES])
{
    pthread_once(&g_vcache_once, vcache_key_init);
    vcache_entry_t *t = pthread_getspecific(g_vcache_key);
    if (!t) {
        t = calloc(VCACHE_SLOTS, sizeof *t);
        if (!t || pthread_setspecific(g_vcache_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    uint32_t h;
    memcpy(&h, key, sizeof h);
    return &t[h % VCACHE_SLOTS];
}

static int secret_from_db(store_conn_t *db, char *out, size_t outlen, char *err, size_t errlen)
{
    apierr_t e = {0};
    unsigned char raw[32];
    char hex[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    store_arg_t args[] = {ARG_TEXT(hex), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_exec(db,
                   "INSERT INTO server_state (key, value, updated_at) VALUES ('jwt_secret', $1, $2) "
                   "ON CONFLICT (key) DO NOTHING",
                   args, 2, &e) < 0 ||
        store_query(db, "SELECT value FROM server_state WHERE key = 'jwt_secret'", NULL, 0, &r,
                    &e) < 0 ||
        r->nrows != 1) {
        snprintf(err, errlen, "cannot load the token signing key: %s", e.message);
        apierr_clear(&e);
        store_res_free(r);
        return -1;
    }
    snprintf(out, outlen, "%s", store_val(r, 0, 0));
    store_res_free(r);
    return 0;
}

static int add_old_keys(const char *list, char *err, size_t errlen)
{
    char *copy = strdup(list), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon) {
            snprintf(err, errlen, "TRAVLOC_JWT_OLD_KEYS entries are kid:secret");
            rc = -1;
            break;
        }
        *colon = '\0';
        if (jwt_keyring_add_hs256(g_ring, tok, colon + 1,
                                  strlen(colon + 1)) != 0) {
            snprintf(err, errlen, "old key '%s' is not usable (secret of at least 32 bytes)", tok);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

int auth_keys_init(const config_t *cfg, store_conn_t *db, char *err, size_t errlen)
{
    char secret[256];
    const char *kid = cfg->jwt_kid && *cfg->jwt_kid ? cfg->jwt_kid : "k1";
    if (cfg->jwt_secret && *cfg->jwt_secret)
        snprintf(secret, sizeof secret, "%s", cfg->jwt_secret);
    else if (secret_from_db(db, secret, sizeof secret, err, errlen) < 0)
        return -1;
    if (jwt_keyring_new(&g_ring) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (jwt_keyring_add_hs256(g_ring, kid, secret, strlen(secret)) != 0 ||
        jwt_keyring_set_active(g_ring, kid) != 0) {
        snprintf(err, errlen, "TRAVLOC_JWT_SECRET must be at least 32 bytes");
        return -1;
    }
    sodium_memzero(secret, sizeof secret);
    if (cfg->jwt_old_keys && *cfg->jwt_old_keys && add_old_keys(cfg->jwt_old_keys, err, errlen) < 0)
        return -1;
    g_ttl = cfg->access_ttl_s > 0 ? cfg->access_ttl_s : 900;
    atomic_fetch_add(&g_ring_gen, 1);
    return 0;
}

void auth_keys_free(void)
{
    atomic_fetch_add(&g_ring_gen, 1);
    jwt_keyring_free(g_ring);
    g_ring = NULL;
}

jwt_keyring_t *auth_keyring(void) { return g_ring; }

int auth_access_issue(const char *user_id, const char *session_id, const char *role, char **token)
{
    jwt_sign_params_t p = {
        .sub = user_id, .sid = session_id, .role = role,
        .iat = clock_now_ms() / 1000, .ttl = g_ttl,
    };
    return jwt_sign(g_ring, &p, token);
}

int auth_access_verify(const char *token, jwt_claims_t *claims)
{
    if (!token)
        return JWT_EMALFORMED;
    size_t len = strlen(token);
    int64_t now = clock_now_ms() / 1000;
    if (len > JWT_TOKEN_MAX)
        return jwt_verify(g_ring, token, len, now, claims);
    unsigned char key[crypto_generichash_BYTES];
    crypto_generichash(key, sizeof key, (const unsigned char *)token, len, NULL, 0);
    vcache_entry_t *e = vcache_slot(key);
    uint64_t gen = atomic_load_explicit(&g_ring_gen, memory_order_relaxed);
    if (e && e->gen == gen && now < e->claims.exp && sodium_memcmp(e->key, key, sizeof key) == 0) {
        *claims = e->claims;
        return 0;
    }
    int rc = jwt_verify(g_ring, token, len, now, claims);
    if (rc == 0 && e && !claims->extra && now < claims->exp) {
        memcpy(e->key, key, sizeof key);
        e->claims = *claims;
        e->gen = gen;
    }
    return rc;
}

#include "auth/access.h"

#include "core/clock.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jwt_keyring_t *g_ring;
static int g_ttl = 900;

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
    return 0;
}

void auth_keys_free(void)
{
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
    return jwt_verify(g_ring, token, strlen(token), clock_now_ms() / 1000, claims);
}

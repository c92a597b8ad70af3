/*
 * social.c - social-login provider table and JWKS cache (see social.h).
 */
#include "accounts/social.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROVIDERS 8
#define JWKS_TTL_MS (3600 * 1000)

typedef struct {
    char name[32];
    oidc_config_t cfg;
    char *url;          /* NULL when the keys come from a file */
    char *jwks;         /* current key set (guarded by mu) */
    int64_t fetched_ms;
} provider_t;

static provider_t P[MAX_PROVIDERS];
static int NP;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static char *read_text(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf_t b = BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
        buf_append(&b, chunk, n);
    fclose(f);
    if (b.len > max || !b.data) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

static int configure(provider_t *p, const char *name, json_t *o, char *err, size_t errlen)
{
    json_t *ids = json_object_get(o, "clientIds");
    const char *first = json_string_value(json_array_get(ids, 0));
    const char *project = json_string_value(json_object_get(o, "projectId"));
    const char *issuer = json_string_value(json_object_get(o, "issuer"));
    int rc = strcmp(name, "google") == 0   ? oidc_config_google(&p->cfg, first)
             : strcmp(name, "apple") == 0  ? oidc_config_apple(&p->cfg, first)
             : strcmp(name, "firebase") == 0 ? oidc_config_firebase(&p->cfg, project)
                                             : oidc_config_generic(&p->cfg, issuer, first);
    for (size_t i = 1; rc == 0 && i < json_array_size(ids); i++)
        rc = oidc_config_add_audience(&p->cfg, json_string_value(json_array_get(ids, i)));
    if (rc != 0) {
        snprintf(err, errlen, "OIDC provider '%s': needs clientIds (or projectId for firebase, "
                              "issuer for others)", name);
        return -1;
    }
    const char *file = json_string_value(json_object_get(o, "jwksFile"));
    const char *url = json_string_value(json_object_get(o, "jwksUrl"));
    if (file) {
        if (!(p->jwks = read_text(file, OIDC_JWKS_MAX))) {
            snprintf(err, errlen, "OIDC provider '%s': cannot read %s", name, file);
            return -1;
        }
    } else if (url) {
        p->url = strdup(url);
    } else {
        snprintf(err, errlen, "OIDC provider '%s': needs jwksFile or jwksUrl", name);
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    return 0;
}

int social_init(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return 0;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "TRAVLOC_OIDC_PROVIDERS: %s: %s", path, root ? "not an object" : je.text);
        json_decref(root);
        return -1;
    }
    const char *name;
    json_t *o;
    int rc = 0;
    json_object_foreach(root, name, o) {
        if (NP == MAX_PROVIDERS || strlen(name) >= sizeof P[0].name || !json_is_object(o)) {
            snprintf(err, errlen, "TRAVLOC_OIDC_PROVIDERS: bad or too many providers");
            rc = -1;
            break;
        }
        if ((rc = configure(&P[NP], name, o, err, errlen)) < 0)
            break;
        NP++;
    }
    json_decref(root);
    return rc;
}

void social_free(void)
{
    for (int i = 0; i < NP; i++) {
        free(P[i].url);
        free(P[i].jwks);
    }
    memset(P, 0, sizeof P);
    NP = 0;
}

static provider_t *find(const char *name)
{
    for (int i = 0; i < NP; i++)
        if (strcmp(P[i].name, name) == 0)
            return &P[i];
    return NULL;
}

const oidc_config_t *social_provider(const char *name)
{
    provider_t *p = find(name);
    return p ? &p->cfg : NULL;
}

typedef struct {
    const char *url;
    buf_t body;
    int ok;
} fetch_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    fetch_t *f = arg;
    if (f->body.len + size * n > OIDC_JWKS_MAX)
        return 0;
    return buf_append(&f->body, ptr, size * n) == 0 ? size * n : 0;
}

static void fetch_job(void *arg)
{
    fetch_t *f = arg;
    CURL *c = curl_easy_init();
    if (!c)
        return;
    long code = 0;
    curl_easy_setopt(c, CURLOPT_URL, f->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    if (curl_easy_perform(c) == CURLE_OK &&
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
        f->ok = 1;
    curl_easy_cleanup(c);
}

char *social_jwks(const char *name)
{
    provider_t *p = find(name);
    if (!p)
        return NULL;
    pthread_mutex_lock(&mu);
    bool fresh = p->jwks && (!p->url || clock_now_ms() - p->fetched_ms < JWKS_TTL_MS);
    char *copy = p->jwks ? strdup(p->jwks) : NULL;
    pthread_mutex_unlock(&mu);
    if (fresh)
        return copy;
    fetch_t f = {.url = p->url, .body = BUF_INIT};
    if (loop_run_blocking(fetch_job, &f) < 0 || !f.ok || !f.body.data) {
        buf_free(&f.body);
        log_warn("cannot fetch the provider's JWKS; using the cached one", "\"provider\":\"%s\"",
                 p->name);
        return copy;
    }
    free(copy);
    char *fetched = buf_steal(&f.body);
    pthread_mutex_lock(&mu);
    free(p->jwks);
    p->jwks = strdup(fetched);
    p->fetched_ms = clock_now_ms();
    pthread_mutex_unlock(&mu);
    return fetched;
}

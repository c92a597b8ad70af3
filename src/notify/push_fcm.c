/*
 * push_fcm.c - Firebase Cloud Messaging HTTP v1 and APNs.
 *
 * FCM: the service-account JSON (--fcm-credentials) gives client_email,
 * private_key (RSA PEM), token_uri and project_id. An RS256 assertion is
 * exchanged at the token URL (--fcm-token-url overrides token_uri) for an
 * OAuth2 access token, cached process-wide until a minute before it
 * expires (a 401 drops it). Messages go to --fcm-url (default
 * https://fcm.googleapis.com/v1/projects/<project_id>/messages:send).
 *
 * APNs: an ES256 provider token (kid --apns-key-id, iss --apns-team-id,
 * signed with the .p8 key --apns-key), cached for 30 minutes, sent over
 * HTTP/2 to <--apns-url>/3/device/<token> with apns-topic --apns-topic.
 *
 * Both caches sit behind one mutex; strings handed out are copies.
 */
#include "notify/notify_int.h"

#include "core/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static char *fcm_token, *apns_jwt;
static int64_t fcm_expires, apns_expires;

static void free_caches(void)
{
    free(fcm_token);
    free(apns_jwt);
    fcm_token = apns_jwt = NULL;
}

/* A copy of the cached value if still valid, else NULL. */
static char *cache_get(char **slot, int64_t *expires)
{
    pthread_mutex_lock(&cache_mu);
    char *v = *slot && clock_now_ms() < *expires ? strdup(*slot) : NULL;
    pthread_mutex_unlock(&cache_mu);
    return v;
}

static void cache_put(char **slot, int64_t *expires, const char *v, int64_t until)
{
    static bool registered;
    pthread_mutex_lock(&cache_mu);
    if (!registered) {
        atexit(free_caches);
        registered = true;
    }
    free(*slot);
    *slot = v ? strdup(v) : NULL;
    *expires = until;
    pthread_mutex_unlock(&cache_mu);
}

static void fail(push_result_t *out, const char *why)
{
    out->outcome = PUSH_FAILED;
    out->status = 0;
    snprintf(out->reason, sizeof out->reason, "%s", why);
}

/* ---- FCM --------------------------------------------------------------------------- */

static char *fcm_access_token(json_t *sa, push_result_t *out)
{
    char *cached = cache_get(&fcm_token, &fcm_expires);
    if (cached)
        return cached;
    const config_t *cfg = notify__config();
    const char *email = json_string_value(json_object_get(sa, "client_email"));
    const char *key = json_string_value(json_object_get(sa, "private_key"));
    const char *uri = cfg->fcm_token_url && *cfg->fcm_token_url
                          ? cfg->fcm_token_url
                          : json_string_value(json_object_get(sa, "token_uri"));
    if (!email || !key || !uri) {
        fail(out, "FCM credentials lack client_email, private_key or token_uri");
        return NULL;
    }
    int64_t now = clock_now_ms() / 1000;
    json_t *h = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", email, "scope",
                          "https://www.googleapis.com/auth/firebase.messaging", "aud", uri, "iat",
                          (json_int_t)now, "exp", (json_int_t)(now + 3600));
    char *jwt = notify__jws("RS256", h, c, key);
    json_decref(h);
    json_decref(c);
    if (!jwt) {
        fail(out, "cannot sign with the FCM private key");
        return NULL;
    }
    buf_t form = BUF_INIT;
    buf_printf(&form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                      "&assertion=%s", jwt);
    free(jwt);
    const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    push_http_t req = {.method = "POST", .url = uri, .headers = hdr, .body = form.data,
                       .body_len = form.len};
    push_http(&req);
    buf_free(&form);
    char *tok = NULL;
    if (req.status == 200) {
        json_t *j = json_loadb(req.response.data ? req.response.data : "", req.response.len, 0,
                               NULL);
        const char *t = json_string_value(json_object_get(j, "access_token"));
        json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
        if (t && *t) {
            tok = strdup(t);
            int64_t until = clock_now_ms() + (ttl > 120 ? ttl - 60 : 60) * 1000;
            cache_put(&fcm_token, &fcm_expires, t, until);
        }
        json_decref(j);
    }
    if (!tok) {
        push_classify(req.status ? (req.status == 200 ? 502 : req.status) : 0, req.error, out);
        if (out->outcome == PUSH_GONE || out->outcome == PUSH_SENT)
            out->outcome = PUSH_RETRY;
        char why[160];
        snprintf(why, sizeof why, "FCM token exchange: %.130s", out->reason);
        snprintf(out->reason, sizeof out->reason, "%s", why);
    }
    buf_free(&req.response);
    return tok;
}

static json_t *string_map(json_t *data, const char *nid)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v) {
        if (json_is_string(v))
            json_object_set(m, k, v);
        else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            json_object_set_new(m, k, json_string(s ? s : ""));
            free(s);
        }
    }
    json_object_set_new(m, "notificationId", json_string(nid));
    return m;
}

void push_fcm(const push_device_t *d, const push_msg_t *m, push_result_t *out)
{
    const config_t *cfg = notify__config();
    char *text = notify__read_file(cfg->fcm_credentials);
    json_t *sa = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!sa) {
        fail(out, "FCM is not configured (credentials)");
        return;
    }
    char url[1024];
    const char *project = json_string_value(json_object_get(sa, "project_id"));
    if (cfg->fcm_url && *cfg->fcm_url)
        snprintf(url, sizeof url, "%s", cfg->fcm_url);
    else
        snprintf(url, sizeof url, "https://fcm.googleapis.com/v1/projects/%s/messages:send",
                 project ? project : "-");
    char *tok = fcm_access_token(sa, out);
    json_decref(sa);
    if (!tok)
        return;
    json_t *msg = json_pack(
        "{s:{s:s, s:{s:s, s:s}, s:o, s:{s:s, s:s}, s:{s:{s:s}}}}", "message", "token", d->token,
        "notification", "title", m->title, "body", m->body, "data",
        string_map(m->data, m->notification_id), "android", "collapse_key", m->delivery_id,
        "priority", strcmp(m->category, "safety") == 0 ? "HIGH" : "NORMAL", "apns", "headers",
        "apns-collapse-id", m->delivery_id);
    char *body = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    buf_t auth = BUF_INIT;
    buf_printf(&auth, "Authorization: Bearer %s", tok);
    free(tok);
    const char *hdr[] = {auth.data, "Content-Type: application/json; charset=UTF-8", NULL};
    push_http_t h = {.method = "POST", .url = url, .headers = hdr, .body = body,
                     .body_len = body ? strlen(body) : 0};
    push_http(&h);
    push_classify(h.status, h.error, out);
    if (h.status == 401) { /* the token was revoked or expired early */
        cache_put(&fcm_token, &fcm_expires, NULL, 0);
        out->outcome = PUSH_RETRY;
    }
    if (h.status == 400 && h.response.data && strstr(h.response.data, "UNREGISTERED")) {
        out->outcome = PUSH_GONE;
        snprintf(out->reason, sizeof out->reason, "gone: UNREGISTERED");
    }
    buf_free(&h.response);
    buf_free(&auth);
    free(body);
}

/* ---- APNs -------------------------------------------------------------------------- */

static char *apns_token(push_result_t *out)
{
    char *cached = cache_get(&apns_jwt, &apns_expires);
    if (cached)
        return cached;
    const config_t *cfg = notify__config();
    char *pem = notify__read_file(cfg->apns_key);
    if (!pem || !cfg->apns_key_id || !cfg->apns_team_id) {
        free(pem);
        fail(out, "APNs is not configured (key, key id, team id)");
        return NULL;
    }
    json_t *h = json_pack("{s:s, s:s}", "alg", "ES256", "kid", cfg->apns_key_id);
    json_t *c = json_pack("{s:s, s:I}", "iss", cfg->apns_team_id, "iat",
                          (json_int_t)(clock_now_ms() / 1000));
    char *jwt = notify__jws("ES256", h, c, pem);
    json_decref(h);
    json_decref(c);
    free(pem);
    if (!jwt) {
        fail(out, "cannot sign with the APNs key");
        return NULL;
    }
    cache_put(&apns_jwt, &apns_expires, jwt, clock_now_ms() + 30 * 60 * 1000);
    return jwt;
}

void push_apns(const push_device_t *d, const push_msg_t *m, push_result_t *out)
{
    const config_t *cfg = notify__config();
    char *jwt = apns_token(out);
    if (!jwt)
        return;
    char url[1024];
    snprintf(url, sizeof url, "%s/3/device/%s",
             cfg->apns_url && *cfg->apns_url ? cfg->apns_url : "https://api.push.apple.com",
             d->token);
    json_t *msg = json_pack("{s:{s:{s:s, s:s}, s:s}, s:s, s:O}", "aps", "alert", "title",
                            m->title, "body", m->body, "sound", "default", "notificationId",
                            m->notification_id, "data", m->data ? m->data : json_null());
    char *body = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    buf_t auth = BUF_INIT, topic = BUF_INIT, id = BUF_INIT, coll = BUF_INIT;
    buf_printf(&auth, "authorization: bearer %s", jwt);
    buf_printf(&topic, "apns-topic: %s", cfg->apns_topic ? cfg->apns_topic : "");
    buf_printf(&id, "apns-id: %s", m->delivery_id);
    buf_printf(&coll, "apns-collapse-id: %s", m->delivery_id);
    bool high = strcmp(m->category, "safety") == 0 || strcmp(m->category, "marketing") != 0;
    const char *hdr[] = {auth.data, topic.data, id.data, coll.data, "apns-push-type: alert",
                         high ? "apns-priority: 10" : "apns-priority: 5",
                         "content-type: application/json", NULL};
    push_http_t h = {.method = "POST", .url = url, .headers = hdr, .body = body,
                     .body_len = body ? strlen(body) : 0, .http2 = true};
    push_http(&h);
    push_classify(h.status, h.error, out);
    const char *resp = h.response.data ? h.response.data : "";
    if (h.status == 400 && strstr(resp, "BadDeviceToken")) {
        out->outcome = PUSH_GONE;
        snprintf(out->reason, sizeof out->reason, "gone: BadDeviceToken");
    } else if (h.status == 403 && strstr(resp, "ExpiredProviderToken")) {
        cache_put(&apns_jwt, &apns_expires, NULL, 0);
        out->outcome = PUSH_RETRY;
    }
    if (out->outcome != PUSH_SENT && h.status && strstr(resp, "\"reason\"")) {
        json_t *j = json_loads(resp, 0, NULL);
        const char *why = json_string_value(json_object_get(j, "reason"));
        if (why) {
            char r2[200];
            snprintf(r2, sizeof r2, "%.80s (%.100s)", out->reason, why);
            snprintf(out->reason, sizeof out->reason, "%s", r2);
        }
        json_decref(j);
    }
    buf_free(&h.response);
    buf_free(&auth);
    buf_free(&topic);
    buf_free(&id);
    buf_free(&coll);
    free(body);
    free(jwt);
}

/*
 * notifications.c - /v1/notifications: push devices and preferences, and
 * the route table of every notifications route (the in-app list is in
 * notifications_inbox.c, the admin test send and background exports in
 * notifications_admin.c).
 *
 * Devices are unique per (provider, token); registering a token that
 * exists moves it to the caller and reactivates it (200), a new one is
 * 201. Every row is selected with "AND user_id = $me": another user's
 * device is 404. Preferences are one JSON document per user, merged
 * field by field under a row lock so concurrent PUTs never lose a switch.
 */
#include "api/api.h"
#include "api/acc_util.h"
#include "api/notifications_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "http/server.h"
#include "notify/notify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_COLS "id, platform, provider, token, active, deactivated_reason, created_at, updated_at"
#define MAX_DEVICES 50

static json_t *device_json(const store_res_t *r, int i)
{
    bool web = strcmp(store_val(r, i, 2), "webpush") == 0;
    const char *why = store_val(r, i, 5);
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "id", store_val(r, i, 0),
                     "platform", store_val(r, i, 1), "provider", store_val(r, i, 2),
                     web ? "endpoint" : "token", store_val(r, i, 3), "active",
                     store_bool(r, i, 4), "deactivatedReason", why ? json_string(why) : json_null(),
                     "createdAt", acc_time_col(r, i, 6), "updatedAt", acc_time_col(r, i, 7));
}

static bool one_of(const char *v, const char *const *set)
{
    for (int i = 0; v && set[i]; i++)
        if (strcmp(v, set[i]) == 0)
            return true;
    return false;
}

static int only_fields(json_t *o, const char *const *allowed, const char *prefix, apierr_t *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (!one_of(k, allowed))
            return acc_invalid(err, prefix ? prefix : k, "unknown field %.40s", k);
    }
    return 0;
}

typedef struct {
    const char *platform, *provider, *token, *p256dh, *auth;
    char hex[256];
} device_in_t;

static int check_token(device_in_t *d, apierr_t *err)
{
    size_t n = strlen(d->token);
    if (strcmp(d->provider, "apns") == 0) { /* hex, 32 bytes or more */
        if (n < 64 || n > 200 || n % 2)
            return acc_invalid(err, "token", "must be an APNs device token (64-200 hex digits)");
        for (size_t i = 0; i < n; i++) {
            if (!isxdigit((unsigned char)d->token[i]))
                return acc_invalid(err, "token", "must be hexadecimal");
            d->hex[i] = (char)tolower((unsigned char)d->token[i]);
        }
        d->hex[n] = '\0';
        d->token = d->hex;
        return 0;
    }
    if (n < 16 || n > 4096)
        return acc_invalid(err, "token", "must be an FCM registration token (16-4096 characters)");
    for (size_t i = 0; i < n; i++) {
        char c = d->token[i];
        if (!isalnum((unsigned char)c) && !strchr("_-:.", c))
            return acc_invalid(err, "token", "has characters an FCM token never has");
    }
    return 0;
}

static int check_subscription(json_t *s, device_in_t *d, apierr_t *err)
{
    static const char *const sub_fields[] = {"endpoint", "keys", "expirationTime", NULL};
    static const char *const key_fields[] = {"p256dh", "auth", NULL};
    if (!json_is_object(s))
        return acc_invalid(err, "subscription", "must be an object");
    if (only_fields(s, sub_fields, "subscription", err) < 0)
        return -1;
    json_t *exp = json_object_get(s, "expirationTime");
    if (exp && !json_is_null(exp) && !json_is_integer(exp))
        return acc_invalid(err, "subscription.expirationTime", "must be null or a number");
    const char *ep = NULL;
    if (acc_str(s, "endpoint", 12, 2048, true, &ep, err) < 0)
        return -1;
    if (strncmp(ep, "https://", 8) != 0 || strlen(ep) < 12 || strchr(ep, ' ') ||
        strchr(ep + 8, '/') == ep + 8)
        return acc_invalid(err, "subscription.endpoint", "must be an https:// URL");
    if (!notify_webpush_host_allowed(ep))
        return acc_invalid(err, "subscription.endpoint", "is not a push service this server sends to");
    json_t *keys = json_object_get(s, "keys");
    if (!json_is_object(keys))
        return acc_invalid(err, "subscription.keys", "must be an object with p256dh and auth");
    if (only_fields(keys, key_fields, "subscription.keys", err) < 0)
        return -1;
    const char *p = json_string_value(json_object_get(keys, "p256dh"));
    const char *a = json_string_value(json_object_get(keys, "auth"));
    uint8_t buf[80];
    if (!p || strlen(p) > 100 || notify_b64url_decode(p, buf, sizeof buf) != 65 || buf[0] != 4)
        return acc_invalid(err, "subscription.keys.p256dh", "must be an uncompressed P-256 point (base64url)");
    if (!a || strlen(a) > 30 || notify_b64url_decode(a, buf, sizeof buf) != 16)
        return acc_invalid(err, "subscription.keys.auth", "must be 16 bytes (base64url)");
    d->token = ep;
    d->p256dh = p;
    d->auth = a;
    return 0;
}

static int device_parse(json_t *b, device_in_t *d, apierr_t *err)
{
    static const char *const fields[] = {"platform", "provider", "token", "subscription", NULL};
    static const char *const platforms[] = {"android", "ios", "web", NULL};
    static const char *const providers[] = {"fcm", "apns", "webpush", NULL};
    memset(d, 0, sizeof *d);
    if (only_fields(b, fields, NULL, err) < 0 ||
        acc_str(b, "platform", 1, 16, true, &d->platform, err) < 0 ||
        acc_str(b, "provider", 1, 16, true, &d->provider, err) < 0)
        return -1;
    if (!one_of(d->platform, platforms))
        return acc_invalid(err, "platform", "must be android, ios or web");
    if (!one_of(d->provider, providers))
        return acc_invalid(err, "provider", "must be fcm, apns or webpush");
    if ((strcmp(d->provider, "apns") == 0 && strcmp(d->platform, "ios") != 0) ||
        (strcmp(d->provider, "webpush") == 0 && strcmp(d->platform, "web") != 0))
        return acc_invalid(err, "provider", "%s does not serve platform %s", d->provider,
                           d->platform);
    json_t *sub = json_object_get(b, "subscription");
    bool web = strcmp(d->provider, "webpush") == 0;
    if (web) {
        if (json_object_get(b, "token"))
            return acc_invalid(err, "token", "Web Push takes a subscription, not a token");
        if (!sub)
            return acc_invalid(err, "subscription", "is required for webpush");
        return check_subscription(sub, d, err);
    }
    if (sub)
        return acc_invalid(err, "subscription", "only webpush takes a subscription");
    if (acc_str(b, "token", 1, 4096, true, &d->token, err) < 0)
        return -1;
    return check_token(d, err);
}

static int device_store(store_conn_t *db, const char *uid, const device_in_t *d, bool *created,
                        store_res_t **out, apierr_t *err)
{
    store_arg_t c[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT count(*) FROM notification_devices WHERE user_id = $1 AND active = 1",
                    c, 1, &r, err) < 0)
        return -1;
    int64_t n = store_int(r, 0, 0);
    store_res_free(r);
    char id[UUID_STR_LEN];
    uuid_v7(id);
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid), ARG_TEXT(d->platform), ARG_TEXT(d->provider),
                       ARG_TEXT(d->token), ARG_TEXT(d->p256dh), ARG_TEXT(d->auth), ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO notification_devices (id, user_id, platform, provider, token, "
                   "p256dh, auth, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                   "$7, 1, $8, $8) ON CONFLICT (provider, token) DO UPDATE SET user_id = "
                   "excluded.user_id, platform = excluded.platform, p256dh = excluded.p256dh, "
                   "auth = excluded.auth, active = 1, deactivated_reason = NULL, updated_at = "
                   "excluded.updated_at",
                   a, 8, err) < 0)
        return -1;
    store_arg_t q[] = {ARG_TEXT(d->provider), ARG_TEXT(d->token)};
    if (store_query(db,
                    "SELECT " DEVICE_COLS " FROM notification_devices WHERE provider = $1 AND "
                    "token = $2",
                    q, 2, out, err) < 0)
        return -1;
    *created = (*out)->nrows == 1 && strcmp(store_val(*out, 0, 0), id) == 0;
    if (*created && n >= MAX_DEVICES) {
        store_res_free(*out);
        *out = NULL;
        return apierr_set(err, 409, "too_many_devices", "at most %d active devices per user",
                          MAX_DEVICES);
    }
    return 0;
}

void notifications_device_create(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    device_in_t d;
    if (device_parse(b, &d, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    bool created = false;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (device_store(db, req->user_id, &d, &created, &r, &err) < 0 ||
        store_commit(db, &err) < 0) {
        store_rollback(db);
        store_res_free(r);
        ACC_FAIL(req, &err);
    }
    http_send_json(req, created ? 201 : 200, device_json(r, 0));
    store_res_free(r);
}

void notifications_device_list(http_req_t *req)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(loop_ctx_get()->db,
                    "SELECT " DEVICE_COLS " FROM notification_devices WHERE user_id = $1 ORDER BY "
                    "id",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(items, device_json(r, i));
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

void notifications_device_delete(http_req_t *req)
{
    const char *id = http_param(req, "id");
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such device");
        return;
    }
    if (store_query(loop_ctx_get()->db,
                    "DELETE FROM notification_devices WHERE id = $1 AND user_id = $2", a, 2, &r,
                    &err) < 0)
        ACC_FAIL(req, &err);
    bool gone = r->changes == 1;
    store_res_free(r);
    if (!gone) {
        http_send_error(req, 404, "not_found", "no such device");
        return;
    }
    http_send_raw(req, 204, NULL, "", 0);
}

/* ---- preferences ------------------------------------------------------------------- */

void notifications_prefs_get(http_req_t *req)
{
    apierr_t err = {0};
    json_t *p = notify_prefs_load(loop_ctx_get()->db, req->user_id, &err);
    if (!p)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, p);
}

void notifications_prefs_put(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    json_t *p = NULL;
    char *text = NULL;
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT("{}"), ARG_INT(now)};
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    /* The row exists and is locked (PostgreSQL: row lock; SQLite: the
     * write transaction) before it is read and merged. */
    if (store_exec(db,
                   "INSERT INTO notification_prefs (user_id, prefs, updated_at) VALUES ($1, $2, "
                   "$3) ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at",
                   a, 3, &err) < 0 ||
        !(p = notify_prefs_load(db, req->user_id, &err)) || notify_prefs_merge(p, b, &err) < 0)
        goto fail;
    text = json_dumps(p, JSON_COMPACT);
    a[1] = ARG_TEXT(text);
    if (store_exec(db, "UPDATE notification_prefs SET prefs = $2, updated_at = $3 WHERE user_id = $1",
                   a, 3, &err) < 0 ||
        store_commit(db, &err) < 0)
        goto fail;
    free(text);
    http_send_json(req, 200, p);
    return;
fail:
    store_rollback(db);
    free(text);
    json_decref(p);
    ACC_FAIL(req, &err);
}

/* ---- the route table --------------------------------------------------------------- */

const route_t notifications_routes[] = {
    {.method = "GET", .pattern = "/v1/notifications", .handler = notifications_list, .summary = "In-app notifications, newest first, with the unread count"},
    {.method = "POST", .pattern = "/v1/notifications/read-all", .handler = notifications_read_all, .summary = "Mark every notification read"},
    {.method = "POST", .pattern = "/v1/notifications/:id/read", .handler = notifications_read, .summary = "Mark one notification read"},
    {.method = "POST", .pattern = "/v1/notifications/:id/opened", .handler = notifications_opened, .max_body = 1024, .summary = "Report that the user opened a notification (tapped the push)"},
    {.method = "GET", .pattern = "/v1/notifications/:id/deliveries", .handler = notifications_deliveries, .summary = "Delivery tracking of one of your notifications"},
    {.method = "POST", .pattern = "/v1/notifications/devices", .handler = notifications_device_create, .summary = "Register a push device (FCM, APNs token or Web Push subscription)"},
    {.method = "GET", .pattern = "/v1/notifications/devices", .handler = notifications_device_list, .summary = "Your push devices"},
    {.method = "DELETE", .pattern = "/v1/notifications/devices/:id", .handler = notifications_device_delete, .summary = "Remove a push device"},
    {.method = "GET", .pattern = "/v1/notifications/preferences", .handler = notifications_prefs_get, .summary = "Notification preferences and quiet hours"},
    {.method = "PUT", .pattern = "/v1/notifications/preferences", .handler = notifications_prefs_put, .summary = "Change notification preferences and quiet hours"},
    {.method = "POST", .pattern = "/v1/admin/notifications/test", .handler = notifications_admin_test, .need = ROUTE_NEED_ADMIN, .summary = "Send any template to a user or topic (administrators)"},
    {.method = "POST", .pattern = "/v1/users/me/exports", .handler = notifications_export_start, .summary = "Build your data export in the background"},
    {.method = "GET", .pattern = "/v1/users/me/exports/:id", .handler = notifications_export_get, .summary = "State and progress of a background export"},
    {.method = "GET", .pattern = "/v1/users/me/exports/:id/download", .handler = notifications_export_download, .summary = "Download a finished export"},
};
const int notifications_routes_count = (int)(sizeof notifications_routes / sizeof notifications_routes[0]);

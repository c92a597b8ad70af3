/*
 * users.c - /v1/users: the signed-in user's profile (also at /me), the
 * public view of anyone's profile, preferences and settings; and the route
 * table of every /v1/users and /v1/media handler (travel history is
 * answered by trips_list.c, which owns trips).
 *
 * Profile updates are partial (only the fields sent change), preferences
 * and settings are replaced whole after a schema check
 * (accounts/prefs.h: unknown fields are 422 naming the field). Every
 * change bumps users.version; reads send it as ETag and writes honour
 * If-Match (412 on a stale version).
 */
#include "api/api.h"
#include "api/users_int.h"
#include "api/sync_log.h"

#include "accounts/prefs.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void send_profile(http_req_t *req, int status)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    if (acc_user_load(acc_db(), req->user_id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *u = acc_user_json(r, 0);
    int64_t v = store_int(r, 0, 13);
    store_res_free(r);
    http_send_json(req, status, u);
    acc_etag(req, v);
}

void users_profile_get(http_req_t *req) { send_profile(req, 200); }

void users_public_get(http_req_t *req)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    const char *id = http_param(req, "id");
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such user");
        return;
    }
    if (acc_user_load(acc_db(), id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    bool self = strcmp(id, req->user_id) == 0;
    json_t *u = self ? acc_user_json(r, 0) : acc_user_public_json(r, 0);
    store_res_free(r);
    http_send_json(req, 200, u);
}

/* Current version, for If-Match. */
static int current_version(store_conn_t *db, const char *uid, int64_t *v, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT version FROM users WHERE id = $1", a, 1, &r, err) < 0)
        return -1;
    *v = r->nrows ? store_int(r, 0, 0) : 0;
    store_res_free(r);
    return 0;
}

static int check_languages(json_t *v, char **out, apierr_t *err)
{
    if (!json_is_array(v) || json_array_size(v) > 10)
        return acc_invalid(err, "languages", "must be an array of at most 10 language tags");
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        size_t n = json_is_string(it) ? json_string_length(it) : 0;
        const char *s = json_is_string(it) ? json_string_value(it) : "";
        if (n < 2 || n > 35 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
            return acc_invalid(err, "languages", "item %zu is not a language tag like \"en\" or \"pt-BR\"", i);
    }
    *out = json_dumps(v, JSON_COMPACT);
    return 0;
}

typedef struct {
    const char *first, *last, *bio, *phone;
    bool phone_set;
    char *languages;
} profile_edit_t;

static int profile_parse(json_t *b, profile_edit_t *p, apierr_t *err)
{
    static const char *const known[] = {"firstName", "lastName", "bio", "languages", "phoneNumber"};
    const char *key;
    json_t *v;
    json_object_foreach(b, key, v) {
        size_t k = 0;
        while (k < 5 && strcmp(known[k], key) != 0)
            k++;
        if (k == 5)
            return acc_invalid(err, key, "is not a field you can change here");
    }
    if (acc_str(b, "firstName", 1, 100, false, &p->first, err) < 0 ||
        acc_str(b, "lastName", 1, 100, false, &p->last, err) < 0 ||
        acc_str(b, "bio", 0, 1000, false, &p->bio, err) < 0 ||
        acc_str(b, "phoneNumber", 1, 16, false, &p->phone, err) < 0)
        return -1;
    p->phone_set = json_object_get(b, "phoneNumber") != NULL;
    if (p->phone && !validate_phone_e164(p->phone, strlen(p->phone)))
        return acc_invalid(err, "phoneNumber", "must be an E.164 number like +4915112345678");
    json_t *l = json_object_get(b, "languages");
    if (l && check_languages(l, &p->languages, err) < 0)
        return -1;
    return 0;
}

int users_profile_apply(store_conn_t *db, const char *uid, json_t *b, int64_t expect,
                        apierr_t *err)
{
    profile_edit_t p = {0};
    if (profile_parse(b, &p, err) < 0) {
        free(p.languages);
        return -1;
    }
    store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(p.first), ARG_TEXT(p.last),
                       ARG_TEXT(p.bio), ARG_TEXT(p.languages), ARG_INT(p.phone_set),
                       ARG_TEXT(p.phone), ARG_INT(clock_now_ms()), ARG_INT(expect)};
    store_res_t *r = NULL;
    int rc = store_query(
        db,
        "UPDATE users SET first_name = COALESCE(CAST($2 AS TEXT), first_name), "
        "last_name = COALESCE(CAST($3 AS TEXT), last_name), bio = COALESCE(CAST($4 AS TEXT), bio), "
        "languages = COALESCE(CAST($5 AS TEXT), languages), "
        "phone_verified = CASE WHEN $6 = 1 AND COALESCE(phone, '') <> COALESCE(CAST($7 AS TEXT), '') "
        "THEN 0 ELSE phone_verified END, "
        "phone = CASE WHEN $6 = 1 THEN CAST($7 AS TEXT) ELSE phone END, "
        "updated_at = $8, version = version + 1 WHERE id = $1 AND version = $9",
        a, 9, &r, err);
    free(p.languages);
    if (rc < 0)
        return -1;
    bool ok = r->changes == 1;
    store_res_free(r);
    return ok ? 0 : apierr_set(err, 412, "precondition_failed", "the profile changed meanwhile; retry");
}

void users_profile_put(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    int64_t v;
    if (current_version(db, req->user_id, &v, &err) < 0 || acc_if_match(req, v, &err) < 0)
        ACC_FAIL(req, &err);
    /* The update and its sync change-log row commit together. */
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (users_profile_apply(db, req->user_id, b, v, &err) < 0 ||
        sync_user_log(db, req->user_id, "profile", req->user_id, "update", 0, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    send_profile(req, 200);
}

/* ---- preferences and settings ------------------------------------------------ */

static void doc_get(http_req_t *req, const char *col)
{
    apierr_t err = {0};
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s, version FROM users WHERE id = $1", col);
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(acc_db(), sql, a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *doc = acc_json_col(r, 0, 0, false);
    int64_t v = store_int(r, 0, 1);
    store_res_free(r);
    http_send_json(req, 200, doc);
    acc_etag(req, v);
}

int users_doc_apply(store_conn_t *db, const char *uid, const char *col,
                    const prefs_field_t *schema, json_t *b, apierr_t *err)
{
    char path[256], why[200];
    if (prefs_check(b, schema, path, sizeof path, why, sizeof why) < 0)
        return acc_invalid(err, path, "%s", why);
    char *text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE users SET %s = $2, updated_at = $3, version = version + 1 WHERE id = $1",
             col);
    store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(text), ARG_INT(clock_now_ms())};
    int rc = store_exec(db, sql, a, 3, err);
    free(text);
    return rc;
}

static void doc_put(http_req_t *req, const char *col, const prefs_field_t *schema)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    int64_t v;
    if (current_version(db, req->user_id, &v, &err) < 0 || acc_if_match(req, v, &err) < 0)
        ACC_FAIL(req, &err);
    bool logged = strcmp(col, "preferences") == 0; /* settings are not synced */
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (users_doc_apply(db, req->user_id, col, schema, b, &err) < 0 ||
        (logged && sync_user_log(db, req->user_id, col, req->user_id, "update", 0, &err) < 0) ||
        sync_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    doc_get(req, col);
}

void users_prefs_get(http_req_t *req) { doc_get(req, "preferences"); }
void users_prefs_put(http_req_t *req) { doc_put(req, "preferences", prefs_preferences_schema); }
void users_settings_get(http_req_t *req) { doc_get(req, "settings"); }
void users_settings_put(http_req_t *req) { doc_put(req, "settings", prefs_settings_schema); }

/* ---- routes ------------------------------------------------------------------- */

#define USERS_BODY (64 * 1024)
#define PHOTO_MAX (5 * 1024 * 1024)

const route_t users_routes[] = {
    {"GET", "/v1/users/profile", users_profile_get, 0, 0, "Your profile", 0},
    {"PUT", "/v1/users/profile", users_profile_put, 0, USERS_BODY, "Change your profile", 0},
    {"GET", "/v1/users/me", users_profile_get, 0, 0, "Your profile (alias)", 0},
    {"PUT", "/v1/users/me", users_profile_put, 0, USERS_BODY, "Change your profile (alias)", 0},
    {"DELETE", "/v1/users/me", users_delete_me, 0, USERS_BODY, "Delete your account (GDPR)", 0},
    {"GET", "/v1/users/me/export", users_export, 0, 0, "All your data as one JSON document", 0},
    {"GET", "/v1/users/me/consents", users_consents_get, 0, 0, "Accepted terms and policies", 0},
    {"PUT", "/v1/users/me/consents", users_consents_put, 0, USERS_BODY, "Record accepted terms and policies", 0},
    {"GET", "/v1/users/preferences", users_prefs_get, 0, 0, "Your travel preferences", 0},
    {"PUT", "/v1/users/preferences", users_prefs_put, 0, USERS_BODY, "Replace your travel preferences", 0},
    {"GET", "/v1/users/settings", users_settings_get, 0, 0, "Your app settings", 0},
    {"PUT", "/v1/users/settings", users_settings_put, 0, USERS_BODY, "Replace your app settings", 0},
    {"GET", "/v1/users/emergency-contacts", users_contacts_get, 0, 0, "Your emergency contacts", 0},
    {"PUT", "/v1/users/emergency-contacts", users_contacts_put, 0, USERS_BODY, "Replace your emergency contacts", 0},
    {"GET", "/v1/users/saved-locations", users_places_list, 0, 0, "Your saved locations", 0},
    {"POST", "/v1/users/saved-locations", users_places_create, 0, USERS_BODY, "Save a location", 0},
    {"GET", "/v1/users/saved-locations/:id", users_places_get, 0, 0, "One saved location", 0},
    {"PUT", "/v1/users/saved-locations/:id", users_places_update, 0, USERS_BODY, "Change a saved location", 0},
    {"DELETE", "/v1/users/saved-locations/:id", users_places_delete, 0, 0, "Delete a saved location", 0},
    {"GET", "/v1/users/travel-history", trips_travel_history, 0, 0, "Your completed trips", 0},
    {"PUT", "/v1/users/profile/photo", users_photo_put, ROUTE_RAW_BODY, PHOTO_MAX, "Upload your profile photo (JPEG, PNG or WebP)", 0},
    {"GET", "/v1/users/:id", users_public_get, 0, 0, "A user's public profile", 0},
    {"GET", "/v1/media/:name", users_media_get, ROUTE_PUBLIC, 0, "A stored image (content-addressed)", 0},
};
const int users_routes_count = (int)(sizeof users_routes / sizeof users_routes[0]);

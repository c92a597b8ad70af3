/*
 * users_gdpr.c - the user's rights over their data: consents (which terms
 * and privacy-policy versions they accepted, and when), a full export as
 * one JSON document, and account deletion.
 *
 * Deleting an account removes personal data (profile fields, contacts,
 * places, preferences, MFA, tokens, consents) in one transaction and keeps
 * an anonymised users row ("Deleted user", status deleted) so that what
 * others still need (messages, reviews, once they exist) keeps a valid
 * author. It needs the password, or a session opened in the last 5
 * minutes for accounts without one (social login). The photo file goes
 * too, unless another profile uses the same image.
 */
#include "api/api.h"
#include "api/users_int.h"

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/loopctx.h"
#include "http/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECENT_LOGIN_MS (5 * 60 * 1000)

static const char *const documents[] = {"terms", "privacy", NULL};

static int consents_json(store_conn_t *db, const char *uid, json_t **out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT document, version, accepted_at FROM consents WHERE user_id = $1 "
                    "ORDER BY accepted_at, document",
                    a, 1, &r, err) < 0)
        return -1;
    *out = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(*out, json_pack("{s:s, s:s, s:o}", "document", store_val(r, i, 0),
                                              "version", store_val(r, i, 1), "acceptedAt",
                                              acc_time(store_int(r, i, 2))));
    store_res_free(r);
    return 0;
}

void users_consents_get(http_req_t *req)
{
    apierr_t err = {0};
    json_t *items;
    if (consents_json(acc_db(), req->user_id, &items, &err) < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:o}", "items", items));
}

static int check_consent(json_t *c, size_t i, apierr_t *err)
{
    char f[64];
    snprintf(f, sizeof f, "consents[%zu]", i);
    if (!json_is_object(c) || json_object_size(c) != 2)
        return acc_invalid(err, f, "must be {\"document\": …, \"version\": …}");
    const char *doc, *ver;
    if (acc_str(c, "document", 1, 20, true, &doc, err) < 0 ||
        acc_str(c, "version", 1, 40, true, &ver, err) < 0)
        return -1;
    size_t k = 0;
    while (documents[k] && strcmp(documents[k], doc) != 0)
        k++;
    if (!documents[k]) {
        snprintf(f, sizeof f, "consents[%zu].document", i);
        return acc_invalid(err, f, "must be terms or privacy");
    }
    return 0;
}

void users_consents_put(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    json_t *list = json_object_get(b, "consents");
    if (json_object_size(b) != 1 || !json_is_array(list) || json_array_size(list) > 10) {
        acc_invalid(&err, "consents", "send {\"consents\": [{document, version}, …]} (at most 10)");
        ACC_FAIL(req, &err);
    }
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) if (check_consent(c, i, &err) < 0) ACC_FAIL(req, &err);
    store_conn_t *db = acc_db();
    int64_t now = clock_now_ms();
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    int rc = 0;
    json_array_foreach(list, i, c) {
        store_arg_t a[] = {ARG_TEXT(req->user_id),
                           ARG_TEXT(json_string_value(json_object_get(c, "document"))),
                           ARG_TEXT(json_string_value(json_object_get(c, "version"))),
                           ARG_INT(now)};
        if (rc == 0)
            rc = store_exec(db,
                            "INSERT INTO consents (user_id, document, version, accepted_at) "
                            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            a, 4, &err);
    }
    if (rc < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    users_consents_get(req);
}

/* ---- export -------------------------------------------------------------------- */

/* Runs sql ($1 = user id) and returns every row as an object keyed by
 * column name (values as strings). */
static int rows_json(store_conn_t *db, const char *sql, const char *uid, json_t **out,
                     apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db, sql, a, 1, &r, err) < 0)
        return -1;
    *out = json_array();
    for (int i = 0; i < r->nrows; i++) {
        json_t *o = json_object();
        for (int j = 0; j < r->ncols; j++) {
            const char *v = store_val(r, i, j);
            json_object_set_new(o, r->names[j], v ? json_string(v) : json_null());
        }
        json_array_append_new(*out, o);
    }
    store_res_free(r);
    return 0;
}

json_t *users_export_build(store_conn_t *db, const char *uid, apierr_t *err)
{
    store_res_t *u = NULL;
    json_t *sessions = NULL, *contacts = NULL, *places = NULL, *consents = NULL;
    if (acc_user_load(db, uid, &u, err) < 0 ||
        rows_json(db,
                  "SELECT id, device_id, ip, user_agent, created_at, last_used_at, revoked_at "
                  "FROM sessions WHERE user_id = $1 ORDER BY id",
                  uid, &sessions, err) < 0 ||
        rows_json(db,
                  "SELECT name, relation, phone, email, alerts FROM emergency_contacts WHERE "
                  "user_id = $1 ORDER BY position",
                  uid, &contacts, err) < 0 ||
        rows_json(db,
                  "SELECT id, name, lat, lng, category, notes, created_at, updated_at FROM "
                  "saved_locations WHERE user_id = $1 ORDER BY id",
                  uid, &places, err) < 0 ||
        consents_json(db, uid, &consents, err) < 0) {
        store_res_free(u);
        json_decref(sessions);
        json_decref(contacts);
        json_decref(places);
        return NULL;
    }
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *d = NULL;
    if (store_query(db, "SELECT preferences, settings FROM users WHERE id = $1", a, 1, &d, err) <
        0) {
        store_res_free(u);
        json_decref(sessions);
        json_decref(contacts);
        json_decref(places);
        json_decref(consents);
        return NULL;
    }
    json_t *doc = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:[]}", "exportedAt", acc_time(clock_now_ms()),
        "user", acc_user_json(u, 0), "preferences", acc_json_col(d, 0, 0, false), "settings",
        acc_json_col(d, 0, 1, false), "sessions", sessions, "emergencyContacts", contacts,
        "savedLocations", places, "consents", consents, "travelHistory");
    store_res_free(u);
    store_res_free(d);
    /* Notifications (notify/): devices without their tokens, and the inbox. */
    json_t *devices = NULL, *inbox = NULL;
    if (rows_json(db,
                  "SELECT id, platform, provider, active, created_at, updated_at FROM "
                  "notification_devices WHERE user_id = $1 ORDER BY id",
                  uid, &devices, err) < 0 ||
        rows_json(db,
                  "SELECT id, category, template, title, body, read_at, created_at FROM "
                  "notifications WHERE user_id = $1 ORDER BY id",
                  uid, &inbox, err) < 0) {
        json_decref(devices);
        json_decref(doc);
        return NULL;
    }
    json_object_set_new(doc, "notificationDevices", devices);
    json_object_set_new(doc, "notifications", inbox);
    return doc;
}

void users_export(http_req_t *req)
{
    apierr_t err = {0};
    json_t *doc = users_export_build(acc_db(), req->user_id, &err);
    if (!doc)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, doc);
    http_add_header(req, "Content-Disposition", "attachment; filename=\"travloc-export.json\"");
}

/* ---- delete -------------------------------------------------------------------- */

static int reauthenticated(http_req_t *req, apierr_t *err)
{
    const char *pw = NULL;
    json_t *b = req->json && json_is_object(req->json) ? req->json : NULL;
    if (b && acc_str(b, "password", 1, 1024, false, &pw, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(req->session_id)};
    store_res_t *r = NULL;
    if (store_query(acc_db(),
                    "SELECT u.password_hash, s.created_at FROM users u JOIN sessions s ON "
                    "s.user_id = u.id WHERE u.id = $1 AND s.id = $2",
                    a, 2, &r, err) < 0)
        return -1;
    const char *hash = r->nrows ? store_val(r, 0, 0) : NULL;
    bool recent = r->nrows && clock_now_ms() - store_int(r, 0, 1) < RECENT_LOGIN_MS;
    int ok = pw ? accounts_verify_password(hash, pw) == 0 : (!hash && recent);
    store_res_free(r);
    if (!ok)
        return apierr_set(err, 401, "reauthentication_required",
                          pw ? "the password is wrong" : "send your password to delete the account");
    return 0;
}

static const char *const wipe[] = {
    "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
    "UPDATE sessions SET revoked_at = $2, ip = NULL, user_agent = NULL, device_id = NULL "
    "WHERE user_id = $1",
    "DELETE FROM one_time_tokens WHERE user_id = $1",
    "DELETE FROM mfa WHERE user_id = $1",
    "DELETE FROM emergency_contacts WHERE user_id = $1",
    "DELETE FROM notification_devices WHERE user_id = $1",
    "DELETE FROM notification_prefs WHERE user_id = $1",
    "DELETE FROM notifications WHERE user_id = $1",
    "DELETE FROM user_reports WHERE user_id = $1",
    "DELETE FROM saved_locations WHERE user_id = $1",
    "DELETE FROM consents WHERE user_id = $1",
    "DELETE FROM oidc_identities WHERE user_id = $1",
    "DELETE FROM phone_codes WHERE user_id = $1",
    /* the sync log's copies of the user's own entities, and sync bookkeeping */
    "DELETE FROM changes WHERE user_id = $1 AND trip_id IS NULL",
    "DELETE FROM user_sync_versions WHERE user_id = $1",
    "DELETE FROM sync_mutations WHERE user_id = $1",
    "DELETE FROM sync_conflicts WHERE user_id = $1",
    "DELETE FROM sync_devices WHERE user_id = $1",
    "UPDATE users SET email = 'deleted+' || id || '@deleted.invalid', password_hash = NULL, "
    "first_name = 'Deleted', last_name = 'user', phone = NULL, bio = '', languages = '[]', "
    "photo = NULL, preferences = '{}', settings = '{}', email_verified = 0, phone_verified = 0, "
    "status = 'deleted', deleted_at = $2, updated_at = $2, version = version + 1 WHERE id = $1",
};

static void unlink_job(void *arg) { unlink((const char *)arg); }

/* Removes the user's old photo file unless another profile shows the same
 * image (files are content-addressed, so equal images share one file). */
static void drop_photo(store_conn_t *db, const char *photo)
{
    apierr_t e = {0};
    store_arg_t a[] = {ARG_TEXT(photo)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT 1 FROM users WHERE photo = $1", a, 1, &r, &e) == 0 && r->nrows == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/media/%s", server_config()->data_dir, photo);
        loop_run_blocking(unlink_job, path);
    }
    store_res_free(r);
    apierr_clear(&e);
}

void users_delete_me(http_req_t *req)
{
    apierr_t err = {0};
    if (reauthenticated(req, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = acc_db();
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_INT(clock_now_ms())};
    store_res_t *p = NULL;
    if (store_query(db, "SELECT photo FROM users WHERE id = $1", a, 1, &p, &err) < 0)
        ACC_FAIL(req, &err);
    char photo[128] = "";
    if (p->nrows == 1 && store_val(p, 0, 0))
        snprintf(photo, sizeof photo, "%.100s", store_val(p, 0, 0));
    store_res_free(p);
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    int rc = 0;
    for (size_t i = 0; i < sizeof wipe / sizeof wipe[0] && rc == 0; i++)
        rc = store_exec(db, wipe[i], a, strstr(wipe[i], "$2") ? 2 : 1, &err);
    if (rc < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    if (photo[0])
        drop_photo(db, photo);
    http_send_raw(req, 204, NULL, NULL, 0);
}

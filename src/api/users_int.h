/*
 * users_int.h - handlers behind /v1/users and /v1/media (users.c,
 * users_data.c, users_gdpr.c, users_photo.c). Not for other modules.
 *
 * Every handler acts on the signed-in user (req->user_id); rows are always
 * selected with "AND user_id = $me", so another user's id is simply not
 * found (404), never forbidden.
 */
#ifndef TRAVLOC_USERS_INT_H
#define TRAVLOC_USERS_INT_H

#include "api/acc_util.h"
#include "accounts/prefs.h"

void users_profile_get(http_req_t *req);
void users_profile_put(http_req_t *req);
void users_public_get(http_req_t *req);
void users_prefs_get(http_req_t *req);
void users_prefs_put(http_req_t *req);
void users_settings_get(http_req_t *req);
void users_settings_put(http_req_t *req);

void users_contacts_get(http_req_t *req);
void users_contacts_put(http_req_t *req);
void users_places_list(http_req_t *req);
void users_places_create(http_req_t *req);
void users_places_get(http_req_t *req);
void users_places_update(http_req_t *req);
void users_places_delete(http_req_t *req);

void users_consents_get(http_req_t *req);
void users_consents_put(http_req_t *req);
void users_export(http_req_t *req);
void users_delete_me(http_req_t *req);

void users_photo_put(http_req_t *req);

/* Writes behind the handlers, also used by POST /v1/sync/push
 * (api/sync_user.c). Each runs inside the caller's transaction, checks the
 * body like the route does (422 naming the field) and writes nothing on
 * failure; the caller logs the change and commits. */
/* Partial profile update at version expect (412 when it moved). */
int users_profile_apply(store_conn_t *db, const char *uid, json_t *b, int64_t expect,
                        apierr_t *err);
/* Replaces a JSON document column (preferences, settings) after a schema check. */
int users_doc_apply(store_conn_t *db, const char *uid, const char *col,
                    const prefs_field_t *schema, json_t *b, apierr_t *err);
/* Replaces the emergency contacts with b {"contacts": [...]}. */
int users_contacts_apply(store_conn_t *db, const char *uid, json_t *b, apierr_t *err);
/* Creates saved location id (expect == 0) or updates it at version expect
 * (404 when missing or not the user's, 412 when it moved). */
int users_place_apply(store_conn_t *db, const char *uid, const char *id, json_t *b,
                      int64_t expect, apierr_t *err);
/* Deletes a saved location at version expect (any version when 0); *version
 * gets the deleted row's version. 404 when missing, 412 when it moved. */
int users_place_remove(store_conn_t *db, const char *uid, const char *id, int64_t expect,
                       int64_t *version, apierr_t *err);
/* The JSON the routes answer with. */
#define USERS_PLACE_COLS "id, name, lat, lng, category, notes, version, created_at, updated_at"
#define USERS_CONTACT_COLS "id, name, relation, phone, email, alerts"
json_t *users_place_json(const store_res_t *r, int i);
json_t *users_contact_json(const store_res_t *r, int i);
void users_media_get(http_req_t *req);

#endif

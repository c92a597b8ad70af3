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
void users_media_get(http_req_t *req);

#endif

/*
 * notifications_int.h - the handlers behind /v1/notifications,
 * /v1/admin/notifications and /v1/users/me/exports (notifications*.c).
 * Not for other modules. Every handler acts on the signed-in user; rows
 * are selected with "AND user_id = $me", so another user's id is 404.
 */
#ifndef TRAVLOC_NOTIFICATIONS_INT_H
#define TRAVLOC_NOTIFICATIONS_INT_H

#include "http/http.h"

void notifications_device_create(http_req_t *req);
void notifications_device_list(http_req_t *req);
void notifications_device_delete(http_req_t *req);
void notifications_prefs_get(http_req_t *req);
void notifications_prefs_put(http_req_t *req);

/* notifications_inbox.c */
void notifications_list(http_req_t *req);
void notifications_read(http_req_t *req);
void notifications_opened(http_req_t *req);
void notifications_read_all(http_req_t *req);
void notifications_deliveries(http_req_t *req);

/* notifications_admin.c */
void notifications_admin_test(http_req_t *req);
void notifications_export_start(http_req_t *req);
void notifications_export_get(http_req_t *req);
void notifications_export_download(http_req_t *req);

#endif

/*
 * api.h - the route table and the handlers behind it.
 *
 * routes.c holds the one table of every route the server answers; each
 * resource file (ops.c, users.c, trips.c, …) provides its handlers. The
 * table is what the router is built from, what /metrics labels with, and
 * what the OpenAPI test compares against docs/openapi.json.
 */
#ifndef TRAVLOC_API_H
#define TRAVLOC_API_H

#include "http/http.h"

/* Builds the table (once, before threads start); -1 on OOM. */
int api_routes_init(void);
const route_t *api_routes(int *count);

/* Per-resource tables, concatenated by routes.c in this order. */
extern const route_t ops_routes[];
extern const int ops_routes_count;
extern const route_t auth_routes[];      /* auth.c: /v1/auth */
extern const int auth_routes_count;
extern const route_t users_routes[];     /* users.c: /v1/users, /v1/media */
extern const int users_routes_count;
extern const route_t admin_routes[];     /* admin.c: /v1/admin */
extern const int admin_routes_count;
extern const route_t acc_maint_routes[]; /* acc_maint.c: /v1/admin/maintenance */
extern const int acc_maint_routes_count;
extern const route_t jobs_admin_routes[]; /* admin_jobs.c: /v1/admin/jobs, /v1/admin/queues */
extern const int jobs_admin_routes_count;
extern const route_t trips_routes[];     /* trips_routes.c: /v1/trips, /v1/sync, /v1/public/trips */
extern const int trips_routes_count;
/* trips_list.c: completed trips for GET /v1/users/travel-history */
void trips_travel_history(http_req_t *req);

/* ops.c */
void ops_health(http_req_t *req);
void ops_ready(http_req_t *req);
void ops_metrics(http_req_t *req);
void ops_openapi(http_req_t *req);
void ops_docs(http_req_t *req);
void ops_docs_asset(http_req_t *req);

/* admin_jobs.c */
void admin_jobs_list(http_req_t *req);
void admin_jobs_get(http_req_t *req);
void admin_jobs_retry(http_req_t *req);
void admin_jobs_cancel(http_req_t *req);
void admin_queues_pause(http_req_t *req);
void admin_queues_resume(http_req_t *req);

/* places.c, map.c, map_route.c: /v1/places, /v1/map */
extern const route_t places_routes[];
extern const int places_routes_count;
extern const route_t map_routes[];
extern const int map_routes_count;
void places_nearby_get(http_req_t *req);
void places_search_get(http_req_t *req);
void places_get(http_req_t *req);
void map_pois(http_req_t *req);
void map_style(http_req_t *req);
void map_route(http_req_t *req);
void map_matrix(http_req_t *req);

/* realtime.c: /socket.io/ (polling), /v1/presence */
extern const route_t realtime_routes[];
extern const int realtime_routes_count;
void realtime_socketio(http_req_t *req);
void realtime_presence(http_req_t *req);

/* messages.c, messages_media.c, messages_rt.c: /v1/messages and the
 * message:* socket events (messages_realtime_init registers them, the room
 * entitlement and the presence hook; api_routes_init calls it). */
extern const route_t messages_routes[];
extern const int messages_routes_count;
void messages_media_post(http_req_t *req);
int messages_realtime_init(void);
/* messages_mute.c: muting a conversation's notifications. */
extern const route_t messages_mute_routes[];
extern const int messages_mute_routes_count;

/* planner.c: /v1/trips/:id/itinerary/generate (issue 7); planner_job.c
 * registers the AI_TRIP_PLANNING job type (serve and worker start-up). */
extern const route_t planner_routes[];
extern const int planner_routes_count;
int planner_jobs_register(void);
/* recommend.c, recommend_packing.c, events.c: /v1/recommendations,
 * /v1/trips/:id/packing-list/suggestions, /v1/events (issue 7). */
extern const route_t recommend_routes[];
extern const int recommend_routes_count;
extern const route_t events_routes[];
extern const int events_routes_count;
/* events_import.c: `travloc import-events FILE.ics` (exit status). */
int events_import_main(int argc, char **argv);

/* notifications*.c: /v1/notifications, /v1/admin/notifications, /v1/users/me/exports */
extern const route_t notifications_routes[];
extern const int notifications_routes_count;
/* Registers NOTIFICATION_SEND, REPORT_GENERATION and DATA_SYNC (once, at
 * start-up, before threads; api_routes_init calls it). 0 or -1. */
int notifications_jobs_register(void);
/* users_gdpr.c: the GDPR export document of user uid (new reference), or
 * NULL with err; used by GET /v1/users/me/export and REPORT_GENERATION. */
struct store_conn;
json_t *users_export_build(struct store_conn *db, const char *uid, apierr_t *err);

/* diag.c */
void diag_echo(http_req_t *req);

#endif

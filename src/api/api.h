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

/* diag.c */
void diag_echo(http_req_t *req);

#endif

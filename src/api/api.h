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

/* ops.c */
void ops_health(http_req_t *req);
void ops_ready(http_req_t *req);
void ops_metrics(http_req_t *req);
void ops_openapi(http_req_t *req);
void ops_docs(http_req_t *req);
void ops_docs_asset(http_req_t *req);

/* diag.c */
void diag_echo(http_req_t *req);

#endif

/*
 * server.h - the HTTP/1.1 server: listeners, loops, connections.
 *
 * server_run() binds one SO_REUSEPORT listener per thread, runs one libuv
 * loop per thread and blocks until SIGTERM/SIGINT, then drains: listeners
 * close, idle connections close, in-flight requests get up to the shutdown
 * timeout to finish, then every loop closes its handles and its database
 * handle and the function returns 0. The server borrows cfg, store and
 * router for its whole run.
 */
#ifndef TRAVLOC_SERVER_H
#define TRAVLOC_SERVER_H

#include "core/config.h"
#include "http/router.h"

struct store;

typedef struct server server_t;

/* Blocks until shutdown. Returns 0 on a clean stop, -1 if it could not
 * start (message already logged). */
int server_run(const config_t *cfg, struct store *store, const router_t *router,
               const route_t *routes, int nroutes);

/* Read-only accessors for handlers (ops endpoints, middleware). */
const config_t *server_config(void);
const router_t *server_router(void);
const route_t *server_routes(int *count);
struct store *server_store(void);
/* Live connections in this process. */
long server_connections(void);

#endif

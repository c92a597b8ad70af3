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
#include "core/loopctx.h"
#include "http/router.h"

struct store;

typedef struct server server_t;

/* Blocks until shutdown. Returns 0 on a clean stop, -1 if it could not
 * start (message already logged). */
int server_run(const config_t *cfg, struct store *store, const router_t *router,
               const route_t *routes, int nroutes);

/* A service that runs on every loop beside HTTP (the job queue's workers).
 * start runs on the loop's thread once its database handle is open; drain
 * (may be NULL) when the loop starts draining, so the service can wind
 * down alongside HTTP; stop after the HTTP side has drained: it may run the
 * loop until the service is idle, and returns how many tasks it had to
 * abandon. */
typedef struct {
    void (*start)(loop_ctx_t *lc);
    int (*stop)(loop_ctx_t *lc);
    void (*drain)(loop_ctx_t *lc);
} server_service_t;
/* Registers a service before server_run (at most 8); svc is borrowed. */
void server_add_service(const server_service_t *svc);

/* Read-only accessors for handlers (ops endpoints, middleware). */
const config_t *server_config(void);
const router_t *server_router(void);
const route_t *server_routes(int *count);
struct store *server_store(void);
/* Live connections in this process. */
long server_connections(void);

#endif

/*
 * router.h - maps (method, path) to a route.
 *
 * The table is a segment trie built once at start-up from a static array
 * of routes (api/routes.c) and read-only afterwards, so every loop thread
 * shares it without locks. Static segments win over ":param" segments.
 * The router borrows the route array; router_free releases only the trie.
 */
#ifndef TRAVLOC_ROUTER_H
#define TRAVLOC_ROUTER_H

#include "http/http.h"

typedef struct router router_t;

typedef enum { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD } router_status_t;

typedef struct {
    router_status_t status;
    const route_t *route;
    int route_index;
    int nparams;
    const char *names[HTTP_MAX_PARAMS];
    /* Values point into the path copy the caller passed (it is modified). */
    char *values[HTTP_MAX_PARAMS];
    char allow[128];      /* for ROUTER_BAD_METHOD and OPTIONS */
} router_match_t;

/* Builds the trie. Returns NULL on a malformed or duplicate pattern, with
 * a message in err. */
router_t *router_new(const route_t *routes, int count, char *err, size_t errlen);
/* Matches path (which is split in place: pass a writable copy). HEAD
 * matches GET routes. */
void router_match(const router_t *r, const char *method, char *path, router_match_t *m);
void router_free(router_t *r);

#endif

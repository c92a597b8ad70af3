/*
 * idempotency.h - Idempotency-Key for POST handlers, reusable by any
 * resource.
 *
 * A handler wrapped with idem_run() behaves as if it ran at most once per
 * (user, key): the first request runs the handler and its response
 * (status, content type, body, ETag and Location headers) is stored in
 * the idempotency_keys table; a later request with the same key and the
 * same method, path and body gets that stored response again with
 * "Idempotent-Replayed: true", also after a restart; the same key with a
 * different request is 422 "idempotency_key_reused"; a key whose first
 * request is still running is 409 "idempotency_key_in_use". Responses
 * with status >= 500 are not kept, so a retry runs again. Keys expire
 * after 24 hours; a claim whose request died unfinished frees itself after a
 * minute. Without the header the handler just runs.
 *
 * Usage, in a route's handler:   void x_create(http_req_t *r) { idem_run(r, x_create_inner); }
 */
#ifndef TRAVLOC_IDEMPOTENCY_H
#define TRAVLOC_IDEMPOTENCY_H

#include "http/http.h"

#define IDEM_TTL_MS (24LL * 3600 * 1000)
#define IDEM_KEY_MAX 255
#define IDEM_STALE_MS (60LL * 1000) /* a claim older than this was abandoned */

void idem_run(http_req_t *req, http_handler_fn fn);

/* Deletes keys older than the TTL; returns how many (or -1). For a
 * periodic job; lookups ignore expired keys regardless. */
int idem_purge(void);

#endif

/*
 * session_cache.h - per-thread cache of "this access token's session is
 * alive and its user active, with this role", for the auth stage.
 *
 * Revocation takes effect at once: an entry is valid only while the
 * database has not changed at all since the session row was read
 * (store_change_stamp: any commit by any connection or process, so a
 * logout, a suspension, a role change or a GDPR erase - of this node or
 * of a CLI process - empties it). Where the store cannot give such a
 * stamp (PostgreSQL, where other cluster nodes write too), nothing is
 * cached and every request reads the session. Entries are also dropped
 * once the session's last_used_at is a minute old, so the auth stage's
 * periodic last_used_at update still happens.
 *
 * Late checks (PostgreSQL): a route flagged ROUTE_SESSION_LATE that any
 * signed-in user may use gets no session statement from the auth stage;
 * the auth stage only verifies the token and fills the ids from it, and
 * the handler runs the very same check (sessions JOIN users, revoked_at
 * IS NULL, status 'active') inside its own first statement and answers
 * 401 itself (session_late_check). So the check still reads the database
 * on every request, on every node - revocation, suspension and role
 * changes take effect at once - but costs no round trip of its own
 * (GET /v1/trips/:id: see docs/read-path.md). Nothing is cached for
 * sessions on PostgreSQL.
 *
 * Threads: one table per thread (heap, freed at thread exit); callers
 * pass their own thread's store handle. Nothing returned is owned.
 */
#ifndef TRAVLOC_AUTH_SESSION_CACHE_H
#define TRAVLOC_AUTH_SESSION_CACHE_H

#include "http/http.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The session read of the auth stage: $1 session id, $2 user id; a row
 * (role, status of the user, last_used_at) while the session is alive. */
#define SESSION_ROW_SQL                                                                        \
    "SELECT u.role, u.status, s.last_used_at FROM sessions s JOIN users u ON u.id = "          \
    "s.user_id WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"

typedef struct {
    uint64_t stamp[2];
    bool ok;            /* the store gave a stamp */
} session_stamp_t;

/* Takes the stamp BEFORE the session is read from the database. */
void session_cache_stamp(store_conn_t *db, session_stamp_t *st);
/* true and role copied when (sid, sub) is cached, the database unchanged
 * since, and last_used_at newer than a minute before now_ms. */
bool session_cache_get(store_conn_t *db, const char *sid, const char *sub, int64_t now_ms,
                       char *role, size_t rolelen);
/* After a hit of session_cache_get, the stamp it compared (the database
 * unchanged since) for the handler of the same request: true once, only in
 * the coroutine that hit, and only until the next session_cache_get of
 * this thread. The auth stage and the handler run without a yield between
 * them on SQLite, the only store with stamps, so it is this request's. */
bool session_cache_take_stamp(uint64_t stamp[2]);
/* Remembers an alive session of an active user read under stamp st. */
void session_cache_put(const session_stamp_t *st, const char *sid, const char *sub,
                       const char *role, int64_t last_used_ms);

/* true when req's route checks the session in its handler (see above):
 * ROUTE_SESSION_LATE, no role needed beyond signed-in, PostgreSQL. */
bool session_late(const http_req_t *req);
/* The handler's half of a late check, given the row of its statement:
 * role/status/last_used_at are the user's role and status and the
 * session's last_used_at (NULL: no live session). 0 with req->role set
 * (and last_used_at refreshed when a minute old, as the auth stage does),
 * or -1 answered 401. */
int session_late_check(http_req_t *req, store_conn_t *db, const char *role, const char *status,
                       int64_t last_used_ms);
/* The late check on its own, for a handler that answers before its
 * statement ran (bad input): the auth stage's session read, then
 * session_late_check. 0, or -1 answered (401, or 503 from the store). */
int session_late_verify(http_req_t *req, store_conn_t *db);

#endif

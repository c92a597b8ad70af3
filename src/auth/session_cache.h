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
 * Threads: one table per thread (heap, freed at thread exit); callers
 * pass their own thread's store handle. Nothing returned is owned.
 */
#ifndef TRAVLOC_AUTH_SESSION_CACHE_H
#define TRAVLOC_AUTH_SESSION_CACHE_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* Remembers an alive session of an active user read under stamp st. */
void session_cache_put(const session_stamp_t *st, const char *sid, const char *sub,
                       const char *role, int64_t last_used_ms);

#endif

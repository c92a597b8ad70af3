/*
 * trips_rcache.h - the rendered-representation cache of GET /v1/trips/:id:
 * per loop thread, keyed by trip id, the JSON text of the trip with its
 * destinations and activities as last read, minus the caller's role
 * (spliced in on every answer), tagged with the trip's change mark.
 *
 * The change mark is max(changes.seq) of the trip, read in the SAME
 * statement (one snapshot) as the rows rendered. Every write to a trip or
 * to a row the representation shows logs a change with the trip's id in
 * the write's transaction (changes_log, trips_util.c; sync needs it
 * anyway), seqs are never reused (BIGSERIAL / AUTOINCREMENT) and commit
 * in seq order (changes_log's advisory lock on PostgreSQL; SQLite writers
 * are serialised), so an equal mark read by a later statement means the
 * same rows. The caller re-reads the mark and the caller's role from the
 * database on EVERY request (trips_read.c); an entry is only a way to
 * skip the 26-row read and the JSON writing, never a way to skip the
 * database. See docs/read-path.md.
 *
 * The check itself may also be skipped while the database is unchanged
 * (rcache_check_*, below): on SQLite the auth stage asks the database for
 * its change stamp on every request, and an equal stamp means no commit
 * anywhere since the check was read.
 *
 * Memory: one table per thread (freed with the thread), entries own their
 * text; at most RC_BUDGET bytes per thread, bodies over RC_MAX_BODY are
 * not kept. Nothing returned is owned by the caller.
 */
#ifndef TRAVLOC_API_TRIPS_RCACHE_H
#define TRAVLOC_API_TRIPS_RCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *text; /* text[0..head) + ,"role":"…" + text[head..len) */
    size_t head, len;
    int64_t version;  /* the trip's version when read (the ETag) */
} rcache_hit_t;

/* true and *out filled when trip_id is cached at change mark `mark` and
 * trip version `version`; the text stays valid until this thread's next
 * rcache_put. */
bool rcache_get(const char *trip_id, int64_t mark, int64_t version, rcache_hit_t *out);
/* Keeps a copy of text (head: where the role goes) for trip_id. */
void rcache_put(const char *trip_id, int64_t mark, int64_t version, const char *text,
                size_t head, size_t len);

/* The per-request check's answer (trips_read.c) for a caller on a trip,
 * remembered with the store's change stamp it was read under (SQLite:
 * PRAGMA data_version + this connection's total_changes, taken BEFORE the
 * check ran; see session_cache.h). A later request whose own stamp is
 * equal - the database has not changed at all since, by any connection
 * or process - may use it instead of running the check again. */
typedef struct {
    int role;
    int64_t version, mark;
    bool has_mark;
} rcache_check_t;

bool rcache_check_get(const char *trip_id, const char *user_id, const uint64_t stamp[2],
                      rcache_check_t *out);
void rcache_check_put(const char *trip_id, const char *user_id, const uint64_t stamp[2],
                      const rcache_check_t *ck);

#endif

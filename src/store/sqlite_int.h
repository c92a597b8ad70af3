/*
 * sqlite_int.h - what sqlite.c and sqlite_writer.c share: the connection
 * struct and the process's write path.
 *
 * Every write transaction of the process (and every write statement run
 * outside a transaction) takes one process-wide mutex and runs on one
 * shared writer connection, so the loop threads never meet on SQLite's
 * write lock (no busy-handler sleeps) and the writer's page cache is
 * never invalidated by another writer of this process. Its WAL is
 * checkpointed by a background thread (wal_autocheckpoint is off on the
 * writer), never inline on a loop. Other processes (CLI, `travloc
 * worker`) still meet the writer on SQLite's lock: the busy handler stays.
 * A coroutine's write transaction is a savepoint in the writer's open
 * group, committed at the end of the loop's turn (group commit; the
 * coroutine waits for it in sq_commit).
 *
 * Ownership: the writer state hangs off store_t.drv_state; sq_close frees
 * it (stops the checkpointer, closes both of its connections).
 */
#ifndef TRAVLOC_STORE_SQLITE_INT_H
#define TRAVLOC_STORE_SQLITE_INT_H

#include "store/driver.h"

#include <sqlite3.h>
#include <stdbool.h>

#define SQ_CACHE_SLOTS 256
#define SQ_MAX_PARAMS 64

/* A prepared statement and where its $N parameters sit ("$14" used
 * twice is one parameter; SQLite numbers them by first appearance). */
typedef struct {
    char *sql;
    sqlite3_stmt *stmt;
    unsigned char idx[SQ_MAX_PARAMS]; /* $N -> SQLite index, 0 when unused */
    int nidx;
} sq_cached_t;

typedef struct store_conn sq_conn_t;
struct store_conn {
    store_t *store;       /* first: store.c reads it */
    sqlite3 *db;
    sq_cached_t cache[SQ_CACHE_SLOTS];
    int depth;            /* open transactions */
    int streaming;        /* store_query_each calls in progress */
    int64_t busy_since;   /* busy handler: first wait, monotonic ns */
    sq_conn_t *route;     /* while this conn holds the write lock: where its
                           * statements run (the writer, or NULL: itself) */
    bool locked;          /* holds the process write lock */
    bool writer;          /* this is the shared writer connection */
    bool grouped;         /* its write transaction is a savepoint of the
                           * writer's open group (sqlite_writer.c) */
    /* Scratch for collect(): cell text and offsets, kept between queries. */
    char *text;
    size_t text_cap;
    size_t *off;          /* 2 per cell: offset, length (SIZE_MAX offset: NULL) */
    size_t off_cap;
};

/* Counters of the write path (tests, /metrics-free diagnostics). */
typedef struct {
    uint64_t lock_waits;   /* write lock found taken (waited on the mutex) */
    uint64_t busy_waits;   /* SQLite busy-handler calls on this process's conns */
    uint64_t checkpoints;  /* background checkpoints run */
    uint64_t restarts;     /* of which finished under the write lock */
    uint64_t wal_frames;   /* WAL frames after the last commit on the writer */
    uint64_t group_commits; /* group transactions ended */
    uint64_t grouped;      /* member transactions committed in them */
} sq_stats_t;

/* sqlite.c */
sq_conn_t *sq_conn_new(store_t *s, bool writer);
void sq_conn_free(sq_conn_t *c);

/* sqlite_writer.c */
int sq_writer_init(store_t *s);
void sq_writer_free(store_t *s);
/* Takes the process write lock for c (waits at most 5 s: 503 after) and
 * sets c->route to the writer when c has nothing open itself. A
 * coroutine waits by letting its loop turn. Unless group is true and the
 * writes go to the writer, an open group is committed first (the caller
 * writes outside it). 1: taken by this call (the caller unlocks); 0: c
 * already held it (another coroutine of the loop took it while this one
 * waited: its transaction covers this); -1. */
int sq_write_lock(sq_conn_t *c, bool group, apierr_t *err);
/* Group commit (see sqlite_writer.c). capable: c's caller is a coroutine
 * on a loop that groups (loop_ctx_t.group_commit), and grouping is on. enter (lock held, c->route the writer):
 * opens the group if none is, then c's savepoint; 0, or -1 with the
 * SQLite code in *rc. leave: releases (commit) or undoes c's savepoint
 * and unlocks; then waits for the group's COMMIT (after an undo only when
 * other members wait for it: what c conflicted with is committed when
 * its caller reads it) and returns the COMMIT's SQLite code (SQLITE_OK:
 * committed; after an undo SQLITE_OK, or the release's error). */
bool sq_group_capable(const sq_conn_t *c);
int sq_group_enter(sq_conn_t *c, int *rc);
int sq_group_leave(sq_conn_t *c, bool commit);
void sq_write_unlock(sq_conn_t *c);
/* Called by the busy handler (counts). */
void sq_note_busy(store_t *s);
void sq_stats(store_t *s, sq_stats_t *out);

#endif

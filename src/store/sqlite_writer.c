/*
 * sqlite_writer.c - the process's one SQLite writer: a mutex every write
 * transaction takes (BEGIN IMMEDIATE .. COMMIT/ROLLBACK), one shared
 * writer connection those transactions run on, and a checkpointer thread
 * that keeps WAL checkpoints (and their fsyncs) off the event loops.
 *
 * Why: with one connection per loop, two loops writing met on SQLite's
 * write lock; the loser slept in the busy handler (blocking its loop and
 * every socket on it), each commit invalidated the other connection's
 * page cache, and the committing loop ran the WAL checkpoint inline
 * (fdatasync, ~2 ms). Write transactions on SQLite never yield (queries
 * run inline), so the mutex is held for tens of microseconds. A loop
 * that finds it taken spins a moment, then (inside a request coroutine)
 * parks the coroutine until the unlock wakes its loop (loop_wake: an
 * eventfd write), so its sockets keep being served and nothing polls; a
 * thread outside a coroutine (CLI, thread pool) blocks. Either gives up
 * after 5 s with 503 database_busy, as the busy handler did.
 *
 * The checkpointer: the writer's WAL hook wakes it every ckpt_frames
 * frames; it runs a PASSIVE checkpoint on its own connection (never
 * blocks the writer or readers). The writer restarts the WAL from its
 * start only after a checkpoint copied everything back with no commit in
 * between, which a steady stream of writes never allows; so once the WAL
 * holds restart_frames frames the checkpointer finishes under the write
 * lock (a second PASSIVE copies the few frames appended meanwhile: two
 * fsyncs, ~2-4 ms of writers waiting) and writes one page itself, so
 * that the WAL starts over here, with SQLite's sync of the new WAL
 * header on this thread rather than on a loop. Should the file pass
 * WAL_HARD_BYTES anyway (readers kept old snapshots) it also runs a
 * TRUNCATE checkpoint under the lock. Durability is unchanged:
 * synchronous=NORMAL, a commit is in the WAL (the OS) when COMMIT
 * returns; checkpoints sync the WAL before copying and the database
 * before the WAL starts over.
 * TRAVLOC_SQLITE_CKPT_FRAMES / TRAVLOC_SQLITE_RESTART_FRAMES override the
 * two thresholds (tests).
 *
 * Group commit (the end of this file): a coroutine's write transaction
 * is a savepoint of one outer transaction the loop commits once per turn.
 *
 * Ownership: sq_writer_t hangs off store_t.drv_state (sq_writer_init /
 * sq_writer_free); the writer connection and the checkpointer's own
 * connection are freed there.
 */
#include "store/sqlite_int.h"

#include "core/coro.h"
#include "core/loopctx.h"
#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LOCK_BUDGET_S 5
#define CKPT_FRAMES 2000              /* ~8 MiB of WAL at 4 KiB pages */
#define RESTART_FRAMES 65536          /* ~256 MiB */
#define WAL_HARD_BYTES (1024ll << 20) /* then TRUNCATE under the write lock */
#define WAKE_SLOTS 32                 /* loops woken by an unlock (more: they tick) */

typedef struct {
    pthread_mutex_t lock; /* the process write lock */
    sq_conn_t *conn;      /* the writer connection (opened under lock) */
    bool conn_failed;
    /* checkpointer */
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    pthread_t ck_thread;
    bool ck_started, ck_stop, ck_due;
    int ckpt_frames, restart_frames;
    int ck_last; /* WAL frames when the checkpointer was last woken */
    _Atomic uint64_t lock_waits, busy_waits, checkpoints, restarts, wal_frames;
    /* loops with coroutines waiting for the lock, woken by the unlock */
    pthread_mutex_t wake_mu;
    struct {
        loop_ctx_t *lc;
        int n;
    } wake[WAKE_SLOTS];
    _Atomic int nwaiting;
    /* group commit (under lock): an outer transaction open on conn whose
     * savepoints are the transactions of coroutines waiting for it */
    bool group_on;        /* TRAVLOC_SQLITE_GROUP=0 turns it off */
    bool group_open;
    struct sq_gwait *gwait_head, *gwait_tail;
    _Atomic uint64_t group_commits, grouped;
} sq_writer_t;

/* A coroutine waiting for the commit of the group its transaction joined;
 * on its stack. rc: the COMMIT's SQLite code, once done is set. */
typedef struct sq_gwait {
    struct sq_gwait *next;
    loop_ctx_t *lc;
    int rc;
    _Atomic bool done;
} sq_gwait_t;

static _Thread_local int tl_locked; /* write locks this thread holds */

static void wake_waiters(sq_writer_t *w);
static void group_finish(sq_writer_t *w, bool commit);

int sq_writer_init(store_t *s)
{
    sq_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->ck_mu, NULL);
    pthread_mutex_init(&w->wake_mu, NULL);
    pthread_cond_init(&w->ck_cv, NULL);
    const char *v = getenv("TRAVLOC_SQLITE_CKPT_FRAMES");
    w->ckpt_frames = v && atoi(v) > 0 ? atoi(v) : CKPT_FRAMES;
    v = getenv("TRAVLOC_SQLITE_RESTART_FRAMES");
    w->restart_frames = v && atoi(v) > 0 ? atoi(v) : RESTART_FRAMES;
    v = getenv("TRAVLOC_SQLITE_GROUP");
    w->group_on = !(v && strcmp(v, "0") == 0);
    s->drv_state = w;
    return 0;
}

void sq_writer_free(store_t *s)
{
    sq_writer_t *w = s->drv_state;
    if (!w)
        return;
    if (w->ck_started) {
        pthread_mutex_lock(&w->ck_mu);
        w->ck_stop = true;
        pthread_cond_signal(&w->ck_cv);
        pthread_mutex_unlock(&w->ck_mu);
        pthread_join(w->ck_thread, NULL);
    }
    pthread_mutex_lock(&w->lock);
    group_finish(w, true);
    pthread_mutex_unlock(&w->lock);
    sq_conn_free(w->conn);
    pthread_cond_destroy(&w->ck_cv);
    pthread_mutex_destroy(&w->ck_mu);
    pthread_mutex_destroy(&w->wake_mu);
    pthread_mutex_destroy(&w->lock);
    free(w);
    s->drv_state = NULL;
}

void sq_note_busy(store_t *s)
{
    sq_writer_t *w = s->drv_state;
    if (w)
        atomic_fetch_add_explicit(&w->busy_waits, 1, memory_order_relaxed);
}

void sq_stats(store_t *s, sq_stats_t *out)
{
    sq_writer_t *w = s->drv_state;
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    out->lock_waits = atomic_load(&w->lock_waits);
    out->busy_waits = atomic_load(&w->busy_waits);
    out->checkpoints = atomic_load(&w->checkpoints);
    out->restarts = atomic_load(&w->restarts);
    out->wal_frames = atomic_load(&w->wal_frames);
    out->group_commits = atomic_load(&w->group_commits);
    out->grouped = atomic_load(&w->grouped);
}

static long long wal_bytes(const store_t *s)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s-wal", s->path);
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

/* Under the write lock, after a checkpoint that copied every frame back:
 * a one-page write transaction here (user_version rewritten unchanged)
 * makes this thread the one that starts the WAL over, and so the one
 * that pays SQLite's sync of the new WAL header, not a loop. */
static void restart_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static void checkpoint(store_t *s, sq_writer_t *w, sqlite3 *db)
{
    int logf = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &logf, &done);
    atomic_fetch_add(&w->checkpoints, 1);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("sqlite checkpoint failed", "\"error\":\"%s\"", sqlite3_errmsg(db));
    bool hard = wal_bytes(s) > WAL_HARD_BYTES;
    if (logf < w->restart_frames && !hard)
        return;
    /* Copy back what was appended meanwhile with no writer running: the
     * next write transaction then starts the WAL over. Past the hard
     * limit (readers kept it from restarting) also truncate it; readers
     * are waited for by the busy timeout. An open group commits first. */
    pthread_mutex_lock(&w->lock);
    group_finish(w, true);
    rc = sqlite3_wal_checkpoint_v2(db, NULL,
                                   hard ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE,
                                   &logf, &done);
    if (rc == SQLITE_OK && logf >= 0 && done == logf)
        restart_wal(db);
    pthread_mutex_unlock(&w->lock);
    wake_waiters(w);
    atomic_fetch_add(&w->restarts, 1);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("sqlite finishing checkpoint failed", "\"error\":\"%s\"", sqlite3_errmsg(db));
}

static void *ck_main(void *arg)
{
    store_t *s = arg;
    sq_writer_t *w = s->drv_state;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("checkpointer cannot open SQLite", "\"path\":\"%s\"", s->path);
        sqlite3_close(db);
        db = NULL;
    } else {
        sqlite3_busy_timeout(db, 200);
        /* A connection that has not read the database yet does not know it
         * is in WAL mode: a checkpoint on it would do nothing. */
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; SELECT 1 FROM sqlite_master LIMIT 1;", NULL,
                     NULL, NULL);
    }
    pthread_mutex_lock(&w->ck_mu);
    for (;;) {
        while (!w->ck_due && !w->ck_stop)
            pthread_cond_wait(&w->ck_cv, &w->ck_mu);
        if (w->ck_stop)
            break;
        w->ck_due = false;
        pthread_mutex_unlock(&w->ck_mu);
        if (db)
            checkpoint(s, w, db);
        pthread_mutex_lock(&w->ck_mu);
    }
    pthread_mutex_unlock(&w->ck_mu);
    sqlite3_close(db);
    return NULL;
}

/* After each commit on the writer (under the write lock). */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    sq_writer_t *w = arg;
    atomic_store_explicit(&w->wal_frames, (uint64_t)frames, memory_order_relaxed);
    if (frames < w->ckpt_frames)
        return SQLITE_OK;
    pthread_mutex_lock(&w->ck_mu);
    if (!w->ck_due && frames / w->ckpt_frames != w->ck_last / w->ckpt_frames) {
        w->ck_last = frames;
        w->ck_due = true;
        pthread_cond_signal(&w->ck_cv);
    }
    pthread_mutex_unlock(&w->ck_mu);
    return SQLITE_OK;
}

/* Under the write lock: the writer connection and its checkpointer. A
 * failure leaves the writer's own inline autocheckpoint in place, or no
 * writer at all (each connection then writes for itself, as before). */
static void open_writer(store_t *s, sq_writer_t *w)
{
    w->conn = sq_conn_new(s, true);
    if (!w->conn) {
        w->conn_failed = true;
        log_warn("no shared SQLite writer; connections write for themselves", NULL);
        return;
    }
    if (pthread_create(&w->ck_thread, NULL, ck_main, s) == 0) {
        w->ck_started = true;
        sqlite3_wal_hook(w->conn->db, on_wal, w); /* replaces wal_autocheckpoint */
    }
}

/* ---- waiting for the lock ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* d = +1: a coroutine of lc waits for the lock; -1: it stopped waiting. */
static void waiting(sq_writer_t *w, loop_ctx_t *lc, int d)
{
    pthread_mutex_lock(&w->wake_mu);
    int free_slot = -1;
    for (int i = 0; i < WAKE_SLOTS; i++) {
        if (w->wake[i].lc == lc) {
            if ((w->wake[i].n += d) == 0)
                w->wake[i].lc = NULL;
            free_slot = -2;
            break;
        }
        if (!w->wake[i].lc && free_slot == -1)
            free_slot = i;
    }
    if (free_slot >= 0 && d > 0) {
        w->wake[free_slot].lc = lc;
        w->wake[free_slot].n = d;
    }
    pthread_mutex_unlock(&w->wake_mu);
    atomic_fetch_add(&w->nwaiting, d);
}

/* After an unlock: every loop with a waiter tries again (loop_wake is an
 * eventfd write when the loop is not already signalled). */
static void wake_waiters(sq_writer_t *w)
{
    if (atomic_load(&w->nwaiting) == 0)
        return;
    loop_ctx_t *to[WAKE_SLOTS];
    int k = 0;
    pthread_mutex_lock(&w->wake_mu);
    for (int i = 0; i < WAKE_SLOTS; i++)
        if (w->wake[i].lc)
            to[k++] = w->wake[i].lc;
    pthread_mutex_unlock(&w->wake_mu);
    for (int i = 0; i < k; i++)
        loop_wake(to[i]);
}

/* The lock is taken: spin a moment (write transactions hold it for tens
 * of microseconds); then a coroutine parks until the holder's unlock wakes
 * its loop (the loop serves its sockets meanwhile; a 1 ms tick covers a
 * loop that found no wake slot), and anything else blocks; both for at
 * most LOCK_BUDGET_S. */
static int wait_lock(sq_writer_t *w)
{
    atomic_fetch_add_explicit(&w->lock_waits, 1, memory_order_relaxed);
    for (int i = 0; i < 64; i++) {
        __builtin_ia32_pause();
        if (pthread_mutex_trylock(&w->lock) == 0)
            return 0;
    }
    loop_ctx_t *lc = loop_ctx_get();
    if (coro_current() && lc && lc->loop) {
        int64_t until = mono_ms() + LOCK_BUDGET_S * 1000;
        int rc = -1;
        waiting(w, lc, +1); /* before the try: an unlock after it wakes us */
        for (int n = 1;; n++) {
            if (pthread_mutex_trylock(&w->lock) == 0) {
                rc = 0;
                break;
            }
            if ((n % 16) == 0 && mono_ms() > until)
                break;
            if (!loop_wait_wake())
                break;
        }
        waiting(w, lc, -1);
        return rc;
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += LOCK_BUDGET_S;
    return pthread_mutex_timedlock(&w->lock, &dl) == 0 ? 0 : -1;
}

int sq_write_lock(sq_conn_t *c, bool group, apierr_t *err)
{
    sq_writer_t *w = c->store->drv_state;
    if (!w || c->writer || c->locked)
        return 0;
    if (tl_locked > 0) { /* a second connection of this thread: it would wait forever */
        log_warn("write transaction on a second connection of one thread", NULL);
        return apierr_set(err, 503, "database_busy", "the database is busy; retry");
    }
    if (pthread_mutex_trylock(&w->lock) != 0 && wait_lock(w) < 0)
        return apierr_set(err, 503, "database_busy", "the database is busy; retry");
    tl_locked++;
    c->locked = true;
    if (!w->conn && !w->conn_failed)
        open_writer(c->store, w);
    /* A connection with a statement or transaction of its own open keeps
     * its writes (they must see its snapshot); it still holds the lock. */
    c->route = w->conn && !c->streaming && sqlite3_get_autocommit(c->db) ? w->conn : NULL;
    if (!group || !c->route || !w->group_on)
        group_finish(w, true); /* a write of its own: the writer must be idle */
    return 1;
}

void sq_write_unlock(sq_conn_t *c)
{
    sq_writer_t *w = c->store->drv_state;
    if (!w || !c->locked)
        return;
    c->locked = false;
    c->route = NULL;
    tl_locked--;
    pthread_mutex_unlock(&w->lock);
    wake_waiters(w);
}

/* ---- group commit ----
 *
 * A commit costs a WAL append of every page the transaction touched
 * (~4 pages for a message) and the writer's BEGIN its WAL-index reads;
 * concurrent transactions touch many of the same pages. So a coroutine's
 * write transaction on a loop is a SAVEPOINT inside one outer
 * transaction, the group: the first member opens it (BEGIN IMMEDIATE),
 * and the first loop with a member to reach the end of its current turn
 * commits it, with the members every loop added meanwhile. A member
 * releases its savepoint and the write lock, then waits for the group's
 * COMMIT (its loop serves other sockets meanwhile); only then does its
 * caller go on,
 * so nothing is answered or published before it is committed, and other
 * connections never see a member's writes before then. A member that
 * rolls back undoes only its savepoint. Should SQLite roll the whole
 * transaction back on an error (I/O, full disk), every member waiting
 * gets the error. Anyone who takes the lock to write otherwise (a thread
 * outside a coroutine, the checkpointer, a connection writing for itself)
 * commits the open group first.
 */

static int exec_rc(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* The loops whose coroutines waited for a group: woken once the lock is
 * released (the caller's own loop at once when it may). */
typedef struct {
    loop_ctx_t *lc[WAKE_SLOTS];
    int n;
} wake_set_t;

static void wake_set(const wake_set_t *ws, bool here_now)
{
    for (int i = 0; i < ws->n; i++) {
        if (here_now)
            loop_wake_now(ws->lc[i]);
        else
            loop_wake(ws->lc[i]); /* more loops than slots: their 1 ms tick */
    }
}

/* Under lock: commits (or rolls back) the open group and tells its
 * waiters; their loops go to ws, to be woken once the lock is released.
 * Their nodes vanish once told, so their loops are read first. */
static void group_finish_to(sq_writer_t *w, bool commit, wake_set_t *ws)
{
    if (!w->group_open)
        return;
    sqlite3 *db = w->conn->db;
    int rc = commit ? exec_rc(db, "COMMIT") : SQLITE_ABORT;
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
        exec_rc(db, "ROLLBACK");
    w->group_open = false;
    atomic_fetch_add_explicit(&w->group_commits, 1, memory_order_relaxed);
    sq_gwait_t *g = w->gwait_head;
    w->gwait_head = w->gwait_tail = NULL;
    while (g) {
        sq_gwait_t *next = g->next;
        int i = 0;
        while (i < ws->n && ws->lc[i] != g->lc)
            i++;
        if (i == ws->n && ws->n < WAKE_SLOTS)
            ws->lc[ws->n++] = g->lc;
        g->rc = rc;
        atomic_store_explicit(&g->done, true, memory_order_release);
        g = next;
    }
}

static void group_finish(sq_writer_t *w, bool commit)
{
    wake_set_t ws = {.n = 0};
    group_finish_to(w, commit, &ws);
    wake_set(&ws, false);
}

/* The opener's loop, at the end of the turn: commit unless someone did.
 * A lock held elsewhere (the checkpointer's 2-4 ms finish) is not waited
 * for here: next turn. */
static void group_turn_end(void *arg)
{
    sq_writer_t *w = arg;
    if (pthread_mutex_trylock(&w->lock) != 0) {
        if (loop_at_turn_end(group_turn_end, w) == 0)
            return;
        pthread_mutex_lock(&w->lock);
    }
    wake_set_t ws = {.n = 0};
    group_finish_to(w, true, &ws);
    pthread_mutex_unlock(&w->lock);
    wake_waiters(w);
    wake_set(&ws, true); /* this loop's members resume in this turn */
}

bool sq_group_capable(const sq_conn_t *c)
{
    const sq_writer_t *w = c->store->drv_state;
    loop_ctx_t *lc = loop_ctx_get();
    return w && w->group_on && !c->writer && coro_current() && lc && lc->loop &&
           lc->group_commit;
}

int sq_group_enter(sq_conn_t *c, int *rc)
{
    sq_writer_t *w = c->store->drv_state;
    sqlite3 *db = w->conn->db;
    /* Every loop with a member commits the open group at the end of its
     * own turn (the first to get there does): a member never waits for a
     * long turn of another loop. Once per turn per loop. */
    if (loop_at_turn_end(group_turn_end, w) < 0) {
        *rc = SQLITE_NOMEM; /* not seen: 8 slots, the writer uses one */
        return -1;
    }
    if (!w->group_open) {
        if ((*rc = exec_rc(db, "BEGIN IMMEDIATE")) != SQLITE_OK)
            return -1;
        w->group_open = true;
    }
    if ((*rc = exec_rc(db, "SAVEPOINT sq_member")) != SQLITE_OK)
        return -1;
    c->grouped = true;
    return 0;
}

/* Under lock, c's savepoint ended: waits (lock released) for the open
 * group's COMMIT; its SQLite code. */
static int group_wait(sq_writer_t *w, sq_conn_t *c)
{
    sq_gwait_t g = {.lc = loop_ctx_get()};
    if (w->gwait_tail)
        w->gwait_tail->next = &g;
    else
        w->gwait_head = &g;
    w->gwait_tail = &g;
    sq_write_unlock(c);
    while (!atomic_load_explicit(&g.done, memory_order_acquire)) {
        if (!loop_wait_wake()) { /* cannot wait here: commit it now */
            pthread_mutex_lock(&w->lock);
            group_finish(w, true);
            pthread_mutex_unlock(&w->lock);
            wake_waiters(w);
        }
    }
    return g.rc;
}

int sq_group_leave(sq_conn_t *c, bool commit)
{
    sq_writer_t *w = c->store->drv_state;
    sqlite3 *db = w->conn->db;
    int rc = SQLITE_OK;
    c->grouped = false;
    if (commit && (rc = exec_rc(db, "RELEASE sq_member")) == SQLITE_OK) {
        atomic_fetch_add_explicit(&w->grouped, 1, memory_order_relaxed);
        return group_wait(w, c);
    }
    if (!sqlite3_get_autocommit(db)) {
        exec_rc(db, "ROLLBACK TO sq_member");
        exec_rc(db, "RELEASE sq_member");
    }
    if (sqlite3_get_autocommit(db)) { /* SQLite undid the whole group */
        group_finish(w, false);
    } else if (w->gwait_head) {
        /* What this member ran into (a unique key another member took) is
         * committed when its caller looks for it, as without groups. */
        group_wait(w, c);
        return commit ? rc : SQLITE_OK;
    }
    sq_write_unlock(c);
    return commit ? rc : SQLITE_OK;
}

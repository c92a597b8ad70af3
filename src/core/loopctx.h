/*
 * loopctx.h - what belongs to one event-loop thread.
 *
 * Each serving thread owns one loop_ctx_t: its libuv loop, its database
 * handle and its metrics. The thread sets it with loop_ctx_set() before it
 * runs anything else; code deep in a handler finds it with loop_ctx_get().
 * Nothing here is shared between threads except through atomics.
 */
#ifndef TRAVLOC_LOOPCTX_H
#define TRAVLOC_LOOPCTX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

struct store_conn;
struct http_metrics;
struct server;

struct loop_turn;

typedef struct loop_ctx {
    uv_loop_t *loop;
    int index;                   /* 0..threads-1 */
    struct store_conn *db;       /* this thread's database handle */
    struct http_metrics *metrics;
    struct server *server;
    /* SQLite write transactions of this loop's coroutines may be grouped
     * into one commit per turn (store/sqlite_writer.c); the HTTP loops set
     * it, the job worker's loop (which batches its own writes) does not */
    bool group_commit;
    /* loop_wait_wake: an async handle other threads signal, a 1 ms tick
     * while anyone waits (made on first use, closed with the loop) */
    uv_async_t wake;
    uv_timer_t wake_tick;
    _Atomic int wake_ready;
    struct loop_turn *wake_head, *wake_tail;
    /* loop_at_turn_end: a check handle and an idle one (so the turn does
     * not sleep in poll first), made on first use, closed with the loop */
    uv_check_t turn_check;
    uv_idle_t turn_idle;
    bool turn_ready;
    int turn_n;
    struct loop_turn_fn {
        void (*fn)(void *);
        void *arg;
    } turn_fns[8];
} loop_ctx_t;

void loop_ctx_set(loop_ctx_t *lc);
loop_ctx_t *loop_ctx_get(void);

/* Runs fn(arg) on libuv's thread pool while the calling coroutine waits;
 * outside a coroutine it runs fn inline. Returns 0, or -1 if the work could
 * not be queued (fn did not run). */
int loop_run_blocking(void (*fn)(void *), void *arg);

/* Suspends the calling coroutine for ms milliseconds (the loop keeps
 * serving). Outside a coroutine it does nothing. */
void loop_sleep(int ms);

/* Suspends the calling coroutine until another thread calls loop_wake()
 * on this loop, or about a millisecond passed, whichever comes first
 * (callers re-check what they wait for). false, at once, outside a
 * coroutine on a loop. */
bool loop_wait_wake(void);
/* The loop's own thread: runs fn(arg) once, after the I/O callbacks of
 * the current turn (libuv's check phase; the loop does not sleep in poll
 * before it); asking again for the same fn and arg before then changes
 * nothing. fn runs on the loop's stack and may schedule itself again
 * (then it runs at the end of the next turn). 0, or -1 when this thread
 * has no loop or too many are pending (fn will not run). */
int loop_at_turn_end(void (*fn)(void *), void *arg);
/* Any thread: resumes lc's loop_wait_wake() waiters. lc must have waited
 * before (its handle exists) and still be running. */
void loop_wake(loop_ctx_t *lc);
/* loop_wake, but when lc is the calling thread's loop and the caller is on
 * the loop's own stack (not in a coroutine, holding nothing the waiters
 * need), the waiters resume right here instead of at the next turn. */
void loop_wake_now(loop_ctx_t *lc);

#endif

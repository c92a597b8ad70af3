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
    /* loop_next_turn: one idle handle (made on first use, closed with the
     * loop's other handles) and the coroutines waiting for it */
    uv_idle_t turn;
    int turn_ready;
    struct loop_turn *turn_head, *turn_tail;
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

/* Suspends the calling coroutine until the loop's next iteration (it polls
 * its sockets meanwhile). false, at once, outside a coroutine on a loop. */
bool loop_next_turn(void);

#endif

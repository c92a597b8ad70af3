/*
 * coro.h - stackful coroutines on ucontext, one scheduler per loop thread.
 *
 * A request handler runs in a coroutine so that it can be written as a
 * straight story ("parse, check, query, respond") while a PostgreSQL query
 * or a thread-pool job is in flight: the driver calls coro_yield() and
 * whatever completes the work calls coro_resume() from the event loop.
 *
 * Ownership: coro_spawn allocates the coroutine and takes a stack from a
 * per-thread free list; when the entry function returns, the coroutine is
 * finished and its memory goes back to the free list (the caller of
 * coro_resume sees coro_resume() return 1). A coroutine must never be
 * resumed after it finished. Stacks are guard-paged mmap regions.
 */
#ifndef TRAVLOC_CORO_H
#define TRAVLOC_CORO_H

#include <stddef.h>

typedef struct coro coro_t;
typedef void (*coro_fn)(void *arg);

/* Creates a coroutine; it does not run until coro_resume. When fn returns,
 * done(arg) runs on the loop's own stack (so it may spawn and resume other
 * coroutines) before coro_resume returns 1. done may be NULL. NULL on OOM. */
coro_t *coro_spawn(coro_fn fn, coro_fn done, void *arg);
/* Runs co until it yields (returns 0) or finishes (returns 1, co is gone).
 * Must be called from the loop's stack, never from inside a coroutine. */
int coro_resume(coro_t *co);
/* Suspends the running coroutine; returns when someone resumes it. */
void coro_yield(void);
/* The coroutine running on this thread, NULL on the loop's own stack. */
coro_t *coro_current(void);
/* Releases this thread's cached stacks (at loop shutdown). */
void coro_thread_cleanup(void);

#endif

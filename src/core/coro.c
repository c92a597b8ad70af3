/*
 * coro.c - coroutine switching.
 *
 * A coroutine's first entry goes through makecontext/setcontext (the only
 * portable way to start running on a new stack); every later switch uses
 * _setjmp/_longjmp, which, unlike swapcontext, makes no sigprocmask system
 * call. That keeps a request's stack switches to plain register saves.
 * A finished coroutine does not leave its stack: it parks in its
 * trampoline, and coro_spawn hands the parked one the next function, so
 * getcontext/setcontext (one sigprocmask call each) run once per stack,
 * not once per request.
 * Under AddressSanitizer each switch is announced with the fiber API so
 * ASan tracks which stack is live.
 */
#include "core/coro.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#else
#define CORO_ASAN 0
#endif

#define CORO_STACK (256 * 1024)
#define CORO_CACHE 64

struct coro {
    jmp_buf jb;            /* where the coroutine resumes after a yield */
    ucontext_t uc;         /* first entry only */
    coro_fn fn;
    coro_fn done_fn;
    void *arg;
    void *stack;           /* mmap region; first page is the guard */
    void *fake;            /* ASan fake stack while switched out */
    int started;
    int done;
    coro_t *next_free;
};

static _Thread_local jmp_buf loop_jb;
static _Thread_local coro_t *current;
static _Thread_local coro_t *free_list;
static _Thread_local int free_count;
#if CORO_ASAN
static _Thread_local void *loop_fake;
static _Thread_local const void *loop_stack_bottom;
static _Thread_local size_t loop_stack_size;
#endif

static size_t page_size(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static void *stack_bottom(coro_t *co) { return (char *)co->stack + page_size(); }

/* Entering a coroutine's stack (fresh or after a yield). */
static inline void arrived_in_coro(coro_t *co)
{
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(co->fake, &loop_stack_bottom, &loop_stack_size);
#else
    (void)co;
#endif
}

/* Leaving a coroutine's stack; `finished` destroys its fake stack. */
static inline void leaving_coro(coro_t *co, int finished)
{
#if CORO_ASAN
    __sanitizer_start_switch_fiber(finished ? NULL : &co->fake, loop_stack_bottom,
                                   loop_stack_size);
#else
    (void)co;
    (void)finished;
#endif
}

static void trampoline(unsigned lo, unsigned hi)
{
    coro_t *co = (coro_t *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
    arrived_in_coro(co);
    for (;;) {
        co->fn(co->arg);
        co->done = 1;
        leaving_coro(co, 1);
        /* Parked: coro_resume jumps back here with the next function. */
        if (!_setjmp(co->jb))
            _longjmp(loop_jb, 1);
        arrived_in_coro(co);
    }
}

static coro_t *coro_alloc(void)
{
    if (free_list) {
        coro_t *co = free_list;
        free_list = co->next_free;
        free_count--;
        return co;
    }
    coro_t *co = calloc(1, sizeof *co);
    if (!co)
        return NULL;
    co->stack = mmap(NULL, CORO_STACK + page_size(), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->stack == MAP_FAILED) {
        free(co);
        return NULL;
    }
    mprotect(co->stack, page_size(), PROT_NONE);
    return co;
}

static void coro_release(coro_t *co)
{
    if (free_count < CORO_CACHE) {
        co->next_free = free_list;
        free_list = co;
        free_count++;
        return;
    }
    munmap(co->stack, CORO_STACK + page_size());
    free(co);
}

coro_t *coro_spawn(coro_fn fn, coro_fn done, void *arg)
{
    coro_t *co = coro_alloc();
    if (!co)
        return NULL;
    co->fn = fn;
    co->done_fn = done;
    co->arg = arg;
    co->done = 0;
    co->fake = NULL;
    if (co->started) /* a parked stack from the free list */
        return co;
    getcontext(&co->uc);
    co->uc.uc_stack.ss_sp = stack_bottom(co);
    co->uc.uc_stack.ss_size = CORO_STACK;
    co->uc.uc_link = NULL;
    uintptr_t p = (uintptr_t)co;
    makecontext(&co->uc, (void (*)(void))trampoline, 2, (unsigned)(p & 0xffffffffu),
                (unsigned)(p >> 32));
    return co;
}

int coro_resume(coro_t *co)
{
    coro_t *prev = current;
    current = co;
    if (!_setjmp(loop_jb)) {
#if CORO_ASAN
        __sanitizer_start_switch_fiber(&loop_fake, stack_bottom(co), CORO_STACK);
#endif
        if (!co->started) {
            co->started = 1;
            setcontext(&co->uc);
        }
        _longjmp(co->jb, 1);
    }
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(loop_fake, NULL, NULL);
#endif
    current = prev;
    if (co->done) {
        coro_fn done = co->done_fn;
        void *arg = co->arg;
        coro_release(co);
        if (done)
            done(arg);
        return 1;
    }
    return 0;
}

void coro_yield(void)
{
    coro_t *co = current;
    if (!co)
        return;
    if (!_setjmp(co->jb)) {
        leaving_coro(co, 0);
        _longjmp(loop_jb, 1);
    }
    arrived_in_coro(co);
}

coro_t *coro_current(void)
{
    return current;
}

void coro_thread_cleanup(void)
{
    while (free_list) {
        coro_t *co = free_list;
        free_list = co->next_free;
        munmap(co->stack, CORO_STACK + page_size());
        free(co);
    }
    free_count = 0;
}

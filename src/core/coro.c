#include "core/coro.h"

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
    ucontext_t ctx;
    coro_fn fn;
    coro_fn done_fn;
    void *arg;
    void *stack;       /* mmap region; first page is the guard */
    int done;
    coro_t *next_free;
};

static _Thread_local ucontext_t loop_ctx;
static _Thread_local coro_t *current;
static _Thread_local coro_t *free_list;
static _Thread_local int free_count;
#if CORO_ASAN
static _Thread_local void *fake_stack;
static _Thread_local const void *loop_stack_bottom;
static _Thread_local size_t loop_stack_size;
#endif

static void trampoline(unsigned lo, unsigned hi)
{
    coro_t *co = (coro_t *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop_stack_bottom, &loop_stack_size);
#endif
    co->fn(co->arg);
    co->done = 1;
#if CORO_ASAN
    __sanitizer_start_switch_fiber(NULL, loop_stack_bottom, loop_stack_size);
#endif
    /* uc_link returns to loop_ctx. */
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
    long page = sysconf(_SC_PAGESIZE);
    co->stack = mmap(NULL, CORO_STACK + (size_t)page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->stack == MAP_FAILED) {
        free(co);
        return NULL;
    }
    mprotect(co->stack, (size_t)page, PROT_NONE);
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
    munmap(co->stack, CORO_STACK + (size_t)sysconf(_SC_PAGESIZE));
    free(co);
}

coro_t *coro_spawn(coro_fn fn, coro_fn done, void *arg)
{
    coro_t *co = coro_alloc();
    if (!co)
        return NULL;
    long page = sysconf(_SC_PAGESIZE);
    co->fn = fn;
    co->done_fn = done;
    co->arg = arg;
    co->done = 0;
    getcontext(&co->ctx);
    co->ctx.uc_stack.ss_sp = (char *)co->stack + page;
    co->ctx.uc_stack.ss_size = CORO_STACK;
    co->ctx.uc_link = &loop_ctx;
    uintptr_t p = (uintptr_t)co;
    makecontext(&co->ctx, (void (*)(void))trampoline, 2, (unsigned)(p & 0xffffffffu),
                (unsigned)(p >> 32));
    return co;
}

int coro_resume(coro_t *co)
{
    coro_t *prev = current;
    current = co;
#if CORO_ASAN
    __sanitizer_start_switch_fiber(&fake_stack, (char *)co->stack + sysconf(_SC_PAGESIZE),
                                   CORO_STACK);
#endif
    swapcontext(&loop_ctx, &co->ctx);
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
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
#if CORO_ASAN
    void *fs = NULL;
    __sanitizer_start_switch_fiber(&fs, loop_stack_bottom, loop_stack_size);
#endif
    swapcontext(&co->ctx, &loop_ctx);
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(fs, &loop_stack_bottom, &loop_stack_size);
#endif
}

coro_t *coro_current(void)
{
    return current;
}

void coro_thread_cleanup(void)
{
    long page = sysconf(_SC_PAGESIZE);
    while (free_list) {
        coro_t *co = free_list;
        free_list = co->next_free;
        munmap(co->stack, CORO_STACK + (size_t)page);
        free(co);
    }
    free_count = 0;
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/coro.h"

static int trace[64];
static int ntrace;
static coro_t *waiting[4];

static void step(void *arg)
{
    int id = (int)(intptr_t)arg;
    trace[ntrace++] = id * 10 + 1;
    waiting[id] = coro_current();
    coro_yield();
    trace[ntrace++] = id * 10 + 2;
    char big[32 * 1024]; /* deep-ish stack use is fine */
    big[0] = (char)id;
    big[sizeof big - 1] = big[0];
    trace[ntrace++] = id * 10 + 3 + (big[sizeof big - 1] - id);
}

static int done_count;
static void on_done(void *arg)
{
    (void)arg;
    done_count++;
}

static void test_interleaving(void **state)
{
    (void)state;
    ntrace = 0;
    done_count = 0;
    coro_t *a = coro_spawn(step, on_done, (void *)(intptr_t)1);
    coro_t *b = coro_spawn(step, on_done, (void *)(intptr_t)2);
    assert_null(coro_current());
    assert_int_equal(coro_resume(a), 0);
    assert_int_equal(coro_resume(b), 0);
    assert_int_equal(coro_resume(waiting[2]), 1);
    assert_int_equal(coro_resume(waiting[1]), 1);
    int want[] = {11, 21, 22, 23, 12, 13};
    assert_int_equal(ntrace, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(trace[i], want[i]);
    assert_int_equal(done_count, 2);
    assert_null(coro_current());
}

static void quick(void *arg) { (*(int *)arg)++; }
static int chained;
static void chain_done(void *arg)
{
    /* A done callback may start the next coroutine (pipelined requests). */
    if (++chained < 100)
        coro_resume(coro_spawn(quick, chain_done, arg));
}

static void test_reuse_and_chaining(void **state)
{
    (void)state;
    int n = 0;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(coro_resume(coro_spawn(quick, NULL, &n)), 1);
    assert_int_equal(n, 1000);
    n = 0;
    chained = 0;
    coro_resume(coro_spawn(quick, chain_done, &n));
    assert_int_equal(n, 100);
    coro_yield(); /* outside a coroutine: a no-op */
    coro_thread_cleanup();
}

/* A finished coroutine parks on its stack and the next spawn reuses it
 * without a fresh context: it must run the new function from the start,
 * yield and resume like a new one, and finish again. */
static void test_parked_stack_runs_again(void **state)
{
    (void)state;
    ntrace = 0;
    done_count = 0;
    coro_t *a = coro_spawn(step, on_done, (void *)(intptr_t)1);
    assert_int_equal(coro_resume(a), 0);
    assert_int_equal(coro_resume(waiting[1]), 1);
    coro_t *b = coro_spawn(step, on_done, (void *)(intptr_t)3);
    assert_ptr_equal(a, b); /* the parked one, taken from the free list */
    assert_int_equal(coro_resume(b), 0);
    assert_ptr_equal(waiting[3], b);
    assert_int_equal(coro_resume(b), 1);
    int want[] = {11, 12, 13, 31, 32, 33};
    assert_int_equal(ntrace, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(trace[i], want[i]);
    assert_int_equal(done_count, 2);
    coro_thread_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interleaving),
        cmocka_unit_test(test_parked_stack_runs_again),
        cmocka_unit_test(test_reuse_and_chaining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

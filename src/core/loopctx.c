#include "core/loopctx.h"

#include "core/coro.h"

#include <string.h>

static _Thread_local loop_ctx_t *tl_ctx;

void loop_ctx_set(loop_ctx_t *lc) { tl_ctx = lc; }
loop_ctx_t *loop_ctx_get(void) { return tl_ctx; }

typedef struct {
    uv_work_t w;
    void (*fn)(void *);
    void *arg;
    coro_t *co;
    int done;
} blocking_t;

static void work_cb(uv_work_t *w)
{
    blocking_t *b = w->data;
    b->fn(b->arg);
}

static void after_cb(uv_work_t *w, int status)
{
    (void)status;
    blocking_t *b = w->data;
    b->done = 1;
    coro_resume(b->co);
}

int loop_run_blocking(void (*fn)(void *), void *arg)
{
    coro_t *co = coro_current();
    if (!co || !tl_ctx) {
        fn(arg);
        return 0;
    }
    blocking_t b = {.fn = fn, .arg = arg, .co = co};
    b.w.data = &b;
    if (uv_queue_work(tl_ctx->loop, &b.w, work_cb, after_cb) != 0)
        return -1;
    while (!b.done)
        coro_yield();
    return 0;
}

typedef struct {
    uv_timer_t t;
    coro_t *co;
    int fired;
} sleeper_t;

static void sleep_fired(uv_timer_t *t)
{
    sleeper_t *s = t->data;
    s->fired = 1;
    coro_resume(s->co);
}

static void sleep_closed(uv_handle_t *h)
{
    sleeper_t *s = h->data;
    coro_t *co = s->co;
    s->fired = 2;
    coro_resume(co);
}

void loop_sleep(int ms)
{
    coro_t *co = coro_current();
    if (!co || !tl_ctx || ms <= 0)
        return;
    sleeper_t s = {.co = co};
    uv_timer_init(tl_ctx->loop, &s.t);
    s.t.data = &s;
    uv_timer_start(&s.t, sleep_fired, (uint64_t)ms, 0);
    while (s.fired != 1)
        coro_yield();
    /* The handle lives on this stack: wait until libuv is done with it. */
    uv_close((uv_handle_t *)&s.t, sleep_closed);
    while (s.fired != 2)
        coro_yield();
}

/* ---- wake-ups from other threads ---- */

typedef struct loop_turn {
    coro_t *co;
    struct loop_turn *next;
    bool ready;
} loop_turn_t;


static void wake_all(loop_ctx_t *lc)
{
    loop_turn_t *t = lc->wake_head;
    lc->wake_head = lc->wake_tail = NULL;
    uv_timer_stop(&lc->wake_tick);
    while (t) {
        loop_turn_t *next = t->next;
        t->ready = true;
        coro_resume(t->co);
        t = next;
    }
}

static void wake_cb(uv_async_t *a) { wake_all(a->data); }
static void wake_tick_cb(uv_timer_t *t) { wake_all(t->data); }

bool loop_wait_wake(void)
{
    coro_t *co = coro_current();
    loop_ctx_t *lc = tl_ctx;
    if (!co || !lc || !lc->loop)
        return false;
    if (!atomic_load(&lc->wake_ready)) {
        if (uv_async_init(lc->loop, &lc->wake, wake_cb) != 0)
            return false;
        uv_timer_init(lc->loop, &lc->wake_tick);
        lc->wake.data = lc->wake_tick.data = lc;
        uv_unref((uv_handle_t *)&lc->wake);
        uv_unref((uv_handle_t *)&lc->wake_tick);
        atomic_store(&lc->wake_ready, 1);
    }
    loop_turn_t t = {.co = co};
    if (lc->wake_tail)
        lc->wake_tail->next = &t;
    else
        lc->wake_head = &t;
    lc->wake_tail = &t;
    if (!uv_is_active((uv_handle_t *)&lc->wake_tick))
        uv_timer_start(&lc->wake_tick, wake_tick_cb, 1, 1);
    while (!t.ready)
        coro_yield();
    return true;
}

void loop_wake_now(loop_ctx_t *lc)
{
    if (lc && lc == tl_ctx && !coro_current() && lc->wake_head)
        wake_all(lc);
    else
        loop_wake(lc);
}

void loop_wake(loop_ctx_t *lc)
{
    if (lc && atomic_load(&lc->wake_ready))
        uv_async_send(&lc->wake);
}

/* ---- end of turn ---- */

static void turn_idle_cb(uv_idle_t *h) { (void)h; }

static void turn_check_cb(uv_check_t *h)
{
    loop_ctx_t *lc = h->data;
    int n = lc->turn_n;
    struct loop_turn_fn run[sizeof lc->turn_fns / sizeof lc->turn_fns[0]];
    memcpy(run, lc->turn_fns, (size_t)n * sizeof run[0]);
    lc->turn_n = 0;
    uv_check_stop(&lc->turn_check);
    uv_idle_stop(&lc->turn_idle);
    for (int i = 0; i < n; i++)
        run[i].fn(run[i].arg); /* may schedule again */
}

int loop_at_turn_end(void (*fn)(void *), void *arg)
{
    loop_ctx_t *lc = tl_ctx;
    if (!lc || !lc->loop)
        return -1;
    if (!lc->turn_ready) {
        if (uv_check_init(lc->loop, &lc->turn_check) != 0 ||
            uv_idle_init(lc->loop, &lc->turn_idle) != 0)
            return -1;
        lc->turn_check.data = lc->turn_idle.data = lc;
        lc->turn_ready = true; /* active (keeping the loop alive) only while due */
    }
    for (int i = 0; i < lc->turn_n; i++)
        if (lc->turn_fns[i].fn == fn && lc->turn_fns[i].arg == arg)
            return 0; /* already due */
    if (lc->turn_n == (int)(sizeof lc->turn_fns / sizeof lc->turn_fns[0]))
        return -1;
    lc->turn_fns[lc->turn_n].fn = fn;
    lc->turn_fns[lc->turn_n].arg = arg;
    if (lc->turn_n++ == 0) {
        uv_check_start(&lc->turn_check, turn_check_cb);
        uv_idle_start(&lc->turn_idle, turn_idle_cb);
    }
    return 0;
}

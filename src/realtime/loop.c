/* realtime/loop.c -- per-loop realtime state, the cross-loop mailbox and
 * the engine's lifecycle.
 *
 * Each loop has a mailbox: a mutex-protected singly linked list of tasks
 * and a uv_async_t that wakes the loop to run them. rt_post() may be
 * called from any thread; tasks run on the target loop in posting order.
 * A loop that is not running (not started yet, or finished) refuses posts
 * so that nothing is ever queued where nobody will run it.
 *
 * The sweep timer (1 s) expires typing indicators, server-side acks and,
 * on loop 0, old recovery records.
 */
#include "realtime/rt_int.h"
#include "realtime/seqorder.h"

#include "core/clock.h"
#include "core/loopctx.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rt_global_t RT;

rt_loop_t *rt_loop_here(void)
{
    loop_ctx_t *lc = loop_ctx_get();
    if (!lc || !RT.loops || lc->index < 0 || lc->index >= RT.nloops)
        return NULL;
    return &RT.loops[lc->index];
}

void rt_random_id(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[64];
    if (n > sizeof raw)
        n = sizeof raw;
    randombytes_buf(raw, n);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & 63];
    out[n] = '\0';
}

/* ---- messages ---- */

rt_msg_t *rt_msg_new(bool binary, const void *a, size_t alen, const void *b, size_t blen)
{
    rt_msg_t *m = malloc(sizeof *m + alen + blen + 1);
    if (!m) {
        fputs("travloc: out of memory\n", stderr);
        abort();
    }
    atomic_init(&m->refs, 1);
    m->binary = binary;
    m->len = alen + blen;
    if (alen)
        memcpy(m->data, a, alen);
    if (blen)
        memcpy(m->data + alen, b, blen);
    m->data[m->len] = '\0';
    return m;
}

rt_msg_t *rt_msg_ref(rt_msg_t *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void rt_msg_unref(rt_msg_t *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        free(m);
}

/* ---- mailbox ---- */

int rt_post(int index, rt_task_t *t)
{
    if (!RT.loops || index < 0 || index >= RT.nloops)
        return -1;
    rt_loop_t *lp = &RT.loops[index];
    t->next = NULL;
    uv_mutex_lock(&lp->mu);
    if (!lp->running) {
        uv_mutex_unlock(&lp->mu);
        return -1;
    }
    if (lp->tail)
        lp->tail->next = t;
    else
        lp->head = t;
    lp->tail = t;
    uv_async_send(&lp->async);
    uv_mutex_unlock(&lp->mu);
    return 0;
}

static void on_mail(uv_async_t *a)
{
    rt_loop_t *lp = a->data;
    uv_mutex_lock(&lp->mu);
    rt_task_t *t = lp->head;
    lp->head = lp->tail = NULL;
    uv_mutex_unlock(&lp->mu);
    while (t) {
        rt_task_t *next = t->next;
        t->fn(t);
        t = next;
    }
}

static void on_sweep(uv_timer_t *t)
{
    rt_loop_t *lp = t->data;
    int64_t now = clock_now_ms();
    for (rt_session_t *s = lp->list, *n; s; s = n) {
        n = s->next;
        rt_sio_sweep(s, now);
    }
    if (lp->index == 0) {
        rt_recovery_sweep(now);
        seqorder_sweep(now, rt_log_publish);
    }
}

/* ---- lifecycle ---- */

int realtime_init(const config_t *cfg, int nloops)
{
    RT.cfg = (rt_cfg_t){
        .ping_interval_ms = (uint32_t)cfg->rt_ping_interval_ms,
        .ping_timeout_ms = (uint32_t)cfg->rt_ping_timeout_ms,
        .max_payload = (size_t)cfg->rt_max_payload,
        .recovery_ms = (int64_t)cfg->rt_recovery_window_s * 1000,
        .events_per_s = cfg->rt_events_per_s,
        .max_sockets_per_user = cfg->rt_max_sockets_per_user,
        .typing_ttl_ms = 5000,
    };
    if ((int64_t)RT.cfg.max_payload > cfg->max_body)
        RT.cfg.max_payload = (size_t)cfg->max_body; /* polling bodies obey the server limit */
    RT.cfg.max_queue_bytes = RT.cfg.max_payload * 4 + (1u << 20);
    RT.cfg.max_sessions = (size_t)cfg->max_connections;
    RT.cfg.connect_timeout_ms = 45000;
    RT.nloops = nloops;
    RT.loops = calloc((size_t)nloops, sizeof *RT.loops);
    if (!RT.loops)
        return -1;
    for (int i = 0; i < nloops; i++) {
        RT.loops[i].index = i;
        uv_mutex_init(&RT.loops[i].mu);
    }
    rt_recovery_init();
    rt_presence_init();
    return 0;
}

void realtime_loop_start(int index, uv_loop_t *loop)
{
    rt_loop_t *lp = &RT.loops[index];
    lp->uv = loop;
    uv_async_init(loop, &lp->async, on_mail);
    lp->async.data = lp;
    uv_timer_init(loop, &lp->sweep);
    lp->sweep.data = lp;
    uv_timer_start(&lp->sweep, on_sweep, 1000, 1000);
    uv_unref((uv_handle_t *)&lp->sweep);
    uv_mutex_lock(&lp->mu);
    lp->running = true;
    uv_mutex_unlock(&lp->mu);
}

/* Shutdown begins: every session closes (WebSockets with a close frame,
 * pending polls answered), so their HTTP connections can drain. */
bool realtime_loop_drain(int index, void (*drained)(void *arg), void *arg)
{
    rt_loop_t *lp = &RT.loops[index];
    lp->draining = true;
    lp->drained = drained;
    lp->drained_arg = arg;
    for (rt_session_t *s = lp->list, *n; s; s = n) {
        n = s->next;
        if (s->probe && s->probe_acked && !s->waiter) {
            s->end_on_upgrade = true; /* see realtime.h: the client is mid-upgrade */
            lp->upgrading++;
        } else {
            rt_session_close(s, "server shutting down");
        }
    }
    return lp->upgrading > 0;
}

void rt_loop_upgrade_ended(rt_loop_t *lp)
{
    if (--lp->upgrading == 0 && lp->drained)
        lp->drained(lp->drained_arg);
}

static void noop_close(uv_handle_t *h) { (void)h; }

/* The loop stopped: refuse new mail, run what is queued, close the rest.
 * The caller's final uv_run runs the close callbacks that free memory. */
void realtime_loop_fini(int index)
{
    rt_loop_t *lp = &RT.loops[index];
    if (!lp->uv)
        return;
    uv_mutex_lock(&lp->mu);
    lp->running = false;
    uv_mutex_unlock(&lp->mu);
    on_mail(&lp->async);
    lp->draining = true;
    lp->drained = NULL;
    while (lp->list)
        rt_session_close(lp->list, "server stopped");
    rt_ws_close_all(lp);
    rt_deflate_thread_cleanup();
    uv_close((uv_handle_t *)&lp->async, noop_close);
    uv_close((uv_handle_t *)&lp->sweep, noop_close);
}

static void free_room(void *v) { free(v); }

void realtime_shutdown(void)
{
    for (int i = 0; i < RT.nloops; i++) {
        /* realtime_loop_fini emptied the mailbox and refused later posts. */
        hmap_free(&RT.loops[i].sessions, NULL);
        hmap_free(&RT.loops[i].rooms, free_room);
        uv_mutex_destroy(&RT.loops[i].mu);
    }
    free(RT.loops);
    RT.loops = NULL;
    RT.nloops = 0;
    rt_recovery_fini();
    rt_presence_fini();
    rt_typing_remote_fini();
    seqorder_clear();
    hmap_free(&RT.handlers, NULL);
}

void realtime_set_entitlement(realtime_entitlement_fn fn) { RT.entitle = fn; }

int realtime_on(const char *event, realtime_event_fn fn)
{
    if (!event || !*event || !fn)
        return -1;
    union {
        realtime_event_fn fn;
        void *p;
    } u = {.fn = fn};
    hmap_put(&RT.handlers, event, u.p);
    return 0;
}

#include "realtime/seqorder.h"

#include "realtime/hmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct held {
    int64_t seq, at_ms;
    char *gid;
    struct held *next; /* ascending seq */
    size_t len;
    char data[];
} held_t;

typedef struct {
    int64_t last;    /* last seq emitted, 0: none yet */
    int64_t used_ms; /* last offer */
    held_t *held;
    size_t nheld;
} room_t;

static hmap_t rooms = HMAP_INIT;
static uv_mutex_t mu;
static uv_once_t once = UV_ONCE_INIT;

static void init(void) { uv_mutex_init(&mu); }

static void held_free(held_t *h)
{
    free(h->gid);
    free(h);
}

static int emit_held(const char *room, room_t *r, held_t *h, seqorder_emit_fn emit)
{
    if (h->seq > r->last)
        r->last = h->seq;
    int rc = emit(room, h->data, h->len, h->gid);
    held_free(h);
    r->nheld--;
    return rc;
}

/* Emits what the last emitted seq unblocked. */
static void drain(const char *room, room_t *r, seqorder_emit_fn emit)
{
    while (r->held && r->held->seq <= r->last + 1) {
        held_t *h = r->held;
        r->held = h->next;
        emit_held(room, r, h, emit);
    }
}

static void flush_all(const char *room, room_t *r, seqorder_emit_fn emit)
{
    while (r->held) {
        held_t *h = r->held;
        r->held = h->next;
        emit_held(room, r, h, emit);
    }
}

static bool hold(room_t *r, int64_t seq, const char *data, size_t len, const char *gid,
                 int64_t now_ms)
{
    held_t *h = malloc(sizeof *h + len);
    if (!h)
        return false;
    h->seq = seq;
    h->at_ms = now_ms;
    h->len = len;
    memcpy(h->data, data, len);
    h->gid = gid ? strdup(gid) : NULL;
    if (gid && !h->gid) {
        free(h);
        return false;
    }
    held_t **p = &r->held;
    while (*p && (*p)->seq < seq)
        p = &(*p)->next;
    h->next = *p;
    *p = h;
    r->nheld++;
    return true;
}

int seqorder_offer(const char *room, int64_t seq, const char *data, size_t len, const char *gid,
                   int64_t now_ms, seqorder_emit_fn emit)
{
    uv_once(&once, init);
    uv_mutex_lock(&mu);
    room_t *r = hmap_get(&rooms, room);
    if (!r && (r = calloc(1, sizeof *r)))
        hmap_put(&rooms, room, r);
    int rc = 0;
    if (!r) {
        rc = emit(room, data, len, gid);
    } else if (r->last == 0 || seq <= r->last + 1) {
        r->used_ms = now_ms;
        if (seq > r->last)
            r->last = seq;
        rc = emit(room, data, len, gid);
        drain(room, r, emit);
    } else {
        r->used_ms = now_ms;
        if (!hold(r, seq, data, len, gid, now_ms)) {
            rc = emit(room, data, len, gid);
        } else if (r->nheld > SEQORDER_MAX_HELD) {
            flush_all(room, r, emit);
        }
    }
    uv_mutex_unlock(&mu);
    return rc;
}

typedef struct {
    int64_t now;
    seqorder_emit_fn emit;
    const char *idle[64]; /* rooms to forget, a batch per sweep */
    size_t nidle;
} sweep_t;

static void sweep_room(const char *key, void *val, void *arg)
{
    sweep_t *s = arg;
    room_t *r = val;
    /* A gap older than the hold time will not fill: give up on it (and on
     * any before it), keep the order of the rest. */
    int64_t upto = 0;
    for (held_t *h = r->held; h; h = h->next)
        if (s->now - h->at_ms >= SEQORDER_HOLD_MS)
            upto = h->seq;
    while (r->held && r->held->seq <= upto) {
        held_t *h = r->held;
        r->held = h->next;
        emit_held(key, r, h, s->emit);
    }
    if (upto)
        drain(key, r, s->emit);
    if (!r->held && s->now - r->used_ms >= SEQORDER_IDLE_MS && s->nidle < 64)
        s->idle[s->nidle++] = key;
}

void seqorder_sweep(int64_t now_ms, seqorder_emit_fn emit)
{
    uv_once(&once, init);
    sweep_t s = {.now = now_ms, .emit = emit};
    uv_mutex_lock(&mu);
    hmap_each(&rooms, sweep_room, &s);
    for (size_t i = 0; i < s.nidle; i++) {
        char key[256];
        size_t n = strlen(s.idle[i]);
        if (n >= sizeof key)
            continue;
        memcpy(key, s.idle[i], n + 1); /* the entry owns the key */
        free(hmap_del(&rooms, key));
    }
    uv_mutex_unlock(&mu);
}

static void room_free(void *v)
{
    room_t *r = v;
    while (r->held) {
        held_t *h = r->held;
        r->held = h->next;
        held_free(h);
    }
    free(r);
}

void seqorder_clear(void)
{
    uv_once(&once, init);
    uv_mutex_lock(&mu);
    hmap_free(&rooms, room_free);
    rooms = (hmap_t)HMAP_INIT;
    uv_mutex_unlock(&mu);
}

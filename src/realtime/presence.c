/* realtime/presence.c -- who is online, process-wide.
 *
 * A mutex-protected map user id -> {sockets, last seen}. A user is online
 * while at least one socket is connected; last seen is the time the last
 * socket connected or disconnected. Entries are kept (they are small) so
 * that last seen survives; the map is freed at shutdown. This is also
 * where the per-user socket limit is enforced. In cluster mode the same
 * calls will go to Redis keys with a TTL.
 */
#include "realtime/rt_int.h"

#include "core/clock.h"

#include <stdlib.h>

typedef struct {
    int sockets;
    int64_t last_seen_ms;
} presence_t;

static uv_mutex_t P_mu;
static hmap_t P_map;

void rt_presence_init(void) { uv_mutex_init(&P_mu); }

static void free_entry(void *v) { free(v); }

void rt_presence_fini(void)
{
    hmap_free(&P_map, free_entry);
    uv_mutex_destroy(&P_mu);
}

bool rt_presence_connect(const char *user_id, int max)
{
    bool ok = true;
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            abort();
        hmap_put(&P_map, user_id, p);
    }
    if (max > 0 && p->sockets >= max) {
        ok = false;
    } else {
        p->sockets++;
        p->last_seen_ms = clock_now_ms();
    }
    uv_mutex_unlock(&P_mu);
    return ok;
}

void rt_presence_disconnect(const char *user_id)
{
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (p && p->sockets > 0) {
        p->sockets--;
        p->last_seen_ms = clock_now_ms();
    }
    uv_mutex_unlock(&P_mu);
}

void realtime_presence_get(const char *user_id, realtime_presence_t *out)
{
    *out = (realtime_presence_t){0};
    uv_mutex_lock(&P_mu);
    presence_t *p = hmap_get(&P_map, user_id);
    if (p) {
        out->online = p->sockets > 0;
        out->last_seen_ms = p->last_seen_ms;
    }
    uv_mutex_unlock(&P_mu);
}

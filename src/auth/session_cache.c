/*
 * session_cache.c - see session_cache.h. A direct-mapped table per thread
 * keyed by the session id; an entry holds both ids, the role, the
 * session's last_used_at and the store stamp it was read under.
 */
#include "auth/session_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SC_SLOTS 1024
#define SC_ID_MAX 64
#define SC_REFRESH_MS 60000 /* as the auth stage's last_used_at update */

typedef struct {
    char sid[SC_ID_MAX + 1], sub[SC_ID_MAX + 1], role[32];
    uint64_t stamp[2];
    int64_t last_used;
    bool used;
} sc_entry_t;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void key_init(void) { pthread_key_create(&g_key, free); }

static sc_entry_t *slot_of(const char *sid, bool create)
{
    pthread_once(&g_once, key_init);
    sc_entry_t *t = pthread_getspecific(g_key);
    if (!t && create) {
        t = calloc(SC_SLOTS, sizeof *t);
        if (t && pthread_setspecific(g_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    if (!t)
        return NULL;
    uint32_t h = 2166136261u;
    for (const char *p = sid; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &t[h % SC_SLOTS];
}

void session_cache_stamp(store_conn_t *db, session_stamp_t *st)
{
    st->ok = store_change_stamp(db, st->stamp) == 0;
}

bool session_cache_get(store_conn_t *db, const char *sid, const char *sub, int64_t now_ms,
                       char *role, size_t rolelen)
{
    sc_entry_t *e = slot_of(sid, false);
    if (!e || !e->used || strcmp(e->sid, sid) != 0 || strcmp(e->sub, sub) != 0 ||
        now_ms - e->last_used > SC_REFRESH_MS)
        return false;
    uint64_t now[2];
    if (store_change_stamp(db, now) != 0 || now[0] != e->stamp[0] || now[1] != e->stamp[1]) {
        e->used = false;
        return false;
    }
    size_t n = strlen(e->role);
    if (n >= rolelen)
        return false;
    memcpy(role, e->role, n + 1);
    return true;
}

void session_cache_put(const session_stamp_t *st, const char *sid, const char *sub,
                       const char *role, int64_t last_used_ms)
{
    if (!st->ok || strlen(sid) > SC_ID_MAX || strlen(sub) > SC_ID_MAX || strlen(role) >= 32)
        return;
    sc_entry_t *e = slot_of(sid, true);
    if (!e)
        return;
    strcpy(e->sid, sid);
    strcpy(e->sub, sub);
    strcpy(e->role, role);
    memcpy(e->stamp, st->stamp, sizeof e->stamp);
    e->last_used = last_used_ms;
    e->used = true;
}

/*
 * session_cache.c - see session_cache.h. A 4-way set-associative table per
 * thread keyed by the session id (a full set drops its oldest entry); an
 * entry holds both ids, the role, the session's last_used_at and the
 * store stamp it was read under. Also the
 * handler's half of a late session check (PostgreSQL).
 */
#include "auth/session_cache.h"

#include "core/clock.h"
#include "core/coro.h"
#include "http/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_WAYS 4
#define SC_SETS 256
#define SC_SLOTS (SC_WAYS * SC_SETS)
#define SC_ID_MAX 64
#define SC_REFRESH_MS 60000 /* as the auth stage's last_used_at update */

typedef struct {
    char sid[SC_ID_MAX + 1], sub[SC_ID_MAX + 1], role[32];
    uint64_t stamp[2];
    int64_t last_used;
    uint64_t put_at; /* this thread's put count then: the set's victim is the oldest */
    bool used;
} sc_entry_t;

static _Thread_local uint64_t t_puts;

/* The stamp of this thread's last hit, for session_cache_take_stamp. */
static _Thread_local struct {
    uint64_t stamp[2];
    coro_t *co;
    bool set;
} t_hit;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void key_init(void) { pthread_key_create(&g_key, free); }

/* The entry of sid in its set, or (create) the set's unused or oldest. */
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
    sc_entry_t *set = &t[(h % SC_SETS) * SC_WAYS], *victim = NULL;
    for (int i = 0; i < SC_WAYS; i++) {
        sc_entry_t *e = &set[i];
        if (e->used && strcmp(e->sid, sid) == 0)
            return e;
        if (!victim || (victim->used && (!e->used || e->put_at < victim->put_at)))
            victim = e;
    }
    return create ? victim : NULL;
}

void session_cache_stamp(store_conn_t *db, session_stamp_t *st)
{
    st->ok = store_change_stamp(db, st->stamp) == 0;
}

bool session_cache_get(store_conn_t *db, const char *sid, const char *sub, int64_t now_ms,
                       char *role, size_t rolelen)
{
    t_hit.set = false;
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
    memcpy(t_hit.stamp, now, sizeof t_hit.stamp);
    t_hit.co = coro_current();
    t_hit.set = true;
    return true;
}

bool session_cache_take_stamp(uint64_t stamp[2])
{
    if (!t_hit.set || t_hit.co != coro_current())
        return false;
    t_hit.set = false;
    memcpy(stamp, t_hit.stamp, sizeof t_hit.stamp);
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
    e->put_at = ++t_puts;
    e->used = true;
}

bool session_late(const http_req_t *req)
{
    struct store *st = server_store();
    return req->route && (req->route->flags & ROUTE_SESSION_LATE) &&
           req->route->need == ROUTE_NEED_ANY && st && store_kind(st) == STORE_POSTGRES;
}

int session_late_check(http_req_t *req, store_conn_t *db, const char *role, const char *status,
                       int64_t last_used_ms)
{
    if (!role || !status || strcmp(status, "active") != 0) {
        http_send_error(req, 401, "unauthorized", "%s",
                        "the session has ended or the account is not active");
        http_add_header(req, "WWW-Authenticate", "Bearer");
        return -1;
    }
    snprintf(req->role, sizeof req->role, "%s", role);
    int64_t now = clock_now_ms();
    if (now - last_used_ms > 60000) { /* as the auth stage (middleware.c) */
        store_arg_t u[] = {ARG_INT(now), ARG_TEXT(req->session_id)};
        apierr_t e = {0};
        store_exec(db, "UPDATE sessions SET last_used_at = $1 WHERE id = $2", u, 2, &e);
        apierr_clear(&e);
    }
    return 0;
}

int session_late_verify(http_req_t *req, store_conn_t *db)
{
    store_arg_t a[] = {ARG_TEXT(req->session_id), ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    apierr_t e = {0};
    if (store_query(db, SESSION_ROW_SQL, a, 2, &r, &e) < 0) {
        http_send_apierr(req, &e);
        return -1;
    }
    bool live = r->nrows == 1;
    int rc = session_late_check(req, db, live ? store_val(r, 0, 0) : NULL,
                                live ? store_val(r, 0, 1) : NULL, live ? store_int(r, 0, 2) : 0);
    store_res_free(r);
    return rc;
}

/*
 * sync_notify.c - the "sync:changed" real-time signal.
 *
 * changes_log() hands every change it writes to sync_pending_add(); the
 * entries wait in this thread's list, tagged with the coroutine whose
 * transaction wrote them (on PostgreSQL several requests' transactions
 * interleave on one loop). sync_commit() commits, then publishes
 * {cursor: "<highest seq>"} to user:<id> of each accepted member of the
 * trips touched and of each user a change was addressed to, and forgets
 * the coroutine's entries; sync_rollback() only forgets them. The signal
 * thus never runs ahead of the commit. A pending entry left behind by a
 * rollback that bypassed sync_rollback() costs at most one spurious
 * signal (a pull that finds nothing), never a missed change.
 *
 * Entries are deduplicated per coroutine, trip and user, and the list is
 * bounded; on overflow the oldest entry is dropped (a lost hint: clients
 * also pull on reconnect).
 */
#include "api/sync_log.h"

#include "core/coro.h"
#include "core/log.h"
#include "realtime/realtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 256
#define ID_MAX 40

typedef struct {
    coro_t *co;
    int64_t seq;
    char trip[ID_MAX], user[ID_MAX];
} pending_t;

static _Thread_local pending_t pending[PENDING_MAX];
static _Thread_local int npending;

static void copy_id(char *dst, const char *src)
{
    snprintf(dst, ID_MAX, "%s", src ? src : "");
}

void sync_pending_add(int64_t seq, const char *trip_id, const char *user_id)
{
    coro_t *co = coro_current();
    for (int i = 0; i < npending; i++) {
        pending_t *p = &pending[i];
        if (p->co == co && strcmp(p->trip, trip_id ? trip_id : "") == 0 &&
            strcmp(p->user, user_id ? user_id : "") == 0) {
            if (seq > p->seq)
                p->seq = seq;
            return;
        }
    }
    if (npending == PENDING_MAX) {
        memmove(pending, pending + 1, (PENDING_MAX - 1) * sizeof *pending);
        npending--;
    }
    pending_t *p = &pending[npending++];
    p->co = co;
    p->seq = seq;
    copy_id(p->trip, trip_id);
    copy_id(p->user, user_id);
}

/* Moves this coroutine's entries out of the list into *out (malloc'd,
 * the caller frees; NULL when there are none). Returns their count. */
static int take_mine(pending_t **out)
{
    coro_t *co = coro_current();
    int n = 0, k = 0;
    for (int i = 0; i < npending; i++)
        n += pending[i].co == co;
    *out = n && out ? malloc((size_t)n * sizeof **out) : NULL;
    n = 0;
    for (int i = 0; i < npending; i++) {
        if (pending[i].co != co)
            pending[k++] = pending[i];
        else if (*out)
            (*out)[n++] = pending[i];
    }
    npending = k;
    return n;
}

/* Adds uid to the set users[] (ids of ID_MAX bytes) unless present. */
static int add_user(char (*users)[ID_MAX], int n, int max, const char *uid)
{
    if (!uid || !*uid)
        return n;
    for (int i = 0; i < n; i++)
        if (strcmp(users[i], uid) == 0)
            return n;
    if (n < max)
        copy_id(users[n++], uid);
    return n;
}

enum { NOTIFY_USERS_MAX = 512 };

/* Runs in the committing coroutine; its queries may suspend it, so
 * nothing here lives in thread-wide buffers. */
static void publish(store_conn_t *db, const pending_t *mine, int n)
{
    char (*users)[ID_MAX] = malloc(NOTIFY_USERS_MAX * sizeof *users);
    int nu = 0;
    int64_t cursor = 0;
    for (int i = 0; i < n; i++) {
        if (mine[i].seq > cursor)
            cursor = mine[i].seq;
        nu = add_user(users, nu, NOTIFY_USERS_MAX, mine[i].user);
        if (!mine[i].trip[0])
            continue;
        apierr_t err = {0};
        store_res_t *r = NULL;
        store_arg_t a[] = {ARG_TEXT(mine[i].trip)};
        if (store_query(db,
                        "SELECT user_id FROM trip_buddies WHERE trip_id = $1 AND state = "
                        "'accepted' AND deleted_at IS NULL AND user_id IS NOT NULL",
                        a, 1, &r, &err) < 0) {
            log_warn("sync: no members for the change signal", "\"trip\":\"%s\"", mine[i].trip);
            apierr_clear(&err);
            continue;
        }
        for (int k = 0; k < r->nrows; k++)
            nu = add_user(users, nu, NOTIFY_USERS_MAX, store_val(r, k, 0));
        store_res_free(r);
    }
    char c[24], room[ID_MAX + 8];
    snprintf(c, sizeof c, "%lld", (long long)cursor);
    json_t *payload = json_pack("{s:s}", "cursor", c);
    for (int i = 0; i < nu; i++) {
        snprintf(room, sizeof room, "user:%s", users[i]);
        realtime_publish(room, "sync:changed", payload);
    }
    json_decref(payload);
    free(users);
}

int sync_commit(store_conn_t *db, apierr_t *err)
{
    int rc = store_commit(db, err);
    pending_t *mine;
    int n = take_mine(&mine);
    if (rc == 0 && n > 0)
        publish(db, mine, n);
    free(mine);
    return rc;
}

void sync_rollback(store_conn_t *db)
{
    store_rollback(db);
    pending_t *mine;
    take_mine(&mine);
    free(mine);
}

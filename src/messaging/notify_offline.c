/*
 * messaging/notify_offline.c - chat notifications for members who are not
 * online (issues 5 and 8), and the per-member mute switch.
 *
 * msg_notify_offline() runs inside the sending transaction (send.c calls
 * it between storing the message and the commit), so a send that rolls
 * back notifies nobody. For each current member other than the sender:
 *   - muted (conversation_notify.muted, until a time or until unmuted):
 *     nothing;
 *   - collapsed: at most one chat notification per conversation and member
 *     per window (WINDOW_MS): while the last one is younger than the
 *     window and the member has not read up to the message it announced,
 *     nothing (no write either). The next notification counts the unread
 *     messages of others since ("3 new messages"). Reading re-arms;
 *   - a socket on this process (realtime_online_here, a mutex and a map
 *     look-up): nothing, message:new reaches them;
 *   - in cluster mode, a socket on another node: the members left are
 *     checked in ONE pipelined Redis round trip on the thread pool (the
 *     coroutine waits, the loop does not). When Redis is not connected
 *     nobody is waited for and they count as offline (notified);
 *   - otherwise: notify() and one upsert of the window state.
 * Cost: nothing when the conversation's members at the send's membership
 * generation are cached (members_cache.h) and all online on this process
 * (the steady state of an active chat); otherwise one SELECT (members,
 * their read position and notify state), which refills the cache, and
 * nothing more when every recipient is online, muted or collapsed.
 *
 * Ownership: every argument is borrowed; nothing returned needs freeing
 * except the JSON of msg_mute_* (a new reference for the caller).
 */
#include "messaging/msg_int.h"
#include "messaging/members_cache.h"
#include "messaging/notify_offline.h"

#include "cluster/cluster.h"
#include "core/clock.h"
#include "core/validate.h"
#include "notify/notify.h"
#include "realtime/realtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MS 60000 /* one notification per conversation and member per minute */

/* Members (the sender too) with their read position and notify state. */
#define RECIPIENTS_SQL                                                                         \
    "SELECT x.user_id, x.read_seq, n.muted, n.muted_until, n.notified_at, n.notified_seq "     \
    "FROM (" MSG_MEMBERS_SQL ") x LEFT JOIN conversation_notify n ON n.conversation_id = $1 "  \
    "AND n.user_id = x.user_id"
enum { RC_USER, RC_READ, RC_MUTED, RC_MUTED_UNTIL, RC_AT, RC_SEQ };

typedef struct {
    const char *user; /* borrowed from the recipients result */
    int row;
} cand_t;

/* ---- sender and conversation ---- */

typedef struct {
    char sender[200];  /* "Alice Martin", or "Someone" */
    char conv[300];    /* group name or trip title; "" for a direct conversation */
} names_t;

static int load_names(store_conn_t *db, const char *uid, const char *cid, names_t *nm,
                      apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid), ARG_TEXT(cid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT u.first_name, u.last_name, c.type, c.name, t.title FROM users u, "
                    "conversations c LEFT JOIN trips t ON t.id = c.trip_id WHERE u.id = $1 AND "
                    "c.id = $2",
                    a, 2, &r, err) < 0)
        return -1;
    const char *first = store_val(r, 0, 0), *last = store_val(r, 0, 1);
    const char *type = store_val(r, 0, 2), *name = store_val(r, 0, 3);
    const char *title = store_val(r, 0, 4);
    char full[400];
    bool both = first && *first && last && *last;
    snprintf(full, sizeof full, "%s%s%s", first ? first : "", both ? " " : "", last ? last : "");
    msg_clip(*full ? full : "Someone", 40, nm->sender, sizeof nm->sender);
    const char *conv = type && strcmp(type, "direct") == 0 ? ""
                       : type && strcmp(type, "trip") == 0 ? title
                                                           : name;
    msg_clip(conv, 60, nm->conv, sizeof nm->conv);
    store_res_free(r);
    return 0;
}

/* ---- per recipient ---- */

/* Messages of others the member has not read and was not told about:
 * after max(read position, last announced seq), up to this one (>= 1). */
static int unread_since(store_conn_t *db, const msg_notify_in_t *m, const char *user,
                        int64_t after, int64_t *count, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(m->cid), ARG_INT(after), ARG_INT(m->seq), ARG_TEXT(user)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND "
                    "seq <= $3 AND sender_id <> $4",
                    a, 4, &r, err) < 0)
        return -1;
    *count = store_int(r, 0, 0);
    if (*count < 1)
        *count = 1;
    store_res_free(r);
    return 0;
}

static int send_one(store_conn_t *db, const msg_notify_in_t *m, const names_t *nm,
                    const char *user, int64_t after, int64_t now, apierr_t *err)
{
    int64_t count = 1;
    if (after < m->seq - 1 && unread_since(db, m, user, after, &count, err) < 0)
        return -1;
    char pv[MSG_PREVIEW_CAP], body[MSG_PREVIEW_CAP + 64], title[600];
    msg_chat_preview(m->type, m->text, m->label, pv, sizeof pv);
    if (count > 1)
        snprintf(body, sizeof body, "%lld new messages. Latest: %s", (long long)count, pv);
    else
        snprintf(body, sizeof body, "%s", pv);
    if (*nm->conv)
        snprintf(title, sizeof title, "%s in %s", nm->sender, nm->conv);
    else
        snprintf(title, sizeof title, "%s", nm->sender);
    json_t *data = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
                             "conversationId", m->cid, "messageId", m->msg_id, "seq",
                             (json_int_t)m->seq, "senderId", m->uid, "senderName", nm->sender,
                             "conversationName", nm->conv, "type", m->type, "count",
                             (json_int_t)count, "title", title, "preview", body);
    int rc = notify(db, user, "chat", "chat.message", data, NULL, NULL, err);
    json_decref(data);
    if (rc < 0) {
        if (err->status != 404)
            return -1;
        apierr_clear(err); /* an account closed meanwhile: nobody to tell */
        return 0;
    }
    store_arg_t a[] = {ARG_TEXT(m->cid), ARG_TEXT(user), ARG_INT(now), ARG_INT(m->seq)};
    return store_exec(db,
                      "INSERT INTO conversation_notify (conversation_id, user_id, notified_at, "
                      "notified_seq, updated_at) VALUES ($1, $2, $3, $4, $3) ON CONFLICT "
                      "(conversation_id, user_id) DO UPDATE SET notified_at = "
                      "excluded.notified_at, notified_seq = excluded.notified_seq, updated_at = "
                      "excluded.updated_at",
                      a, 4, err);
}

/* Drops the candidates online on another node (cluster mode). */
static size_t drop_remote_online(cand_t *c, size_t n)
{
    if (n == 0 || !cluster_enabled())
        return n;
    const char **ids = calloc(n, sizeof *ids);
    bool *online = calloc(n, sizeof *online);
    if (!ids || !online)
        abort();
    for (size_t i = 0; i < n; i++)
        ids[i] = c[i].user;
    size_t k = 0;
    if (cluster_presence_online(ids, n, online) < 0) {
        k = n; /* Redis unknown: everybody left is offline as far as we know */
    } else {
        for (size_t i = 0; i < n; i++)
            if (!online[i])
                c[k++] = c[i];
    }
    free(ids);
    free(online);
    return k;
}

/* Whether row i of the recipients is muted at now. */
static bool muted(const store_res_t *r, int i, int64_t now)
{
    if (!store_bool(r, i, RC_MUTED))
        return false;
    return !store_val(r, i, RC_MUTED_UNTIL) || store_int(r, i, RC_MUTED_UNTIL) > now;
}

/* Whether row i was told about this conversation less than a window ago
 * and has not read up to what it was told. */
static bool collapsed(const store_res_t *r, int i, int64_t now)
{
    int64_t at = store_int(r, i, RC_AT);
    return at > 0 && now - at < WINDOW_MS && store_int(r, i, RC_READ) < store_int(r, i, RC_SEQ);
}

static int notify_rows(store_conn_t *db, const msg_notify_in_t *m, const store_res_t *r,
                       const cand_t *c, size_t n, int64_t now, apierr_t *err)
{
    names_t nm;
    if (n > 0 && load_names(db, m->uid, m->cid, &nm, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t read = store_int(r, c[i].row, RC_READ), told = store_int(r, c[i].row, RC_SEQ);
        if (send_one(db, m, &nm, c[i].user, read > told ? read : told, now, err) < 0)
            return -1;
    }
    return 0;
}

/* The members as the SELECT found them, for the next sends. */
static void remember_members(const msg_notify_in_t *m, const store_res_t *r)
{
    if (r->nrows > MEMBERS_CACHE_MAX)
        return;
    const char *ids[MEMBERS_CACHE_MAX];
    for (int i = 0; i < r->nrows; i++)
        if (!(ids[i] = store_val(r, i, RC_USER)))
            return;
    members_cache_put(m->cid, m->members_gen, ids, (size_t)r->nrows);
}

int msg_notify_offline(store_conn_t *db, const msg_notify_in_t *m, apierr_t *err)
{
    if (members_cache_all(m->cid, m->members_gen, m->uid, realtime_online_here))
        return 0; /* every other member has a socket here */
    store_arg_t a[] = {ARG_TEXT(m->cid)};
    store_res_t *r = NULL;
    if (store_query(db, RECIPIENTS_SQL, a, 1, &r, err) < 0)
        return -1;
    remember_members(m, r);
    int64_t now = clock_now_ms();
    cand_t *c = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof *c);
    if (!c)
        abort();
    size_t n = 0;
    for (int i = 0; i < r->nrows; i++) {
        const char *u = store_val(r, i, RC_USER);
        if (u && strcmp(u, m->uid) != 0 && !muted(r, i, now) && !collapsed(r, i, now) &&
            !realtime_online_here(u))
            c[n++] = (cand_t){.user = u, .row = i};
    }
    n = drop_remote_online(c, n);
    int rc = notify_rows(db, m, r, c, n, now, err);
    free(c);
    store_res_free(r);
    return rc;
}

/* ---- mute ---- */

static json_t *mute_json(const char *cid, bool on, int64_t until)
{
    char ts[VALIDATE_RFC3339_OUT_LEN + 1];
    bool has = on && until > 0 && validate_rfc3339_format(until, ts, sizeof ts) == 0;
    return json_pack("{s:s, s:b, s:o}", "conversationId", cid, "muted", on, "mutedUntil",
                     has ? json_string(ts) : json_null());
}

int msg_mute_get(store_conn_t *db, const char *uid, const char *cid, json_t **out,
                 apierr_t *err)
{
    store_res_t *c = NULL, *r = NULL;
    *out = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    store_res_free(c);
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid)};
    if (store_query(db,
                    "SELECT 0, 0, muted, muted_until FROM conversation_notify WHERE "
                    "conversation_id = $1 AND user_id = $2",
                    a, 2, &r, err) < 0)
        return -1;
    bool on = r->nrows == 1 && muted(r, 0, clock_now_ms());
    *out = mute_json(cid, on, on ? store_int(r, 0, RC_MUTED_UNTIL) : 0);
    store_res_free(r);
    return 0;
}

/* body.until: absent or null (until unmuted), else a future RFC 3339 time. */
static int read_until(json_t *body, int64_t now, int64_t *until, apierr_t *err)
{
    *until = 0;
    json_t *v = json_object_get(body, "until");
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    if (!s || validate_rfc3339_parse(s, strlen(s), until) != 0)
        return msg_invalid(err, "until", "must be an RFC 3339 date-time or null");
    if (*until <= now)
        return msg_invalid(err, "until", "must be in the future");
    return 0;
}

int msg_mute_set(store_conn_t *db, const char *uid, const char *cid, json_t *body, bool on,
                 json_t **out, apierr_t *err)
{
    store_res_t *c = NULL;
    int64_t now = clock_now_ms(), until = 0;
    *out = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    store_res_free(c);
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (!on || strcmp(k, "until") != 0)
            return msg_invalid(err, k, "unknown field");
    }
    if (on && read_until(body, now, &until, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid), ARG_INT(on ? 1 : 0),
                       until ? ARG_INT(until) : ARG_NULL, ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO conversation_notify (conversation_id, user_id, muted, "
                   "muted_until, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
                   "(conversation_id, user_id) DO UPDATE SET muted = excluded.muted, "
                   "muted_until = excluded.muted_until, updated_at = excluded.updated_at",
                   a, 5, err) < 0)
        return -1;
    *out = mute_json(cid, on, until);
    return 0;
}

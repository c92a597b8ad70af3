/*
 * messaging/conv.c - conversations: create (direct pairs and trip
 * conversations are unique: a second create returns the first), list by
 * last activity with a keyset cursor, group membership, and what happens
 * to sockets when someone loses access.
 */
#include "messaging/msg_int.h"

#include "core/clock.h"
#include "core/uuid.h"
#include "realtime/realtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- create ---- */

/* {conversation} for a conversation:new event to another user: without
 * the caller's own read position and unread count. */
static json_t *announce(const json_t *conv)
{
    json_t *c = json_deep_copy(conv);
    json_object_del(c, "unreadCount");
    json_object_del(c, "readUpTo");
    return json_pack("{s:o}", "conversation", c);
}

typedef struct {
    const char *type, *name, *peer, *trip, *booking;
    const char *ids[MSG_GROUP_MAX];
    int nids;
} conv_in_t;

/* Reads memberIds (unique, existing, not the caller) into in->ids. */
static int read_members(store_conn_t *db, json_t *body, const char *field, const char *uid,
                        bool required, conv_in_t *in, apierr_t *err)
{
    json_t *v = json_object_get(body, field);
    if (!v || json_is_null(v))
        return required ? msg_invalid(err, field, "is required") : 0;
    if (!json_is_array(v) || json_array_size(v) > MSG_GROUP_MAX - 1)
        return msg_invalid(err, field, "must be an array of at most %d user ids",
                           MSG_GROUP_MAX - 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *id = json_string_value(json_array_get(v, i));
        if (!id || !uuid_valid(id))
            return msg_invalid(err, field, "must hold user ids");
        if (strcmp(id, uid) == 0)
            continue;
        bool dup = false;
        for (int k = 0; k < in->nids; k++)
            dup = dup || strcmp(in->ids[k], id) == 0;
        if (dup)
            continue;
        bool exists;
        if (msg_user_exists(db, id, &exists, err) < 0)
            return -1;
        if (!exists)
            return msg_invalid(err, field, "names a user that does not exist");
        in->ids[in->nids++] = id;
    }
    if (required && in->nids == 0)
        return msg_invalid(err, field, "must name at least one other user");
    return 0;
}

static int create_parse(store_conn_t *db, const char *uid, json_t *body, conv_in_t *in,
                        apierr_t *err)
{
    memset(in, 0, sizeof *in);
    if (msg_str(body, "type", 1, 10, true, &in->type, err) < 0)
        return -1;
    if (strcmp(in->type, "direct") == 0) {
        bool exists;
        if (msg_uuid(body, "userId", &in->peer, err) < 0)
            return -1;
        if (strcmp(in->peer, uid) == 0)
            return msg_invalid(err, "userId", "must be another user");
        if (msg_user_exists(db, in->peer, &exists, err) < 0)
            return -1;
        return exists ? 0 : msg_invalid(err, "userId", "names a user that does not exist");
    }
    if (strcmp(in->type, "group") == 0)
        return msg_str(body, "name", 1, 100, true, &in->name, err) < 0 ||
                       read_members(db, body, "memberIds", uid, false, in, err) < 0
                   ? -1
                   : 0;
    if (strcmp(in->type, "trip") == 0) {
        if (msg_uuid(body, "tripId", &in->trip, err) < 0)
            return -1;
        if (!msg_is_trip_member(db, in->trip, uid))
            return apierr_set(err, 404, "not_found", "no such trip");
        return 0;
    }
    if (strcmp(in->type, "booking") == 0)
        return msg_uuid(body, "bookingId", &in->booking, err) < 0 ||
                       msg_str(body, "name", 0, 100, false, &in->name, err) < 0 ||
                       read_members(db, body, "memberIds", uid, true, in, err) < 0
                   ? -1
                   : 0;
    return msg_invalid(err, "type", "must be direct, group, trip or booking");
}

/* The existing direct conversation of the pair or trip conversation, by
 * its unique key; *found false when none. */
static int find_unique(store_conn_t *db, const conv_in_t *in, const char *key, char *cid,
                       bool *found, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(in->trip ? in->trip : key)};
    store_res_t *r = NULL;
    *found = false;
    if (store_query(db,
                    in->trip ? "SELECT id FROM conversations WHERE trip_id = $1"
                             : "SELECT id FROM conversations WHERE direct_key = $1",
                    a, 1, &r, err) < 0)
        return -1;
    if (r->nrows == 1) {
        *found = true;
        snprintf(cid, UUID_STR_LEN, "%s", store_val(r, 0, 0));
    }
    store_res_free(r);
    return 0;
}

static int add_member(store_conn_t *db, const char *cid, const char *user, const char *role,
                      int64_t at, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(user), ARG_TEXT(role), ARG_INT(at)};
    return store_exec(db,
                      "INSERT INTO conversation_members (conversation_id, user_id, role, "
                      "joined_at) VALUES ($1, $2, $3, $4)",
                      a, 4, err);
}

static int create_store(store_conn_t *db, const char *uid, const conv_in_t *in,
                        const char *key, char *cid, apierr_t *err)
{
    int64_t now = clock_now_ms();
    uuid_v7(cid);
    store_arg_t a[] = {ARG_TEXT(cid),          ARG_TEXT(in->type), ARG_TEXT(in->name ? in->name : ""),
                       ARG_TEXT(key),          ARG_TEXT(in->trip), ARG_TEXT(in->booking),
                       ARG_TEXT(uid),          ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO conversations (id, type, name, direct_key, trip_id, booking_id, "
                   "created_by, last_activity, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                   "$5, $6, $7, $8, $8, $8)",
                   a, 8, err) < 0)
        return -1;
    if (in->trip)
        return 0;
    if (add_member(db, cid, uid, strcmp(in->type, "group") == 0 ? "admin" : "member", now,
                   err) < 0)
        return -1;
    if (in->peer && add_member(db, cid, in->peer, "member", now, err) < 0)
        return -1;
    for (int i = 0; i < in->nids; i++)
        if (add_member(db, cid, in->ids[i], "member", now, err) < 0)
            return -1;
    return 0;
}

int msg_conv_create(store_conn_t *db, const char *uid, json_t *body, json_t **out,
                    bool *created, apierr_t *err)
{
    conv_in_t in;
    *out = NULL;
    *created = false;
    if (create_parse(db, uid, body, &in, err) < 0)
        return -1;
    char key[2 * UUID_STR_LEN + 2] = "", cid[UUID_STR_LEN];
    if (in.peer)
        snprintf(key, sizeof key, "%s:%s", strcmp(uid, in.peer) < 0 ? uid : in.peer,
                 strcmp(uid, in.peer) < 0 ? in.peer : uid);
    bool unique = in.peer || in.trip, found = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (unique && find_unique(db, &in, key, cid, &found, err) < 0)
            return -1;
        if (found)
            break;
        if (store_begin(db, true, err) < 0)
            return -1;
        if (create_store(db, uid, &in, *key ? key : NULL, cid, err) == 0 &&
            store_commit(db, err) == 0) {
            *created = true;
            break;
        }
        store_rollback(db);
        if (!unique || err->status != 409 || attempt == 1)
            return -1;
        apierr_clear(err); /* a concurrent create won the unique key: return it */
    }
    if (msg_conv_get(db, uid, cid, out, err) < 0)
        return -1;
    if (*created) {
        json_t *members = json_object_get(*out, "members");
        for (size_t i = 0; i < json_array_size(members); i++) {
            const char *m = json_string_value(json_object_get(json_array_get(members, i), "userId"));
            if (m && strcmp(m, uid) != 0)
                msg_publish_user(m, "conversation:new", announce(*out));
        }
    }
    return 0;
}

/* ---- read ---- */

int msg_conv_get(store_conn_t *db, const char *uid, const char *cid, json_t **out,
                 apierr_t *err)
{
    store_res_t *r = NULL;
    *out = NULL;
    if (msg_conv_load(db, cid, uid, &r, err) < 0)
        return -1;
    int rc = msg_conv_json(db, r, 0, uid, out, err);
    store_res_free(r);
    return rc;
}

/* Cursor "<last activity ms>.<id>". */
static int parse_cursor(const char *cursor, int64_t *ms, char *id, apierr_t *err)
{
    char *end = NULL;
    long long v = strtoll(cursor, &end, 10);
    if (end == cursor || *end != '.' || v < 0 || !uuid_valid(end + 1))
        return apierr_set(err, 400, "invalid_cursor", "the cursor is not one this server gave");
    *ms = v;
    snprintf(id, UUID_STR_LEN, "%s", end + 1);
    return 0;
}

int msg_conv_list(store_conn_t *db, const char *uid, int limit, const char *cursor,
                  json_t **out, apierr_t *err)
{
    int64_t cms = INT64_MAX;
    char cidb[UUID_STR_LEN] = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    *out = NULL;
    if (cursor && parse_cursor(cursor, &cms, cidb, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(uid), ARG_INT(cms), ARG_TEXT(cidb), ARG_INT(limit + 1)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT " MSG_CONV_COLS " FROM conversations c WHERE c.id IN (SELECT "
                    "m.conversation_id FROM conversation_members m JOIN conversations x ON x.id "
                    "= m.conversation_id AND x.type <> 'trip' WHERE m.user_id = $1 AND "
                    "m.left_at IS NULL UNION SELECT x.id FROM trip_buddies b JOIN trips t ON "
                    "t.id = b.trip_id AND t.deleted_at IS NULL JOIN conversations x ON x.trip_id "
                    "= b.trip_id WHERE b.user_id = $1 AND b.state = 'accepted' AND b.deleted_at "
                    "IS NULL) AND (c.last_activity < $2 OR (c.last_activity = $2 AND c.id < $3)) "
                    "ORDER BY c.last_activity DESC, c.id DESC LIMIT $4",
                    a, 4, &r, err) < 0)
        return -1;
    json_t *items = json_array();
    int n = r->nrows > limit ? limit : r->nrows;
    for (int i = 0; i < n; i++) {
        json_t *c;
        if (msg_conv_json(db, r, i, uid, &c, err) < 0) {
            json_decref(items);
            store_res_free(r);
            return -1;
        }
        json_array_append_new(items, c);
    }
    json_t *next = json_null();
    if (r->nrows > limit) {
        char b[96];
        snprintf(b, sizeof b, "%" PRId64 ".%s", store_int(r, n - 1, CC_ACTIVITY),
                 store_val(r, n - 1, CC_ID));
        json_decref(next);
        next = json_string(b);
    }
    store_res_free(r);
    *out = json_pack("{s:o, s:o}", "items", items, "nextCursor", next);
    return 0;
}

/* ---- membership ---- */

int msg_members_add(store_conn_t *db, const char *uid, const char *cid, json_t *body,
                    json_t **out, apierr_t *err)
{
    store_res_t *c = NULL;
    conv_in_t in = {0};
    *out = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    bool group = strcmp(store_val(c, 0, CC_TYPE), "group") == 0;
    store_res_free(c);
    if (!group)
        return apierr_set(err, 409, "not_a_group", "members change only in group conversations");
    if (read_members(db, body, "userIds", uid, true, &in, err) < 0)
        return -1;
    if (store_begin(db, true, err) < 0)
        return -1;
    store_arg_t ca[] = {ARG_TEXT(cid)};
    store_res_t *cnt = NULL;
    int64_t now = clock_now_ms();
    if (store_query(db,
                    "SELECT COUNT(*), (SELECT last_seq FROM conversations WHERE id = $1) FROM "
                    "conversation_members WHERE conversation_id = $1 AND left_at IS NULL",
                    ca, 1, &cnt, err) < 0)
        goto fail;
    if (store_int(cnt, 0, 0) + in.nids > MSG_GROUP_MAX) {
        msg_invalid(err, "userIds", "a group has at most %d members", MSG_GROUP_MAX);
        goto fail;
    }
    for (int i = 0; i < in.nids; i++) {
        /* A new or returning member starts with nothing unread. */
        store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(in.ids[i]), ARG_INT(now),
                           ARG_INT(store_int(cnt, 0, 1))};
        if (store_exec(db,
                       "INSERT INTO conversation_members (conversation_id, user_id, role, "
                       "joined_at, delivered_seq, read_seq) VALUES ($1, $2, 'member', $3, $4, $4) "
                       "ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = NULL, "
                       "joined_at = excluded.joined_at, delivered_seq = excluded.delivered_seq, "
                       "read_seq = excluded.read_seq WHERE conversation_members.left_at IS NOT "
                       "NULL",
                       a, 4, err) < 0)
            goto fail;
    }
    store_arg_t u[] = {ARG_TEXT(cid), ARG_INT(now)};
    if (store_exec(db, "UPDATE conversations SET version = version + 1, updated_at = $2 WHERE id = $1",
                   u, 2, err) < 0 ||
        store_commit(db, err) < 0)
        goto fail;
    store_res_free(cnt);
    if (msg_conv_get(db, uid, cid, out, err) < 0)
        return -1;
    json_t *added = json_array();
    for (int i = 0; i < in.nids; i++) {
        json_array_append_new(added, json_string(in.ids[i]));
        msg_publish_user(in.ids[i], "conversation:new", announce(*out));
    }
    msg_publish(cid, "conversation:members",
                json_pack("{s:s, s:o, s:[]}", "conversationId", cid, "added", added, "removed"));
    return 0;
fail:
    store_rollback(db);
    store_res_free(cnt);
    return -1;
}

int msg_member_remove(store_conn_t *db, const char *uid, const char *cid, const char *target,
                      apierr_t *err)
{
    store_res_t *c = NULL, *m = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    bool group = strcmp(store_val(c, 0, CC_TYPE), "group") == 0;
    store_res_free(c);
    if (!group)
        return apierr_set(err, 409, "not_a_group", "members change only in group conversations");
    bool self = strcmp(uid, target) == 0;
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid), ARG_TEXT(target), ARG_INT(clock_now_ms())};
    if (store_begin(db, true, err) < 0)
        return -1;
    if (store_query(db,
                    "SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id "
                    "= $2 AND left_at IS NULL",
                    a, 2, &m, err) < 0)
        goto fail;
    if (!self && (m->nrows != 1 || strcmp(store_val(m, 0, 0), "admin") != 0)) {
        apierr_set(err, 403, "forbidden", "only the group's admin removes others");
        goto fail;
    }
    int64_t changed = 0;
    store_res_t *u = NULL;
    store_arg_t b[] = {a[0], a[2], a[3]};
    if (store_query(db,
                    "UPDATE conversation_members SET left_at = $3 WHERE conversation_id = $1 AND "
                    "user_id = $2 AND left_at IS NULL",
                    b, 3, &u, err) < 0)
        goto fail;
    changed = u->changes;
    store_res_free(u);
    if (changed == 0) {
        apierr_set(err, 404, "not_found", "no such member");
        goto fail;
    }
    store_arg_t v[] = {ARG_TEXT(cid), a[3]};
    if (store_exec(db, "UPDATE conversations SET version = version + 1, updated_at = $2 WHERE id = $1",
                   v, 2, err) < 0 ||
        store_commit(db, err) < 0)
        goto fail;
    store_res_free(m);
    char room[64];
    snprintf(room, sizeof room, "conversation:%s", cid);
    realtime_room_remove_user(room, target);
    msg_publish(cid, "conversation:members",
                json_pack("{s:s, s:[], s:[s]}", "conversationId", cid, "added", "removed", target));
    return 0;
fail:
    store_rollback(db);
    store_res_free(m);
    return -1;
}

void msg_trip_member_removed(store_conn_t *db, const char *tid, const char *uid)
{
    char room[96];
    snprintf(room, sizeof room, "trip:%s", tid);
    realtime_room_remove_user(room, uid);
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    apierr_t err = {0};
    if (store_query(db, "SELECT id FROM conversations WHERE trip_id = $1", a, 1, &r, &err) == 0 &&
        r->nrows == 1) {
        snprintf(room, sizeof room, "conversation:%s", store_val(r, 0, 0));
        realtime_room_remove_user(room, uid);
    }
    store_res_free(r);
    apierr_clear(&err);
}

int msg_contacts(store_conn_t *db, const char *uid, store_res_t **out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    return store_query(
        db,
        "SELECT o.user_id FROM conversation_members me JOIN conversation_members o ON "
        "o.conversation_id = me.conversation_id JOIN conversations c ON c.id = "
        "me.conversation_id WHERE me.user_id = $1 AND me.left_at IS NULL AND o.left_at IS NULL "
        "AND c.type <> 'trip' AND o.user_id <> $1 UNION SELECT o.user_id FROM trip_buddies me "
        "JOIN trip_buddies o ON o.trip_id = me.trip_id JOIN trips t ON t.id = me.trip_id WHERE "
        "me.user_id = $1 AND me.state = 'accepted' AND me.deleted_at IS NULL AND o.state = "
        "'accepted' AND o.deleted_at IS NULL AND t.deleted_at IS NULL AND o.user_id IS NOT NULL "
        "AND o.user_id <> $1",
        a, 1, out, err);
}

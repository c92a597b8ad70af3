/*
 * messaging/send.c - sending (stored first, then published in seq order),
 * history pages, and the delivered / read positions behind message status
 * and unread counts.
 */
#include "messaging/msg_int.h"

#include "core/clock.h"
#include "core/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- send ---- */

typedef struct {
    const char *type, *text, *label, *booking, *client_id;
    double lat, lng;
    bool has_loc;
} msg_in_t;

static int read_number(json_t *obj, const char *field, double min, double max, double *out,
                       apierr_t *err)
{
    json_t *v = json_object_get(obj, field);
    if (!json_is_number(v))
        return msg_invalid(err, field, "must be a number");
    *out = json_number_value(v);
    if (!(*out >= min && *out <= max))
        return msg_invalid(err, field, "must be between %g and %g", min, max);
    return 0;
}

static int send_parse(json_t *body, const msg_media_t *media, msg_in_t *in, apierr_t *err)
{
    memset(in, 0, sizeof *in);
    if (msg_str(body, "type", 1, 10, false, &in->type, err) < 0 ||
        msg_str(body, "text", 0, MSG_TEXT_MAX, false, &in->text, err) < 0 ||
        msg_str(body, "clientMessageId", 1, 64, false, &in->client_id, err) < 0)
        return -1;
    json_t *loc = json_object_get(body, "location");
    json_t *bid = json_object_get(body, "bookingId");
    if (media) {
        in->type = "media";
    } else if (!in->type) {
        in->type = loc && !json_is_null(loc) ? "location"
                   : bid && !json_is_null(bid) ? "booking"
                                               : "text";
    }
    if (strcmp(in->type, "text") == 0) {
        if (!in->text || !*in->text)
            return msg_invalid(err, "text", "is required (1 to %d characters)", MSG_TEXT_MAX);
    } else if (strcmp(in->type, "location") == 0) {
        if (!json_is_object(loc))
            return msg_invalid(err, "location", "must be an object {lat, lng, label}");
        if (read_number(loc, "lat", -90, 90, &in->lat, err) < 0 ||
            read_number(loc, "lng", -180, 180, &in->lng, err) < 0 ||
            msg_str(loc, "label", 0, 200, false, &in->label, err) < 0) {
            json_object_set_new(err->details, "field", json_string("location"));
            return -1;
        }
        in->has_loc = true;
    } else if (strcmp(in->type, "booking") == 0) {
        if (msg_uuid(body, "bookingId", &in->booking, err) < 0)
            return -1;
    } else if (strcmp(in->type, "media") != 0 || !media) {
        return msg_invalid(err, "type", "must be text, location or booking (media is uploaded)");
    }
    return 0;
}

/* The message this sender already sent with clientMessageId; NULL row
 * count 0 when none. */
static int find_client_id(store_conn_t *db, const char *cid, const char *uid, const char *client,
                          store_res_t **r, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid), ARG_TEXT(client)};
    return store_query(db,
                       "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1 AND "
                       "sender_id = $2 AND client_message_id = $3",
                       a, 3, r, err);
}

/* The seq allocation, which is also the membership check (no row: 404).
 * $1 conversation, $2 now, $3 sender. Written against the row being
 * updated so only the branch of its type runs; the same members as
 * MSG_MEMBERS_SQL. Extra conditions go between head and tail. */
#define SEND_SEQ_HEAD                                                                          \
    "UPDATE conversations SET last_seq = last_seq + 1, last_activity = $2, updated_at = $2 "   \
    "WHERE id = $1 AND "
#define SEND_SEQ_TAIL                                                                          \
    "CASE WHEN type = 'trip' THEN EXISTS (SELECT 1 FROM trips t JOIN trip_buddies b ON "       \
    "b.trip_id = t.id WHERE t.id = conversations.trip_id AND t.deleted_at IS NULL AND "       \
    "b.state = 'accepted' AND b.deleted_at IS NULL AND b.user_id = $3) ELSE EXISTS (SELECT 1 " \
    "FROM conversation_members m WHERE m.conversation_id = $1 AND m.user_id = $3 AND "         \
    "m.left_at IS NULL) END RETURNING last_seq, members_gen"

/* The INSERT of the allocated message, from c (PostgreSQL); the
 * parameters after $3 are the message's, in column order. */
#define SEND_INSERT_COLS                                                                       \
    "INSERT INTO messages (id, conversation_id, seq, sender_id, type, body, lat, lng, label, " \
    "booking_id, media_name, media_type, media_size, client_message_id, created_at) "
#define SEND_INSERT_FROM_C                                                                     \
    SEND_INSERT_COLS                                                                           \
    "SELECT $4, $1, c.last_seq, $3, $5, $6, CAST($7 AS DOUBLE PRECISION), CAST($8 AS DOUBLE "  \
    "PRECISION), $9, $10, $11, $12, CAST($13 AS BIGINT), $14, $2 FROM c RETURNING seq"

/* PostgreSQL: allocation and INSERT in one statement (one round trip
 * fewer; the row lock is held to COMMIT all the same). */
#define SEND_PG_SQL                                                                            \
    "WITH c AS (" SEND_SEQ_HEAD SEND_SEQ_TAIL ") " SEND_INSERT_FROM_C ", (SELECT members_gen " \
    "FROM c)"

/* The same with the request's session checked in it ($15, see
 * auth/session_cache.h): nothing is written unless the session is alive
 * and its user active; one row always, the session's columns NULL when it
 * is not alive. */
#define SEND_PG_LATE_SQL                                                                       \
    "WITH s AS (SELECT u.role, u.status, x.last_used_at FROM sessions x JOIN users u ON u.id " \
    "= x.user_id WHERE x.id = $15 AND x.user_id = $3 AND x.revoked_at IS NULL), c AS ("       \
    SEND_SEQ_HEAD "EXISTS (SELECT 1 FROM s WHERE s.status = 'active') AND " SEND_SEQ_TAIL     \
    "), i AS (" SEND_INSERT_FROM_C ") SELECT (SELECT seq FROM i), (SELECT members_gen FROM "   \
    "c), s.role, s.status, s.last_used_at FROM (SELECT 1) o LEFT JOIN s ON true"

/* Copies the session columns (from col) of a late send's row into ses. */
static void session_fill(msg_session_t *ses, const store_res_t *r, int col)
{
    const char *role = r->nrows == 1 ? store_val(r, 0, col) : NULL;
    const char *status = r->nrows == 1 ? store_val(r, 0, col + 1) : NULL;
    ses->checked = true;
    ses->live = role && status;
    snprintf(ses->role, sizeof ses->role, "%s", role ? role : "");
    snprintf(ses->status, sizeof ses->status, "%s", status ? status : "");
    ses->last_used = ses->live ? store_int(r, 0, col + 2) : 0;
}

/* Inside the transaction: allocates the seq (404 when cid is not the
 * sender's; 401 when a late session check finds no live session), stores
 * the message (409 for a clientMessageId already used) and takes the
 * publish ticket. The sender's own positions are not moved: their
 * messages never count as unread to them, and replying does not mark the
 * others' messages read. */
static int send_store(store_conn_t *db, const char *uid, const char *cid, const msg_in_t *in,
                      const msg_media_t *media, msg_session_t *ses, const char *id, int64_t now,
                      int64_t *seq, int64_t *gen, msg_ticket_t **ticket, apierr_t *err)
{
    bool pg = store_conn_kind(db) == STORE_POSTGRES;
    bool late = pg && ses && ses->sid;
    store_arg_t a[] = {ARG_TEXT(cid),
                       ARG_INT(now),
                       ARG_TEXT(uid),
                       ARG_TEXT(id),
                       ARG_TEXT(in->type),
                       ARG_TEXT(in->text ? in->text : ""),
                       in->has_loc ? ARG_REAL(in->lat) : ARG_NULL,
                       in->has_loc ? ARG_REAL(in->lng) : ARG_NULL,
                       ARG_TEXT(in->label),
                       ARG_TEXT(in->booking),
                       ARG_TEXT(media ? media->name : NULL),
                       ARG_TEXT(media ? media->content_type : NULL),
                       media ? ARG_INT(media->size) : ARG_NULL,
                       ARG_TEXT(in->client_id),
                       ARG_TEXT(late ? ses->sid : NULL)};
    const char *sql = late ? SEND_PG_LATE_SQL : pg ? SEND_PG_SQL : SEND_SEQ_HEAD SEND_SEQ_TAIL;
    store_res_t *r = NULL;
    if (store_query(db, sql, a, late ? 15 : pg ? 14 : 3, &r, err) < 0)
        return -1;
    *seq = r->nrows == 1 ? store_int(r, 0, 0) : 0;
    *gen = r->nrows == 1 ? store_int(r, 0, 1) : 0;
    if (late)
        session_fill(ses, r, 2);
    store_res_free(r);
    if (late && (!ses->live || strcmp(ses->status, "active") != 0))
        return apierr_set(err, 401, "unauthorized",
                          "the session has ended or the account is not active");
    if (*seq <= 0)
        return apierr_set(err, 404, "not_found", "no such conversation");
    if (!pg) {
        store_arg_t v[] = {a[3], a[0], ARG_INT(*seq), a[2], a[4], a[5], a[6],
                           a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[1]};
        if (store_exec(db,
                       SEND_INSERT_COLS "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                                        "$12, $13, $14, $15)",
                       v, 15, err) < 0)
            return -1;
    }
    *ticket = msg_order_take(cid);
    return 0;
}

/* The JSON of a message just stored from `in` (what msg_row_json gives
 * for its row), built without reading it back. */
static json_t *sent_json(const char *id, const char *cid, int64_t seq, const char *uid,
                         const msg_in_t *in, const msg_media_t *media, int64_t now)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "id", id, "conversationId", cid,
                          "seq", (json_int_t)seq, "senderId", uid, "type", in->type, "text",
                          in->text ? in->text : "");
    if (in->has_loc)
        json_object_set_new(o, "location",
                            json_pack("{s:f, s:f, s:o}", "lat", in->lat, "lng", in->lng, "label",
                                      in->label ? json_string(in->label) : json_null()));
    if (in->booking)
        json_object_set_new(o, "bookingId", json_string(in->booking));
    if (media) {
        char url[160];
        snprintf(url, sizeof url, "/v1/media/%s", media->name);
        json_object_set_new(o, "media", json_pack("{s:s, s:s, s:I}", "url", url, "contentType",
                                                  media->content_type, "size",
                                                  (json_int_t)media->size));
    }
    json_object_set_new(o, "clientMessageId",
                        in->client_id ? json_string(in->client_id) : json_null());
    json_object_set_new(o, "translations", json_object());
    json_object_set_new(o, "status", json_string("SENT"));
    json_object_set_new(o, "createdAt", msg_time(now));
    return o;
}

/* The stored duplicate of a retried send. */
static int replay(store_conn_t *db, const char *uid, const char *cid, const char *client,
                  json_t **out, apierr_t *err)
{
    store_res_t *c = NULL, *r = NULL, *mr = NULL;
    msg_pos_t *pos = NULL;
    size_t n = 0;
    int rc = -1;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    store_res_free(c);
    if (find_client_id(db, cid, uid, client, &r, err) == 0 && r->nrows == 1 &&
        msg_members_load(db, cid, &mr, &pos, &n, err) == 0) {
        *out = msg_row_json(r, 0, msg_status(pos, n, uid, store_int(r, 0, MC_SEQ)));
        rc = 0;
    } else if (r && r->nrows != 1 && !err->status) {
        apierr_set(err, 409, "conflict", "the message could not be stored; retry");
    }
    store_res_free(r);
    store_res_free(mr);
    free(pos);
    return rc;
}

int msg_send(store_conn_t *db, const char *uid, const char *cid, json_t *body,
             const msg_media_t *media, msg_session_t *ses, json_t **out, bool *created,
             apierr_t *err)
{
    msg_in_t in;
    *out = NULL;
    *created = false;
    if (!cid || !uuid_valid(cid))
        return apierr_set(err, 404, "not_found", "no such conversation");
    if (send_parse(body, media, &in, err) < 0)
        return -1;
    /* A retried clientMessageId is found by the unique index on insert
     * (409, then the stored message is returned), so the common case of a
     * new message costs BEGIN, UPDATE, INSERT, COMMIT. */
    char id[UUID_STR_LEN];
    uuid_v7(id);
    int64_t now = clock_now_ms(), seq = 0, gen = 0;
    msg_ticket_t *ticket = NULL;
    if (store_begin(db, true, err) < 0)
        return -1;
    if (send_store(db, uid, cid, &in, media, ses, id, now, &seq, &gen, &ticket, err) < 0 ||
        msg_notify_offline(
            db, &(msg_notify_in_t){uid, cid, id, seq, in.type, in.text, in.label, gen}, err) < 0 ||
        store_commit(db, err) < 0) {
        store_rollback(db);
        msg_order_release(ticket, NULL, NULL);
        if (in.client_id && err->status == 409) {
            apierr_clear(err); /* the same clientMessageId committed concurrently */
            return replay(db, uid, cid, in.client_id, out, err);
        }
        return -1;
    }
    *out = sent_json(id, cid, seq, uid, &in, media, now);
    *created = true;
    msg_order_release(ticket, "message:new", *out);
    return 0;
}

/* ---- positions ---- */

/* upto as a seq: an integer, or the id of a message of the conversation. */
static int resolve_upto(store_conn_t *db, const char *cid, json_t *upto, int64_t *seq,
                        apierr_t *err)
{
    if (json_is_integer(upto) && json_integer_value(upto) >= 0) {
        *seq = json_integer_value(upto);
        return 0;
    }
    const char *id = json_string_value(upto);
    if (!id || !uuid_valid(id))
        return msg_invalid(err, "upTo", "must be a message seq or a message id");
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(id)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT seq FROM messages WHERE conversation_id = $1 AND id = $2", a, 2,
                    &r, err) < 0)
        return -1;
    int rc = 0;
    if (r->nrows == 1)
        *seq = store_int(r, 0, 0);
    else
        rc = msg_invalid(err, "upTo", "names no message of this conversation");
    store_res_free(r);
    return rc;
}

static int unread_count(store_conn_t *db, const char *cid, const char *uid, int64_t read,
                        int64_t *out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(cid), ARG_INT(read), ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND "
                    "sender_id <> $3",
                    a, 3, &r, err) < 0)
        return -1;
    *out = store_int(r, 0, 0);
    store_res_free(r);
    return 0;
}

/* Moves positions inside a transaction; *moved says what changed. */
static int mark_store(store_conn_t *db, const char *uid, const char *cid, int64_t upto,
                      bool read, int64_t *dpos, int64_t *rpos, bool *moved, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT c.last_seq, m.delivered_seq, m.read_seq FROM conversations c LEFT "
                    "JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2 "
                    "WHERE c.id = $1",
                    a, 2, &r, err) < 0)
        return -1;
    int64_t last = store_int(r, 0, 0);
    *dpos = store_int(r, 0, 1);
    *rpos = store_int(r, 0, 2);
    store_res_free(r);
    if (upto > last)
        upto = last;
    int64_t nd = upto > *dpos ? upto : *dpos;
    int64_t nr = read && upto > *rpos ? upto : *rpos;
    *moved = nd != *dpos || nr != *rpos;
    *dpos = nd;
    *rpos = nr;
    if (!*moved)
        return 0;
    store_arg_t u[] = {ARG_TEXT(cid), ARG_TEXT(uid), ARG_INT(nd), ARG_INT(nr),
                       ARG_INT(clock_now_ms())};
    return store_exec(db,
                      "INSERT INTO conversation_members (conversation_id, user_id, role, "
                      "delivered_seq, read_seq, joined_at) VALUES ($1, $2, 'reader', $3, $4, $5) "
                      "ON CONFLICT (conversation_id, user_id) DO UPDATE SET delivered_seq = "
                      "excluded.delivered_seq, read_seq = excluded.read_seq",
                      u, 5, err);
}

int msg_mark(store_conn_t *db, const char *uid, const char *cid, json_t *upto, bool read,
             json_t **out, apierr_t *err)
{
    store_res_t *c = NULL;
    int64_t seq = 0, dpos = 0, rpos = 0, unread = 0;
    bool moved = false;
    if (out)
        *out = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    store_res_free(c);
    if (resolve_upto(db, cid, upto, &seq, err) < 0)
        return -1;
    if (store_begin(db, true, err) < 0)
        return -1;
    if (mark_store(db, uid, cid, seq, read, &dpos, &rpos, &moved, err) < 0 ||
        store_commit(db, err) < 0) {
        store_rollback(db);
        return -1;
    }
    if (moved)
        msg_publish(cid, "message:status",
                    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "conversationId", cid, "userId",
                              uid, "status", read ? "READ" : "DELIVERED", "upTo",
                              (json_int_t)(read ? rpos : dpos), "deliveredUpTo",
                              (json_int_t)dpos, "readUpTo", (json_int_t)rpos));
    if (!out)
        return 0;
    if (unread_count(db, cid, uid, rpos, &unread, err) < 0)
        return -1;
    *out = json_pack("{s:s, s:I, s:I, s:I}", "conversationId", cid, "deliveredUpTo",
                     (json_int_t)dpos, "readUpTo", (json_int_t)rpos, "unreadCount",
                     (json_int_t)unread);
    return 0;
}

/* ---- history ---- */

int msg_history(store_conn_t *db, const char *uid, const char *cid, const msg_page_t *pg,
                json_t **out, apierr_t *err)
{
    store_res_t *c = NULL, *r = NULL, *mr = NULL;
    msg_pos_t *pos = NULL;
    size_t n = 0;
    json_t *conv = NULL;
    *out = NULL;
    if (msg_conv_load(db, cid, uid, &c, err) < 0)
        return -1;
    int64_t before = pg->before > 0 ? pg->before : INT64_MAX;
    store_arg_t a[] = {ARG_TEXT(cid), ARG_INT(before), ARG_INT(pg->after),
                       ARG_INT(pg->limit + 1)};
    if (store_query(db,
                    pg->media_only
                        ? "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1 AND seq "
                          "< $2 AND seq > $3 AND type = 'media' ORDER BY seq DESC LIMIT $4"
                        : "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1 AND seq "
                          "< $2 AND seq > $3 ORDER BY seq DESC LIMIT $4",
                    a, 4, &r, err) < 0 ||
        msg_members_load(db, cid, &mr, &pos, &n, err) < 0)
        goto fail;
    int rows = r->nrows > pg->limit ? pg->limit : r->nrows;
    int64_t newest = rows ? store_int(r, 0, MC_SEQ) : 0, mine = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(pos[i].user_id, uid) == 0 && pos[i].delivered < newest) {
            mine = newest; /* what this fetch delivers to the caller */
            pos[i].delivered = newest;
        }
    json_t *items = json_array();
    for (int i = 0; i < rows; i++)
        json_array_append_new(items, msg_row_json(r, i, msg_status(pos, n, store_val(r, i, MC_SENDER),
                                                                   store_int(r, i, MC_SEQ))));
    char next[32];
    if (r->nrows > pg->limit)
        snprintf(next, sizeof next, "%lld", (long long)store_int(r, rows - 1, MC_SEQ));
    if (msg_conv_json(db, c, 0, uid, &conv, err) < 0) {
        json_decref(items);
        goto fail;
    }
    *out = json_pack("{s:o, s:o, s:o}", "items", items, "nextCursor",
                     r->nrows > pg->limit ? json_string(next) : json_null(), "conversation", conv);
    store_res_free(c);
    store_res_free(r);
    store_res_free(mr);
    free(pos);
    if (mine > 0) {
        json_t *upto = json_integer(mine);
        apierr_t derr = {0};
        msg_mark(db, uid, cid, upto, false, NULL, &derr); /* best effort */
        apierr_clear(&derr);
        json_decref(upto);
    }
    return 0;
fail:
    store_res_free(c);
    store_res_free(r);
    store_res_free(mr);
    free(pos);
    return -1;
}

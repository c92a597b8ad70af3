/*
 * messaging/util.c - shared pieces of messaging/: member
 * positions, membership checks, JSON shapes, input readers, publishing.
 * Ownership follows msg_int.h.
 */
#include "messaging/msg_int.h"

#include "core/clock.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "realtime/realtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int msg_members_load(store_conn_t *db, const char *cid, store_res_t **res, msg_pos_t **pos,
                     size_t *n, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(cid)};
    *pos = NULL;
    *n = 0;
    if (store_query(db, MSG_MEMBERS_SQL, a, 1, res, err) < 0)
        return -1;
    size_t rows = (size_t)(*res)->nrows;
    *pos = calloc(rows ? rows : 1, sizeof **pos);
    if (!*pos)
        abort();
    for (size_t i = 0; i < rows; i++)
        (*pos)[i] = (msg_pos_t){.user_id = store_val(*res, (int)i, 0),
                                .delivered = store_int(*res, (int)i, 2),
                                .read = store_int(*res, (int)i, 3)};
    *n = rows;
    return 0;
}

int msg_conv_load(store_conn_t *db, const char *cid, const char *uid, store_res_t **out,
                  apierr_t *err)
{
    *out = NULL;
    if (!cid || !uuid_valid(cid))
        return apierr_set(err, 404, "not_found", "no such conversation");
    store_arg_t a[] = {ARG_TEXT(cid), ARG_TEXT(uid)};
    if (store_query(db,
                    "SELECT " MSG_CONV_COLS " FROM conversations c WHERE c.id = $1 AND EXISTS "
                    "(SELECT 1 FROM (" MSG_MEMBERS_SQL ") x WHERE x.user_id = $2)",
                    a, 2, out, err) < 0)
        return -1;
    if ((*out)->nrows != 1) {
        store_res_free(*out);
        *out = NULL;
        return apierr_set(err, 404, "not_found", "no such conversation");
    }
    return 0;
}

bool msg_is_member(store_conn_t *db, const char *cid, const char *uid)
{
    store_res_t *r = NULL;
    apierr_t err = {0};
    bool ok = msg_conv_load(db, cid, uid, &r, &err) == 0;
    store_res_free(r);
    apierr_clear(&err);
    return ok;
}

bool msg_is_trip_member(store_conn_t *db, const char *tid, const char *uid)
{
    if (!uuid_valid(tid))
        return false;
    store_arg_t a[] = {ARG_TEXT(tid), ARG_TEXT(uid)};
    store_res_t *r = NULL;
    apierr_t err = {0};
    bool ok = store_query(db,
                          "SELECT 1 FROM trip_buddies b JOIN trips t ON t.id = b.trip_id WHERE "
                          "b.trip_id = $1 AND b.user_id = $2 AND b.state = 'accepted' AND "
                          "b.deleted_at IS NULL AND t.deleted_at IS NULL",
                          a, 2, &r, &err) == 0 &&
              r->nrows > 0;
    store_res_free(r);
    apierr_clear(&err);
    return ok;
}

json_t *msg_time(int64_t ms)
{
    char b[40];
    return json_string(clock_rfc3339(ms, b, sizeof b));
}

static json_t *col_str(const store_res_t *r, int row, int col)
{
    const char *v = store_val(r, row, col);
    return v ? json_string(v) : json_null();
}

json_t *msg_row_json(const store_res_t *r, int row, const char *status)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", col_str(r, row, MC_ID));
    json_object_set_new(o, "conversationId", col_str(r, row, MC_CONV));
    json_object_set_new(o, "seq", json_integer(store_int(r, row, MC_SEQ)));
    json_object_set_new(o, "senderId", col_str(r, row, MC_SENDER));
    const char *type = store_val(r, row, MC_TYPE);
    json_object_set_new(o, "type", col_str(r, row, MC_TYPE));
    json_object_set_new(o, "text", col_str(r, row, MC_BODY));
    if (type && strcmp(type, "location") == 0)
        json_object_set_new(o, "location",
                            json_pack("{s:f, s:f, s:o}", "lat", store_real(r, row, MC_LAT), "lng",
                                      store_real(r, row, MC_LNG), "label",
                                      col_str(r, row, MC_LABEL)));
    if (store_val(r, row, MC_BOOKING))
        json_object_set_new(o, "bookingId", col_str(r, row, MC_BOOKING));
    if (store_val(r, row, MC_MEDIA)) {
        char url[160];
        snprintf(url, sizeof url, "/v1/media/%s", store_val(r, row, MC_MEDIA));
        json_object_set_new(o, "media",
                            json_pack("{s:s, s:o, s:I}", "url", url, "contentType",
                                      col_str(r, row, MC_MEDIA_TYPE), "size",
                                      (json_int_t)store_int(r, row, MC_MEDIA_SIZE)));
    }
    json_object_set_new(o, "clientMessageId", col_str(r, row, MC_CLIENT_ID));
    const char *tr = store_val(r, row, MC_TRANSLATIONS);
    json_t *tj = tr ? json_loads(tr, 0, NULL) : NULL;
    json_object_set_new(o, "translations", json_is_object(tj) ? tj : json_object());
    if (tj && !json_is_object(tj))
        json_decref(tj);
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "createdAt", msg_time(store_int(r, row, MC_CREATED)));
    return o;
}

static int last_message(store_conn_t *db, const char *cid, int64_t seq, const msg_pos_t *pos,
                        size_t n, json_t **out, apierr_t *err)
{
    *out = json_null();
    if (seq <= 0)
        return 0;
    store_arg_t a[] = {ARG_TEXT(cid), ARG_INT(seq)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1 AND seq = $2",
                    a, 2, &r, err) < 0)
        return -1;
    if (r->nrows == 1) {
        json_decref(*out);
        *out = msg_row_json(r, 0, msg_status(pos, n, store_val(r, 0, MC_SENDER), seq));
    }
    store_res_free(r);
    return 0;
}

int msg_conv_json(store_conn_t *db, const store_res_t *c, int row, const char *uid,
                  json_t **out, apierr_t *err)
{
    const char *cid = store_val(c, row, CC_ID);
    store_res_t *mr = NULL, *ur = NULL;
    msg_pos_t *pos = NULL;
    size_t n = 0;
    json_t *last = NULL;
    *out = NULL;
    if (msg_members_load(db, cid, &mr, &pos, &n, err) < 0)
        goto fail;
    int64_t read = 0;
    json_t *members = json_array();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pos[i].user_id, uid) == 0)
            read = pos[i].read;
        json_array_append_new(members, json_pack("{s:s, s:s}", "userId", pos[i].user_id,
                                                 "role", store_val(mr, (int)i, 1)));
    }
    store_arg_t a[] = {ARG_TEXT(cid), ARG_INT(read), ARG_TEXT(uid)};
    if (last_message(db, cid, store_int(c, row, CC_LAST_SEQ), pos, n, &last, err) < 0 ||
        store_query(db,
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND "
                    "sender_id <> $3",
                    a, 3, &ur, err) < 0) {
        json_decref(members);
        goto fail;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", col_str(c, row, CC_ID));
    json_object_set_new(o, "type", col_str(c, row, CC_TYPE));
    json_object_set_new(o, "name", col_str(c, row, CC_NAME));
    json_object_set_new(o, "tripId", col_str(c, row, CC_TRIP));
    json_object_set_new(o, "bookingId", col_str(c, row, CC_BOOKING));
    json_object_set_new(o, "createdBy", col_str(c, row, CC_BY));
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "lastSeq", json_integer(store_int(c, row, CC_LAST_SEQ)));
    json_object_set_new(o, "lastMessage", last);
    json_object_set_new(o, "unreadCount", json_integer(store_int(ur, 0, 0)));
    json_object_set_new(o, "readUpTo", json_integer(read));
    json_object_set_new(o, "lastActivityAt", msg_time(store_int(c, row, CC_ACTIVITY)));
    json_object_set_new(o, "createdAt", msg_time(store_int(c, row, CC_CREATED)));
    json_object_set_new(o, "version", json_integer(store_int(c, row, CC_VERSION)));
    *out = o;
    store_res_free(ur);
    store_res_free(mr);
    free(pos);
    return 0;
fail:
    json_decref(last);
    store_res_free(ur);
    store_res_free(mr);
    free(pos);
    return -1;
}

int msg_invalid(apierr_t *err, const char *field, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    apierr_set(err, 422, "validation_failed", "%s %s", field, buf);
    apierr_detail(err, "field", json_string(field));
    return -1;
}

int msg_str(json_t *obj, const char *field, size_t min, size_t max, bool required,
            const char **out, apierr_t *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return required ? msg_invalid(err, field, "is required") : 0;
    if (!json_is_string(v))
        return msg_invalid(err, field, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), cps = 0;
    if (strlen(s) != len || validate_utf8(s, len, &cps) != 0)
        return msg_invalid(err, field, "must be valid UTF-8 without NUL");
    if (cps < min || cps > max)
        return msg_invalid(err, field, "must be %zu to %zu characters", min, max);
    *out = s;
    return 0;
}

int msg_uuid(json_t *obj, const char *field, const char **out, apierr_t *err)
{
    if (msg_str(obj, field, 1, 64, true, out, err) < 0)
        return -1;
    if (!uuid_valid(*out))
        return msg_invalid(err, field, "must be an id");
    return 0;
}

int msg_user_exists(store_conn_t *db, const char *id, bool *exists, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL AND status = "
                    "'active'",
                    a, 1, &r, err) < 0)
        return -1;
    *exists = r->nrows > 0;
    store_res_free(r);
    return 0;
}

void msg_publish(const char *cid, const char *event, json_t *payload)
{
    char room[64];
    snprintf(room, sizeof room, "conversation:%s", cid);
    realtime_publish(room, event, payload);
    json_decref(payload);
}

void msg_publish_user(const char *uid, const char *event, json_t *payload)
{
    char room[96];
    snprintf(room, sizeof room, "user:%s", uid);
    realtime_publish(room, event, payload);
    json_decref(payload);
}

/*
 * messaging/msg_int.h - what the files of messaging/ share: column lists,
 * the member query, JSON shapes, message status and input readers.
 * Not for other modules (they use messaging.h).
 */
#ifndef TRAVLOC_MESSAGING_MSG_INT_H
#define TRAVLOC_MESSAGING_MSG_INT_H

#include "messaging/messaging.h"

#include <stddef.h>

/* Current members of conversation $1 with their positions: user_id, role,
 * delivered_seq, read_seq. Trip conversations take them from the trip's
 * accepted buddies. */
#define MSG_MEMBERS_SQL                                                                        \
    "SELECT m.user_id, m.role, m.delivered_seq, m.read_seq FROM conversation_members m JOIN "  \
    "conversations c ON c.id = m.conversation_id WHERE c.id = $1 AND c.type <> 'trip' AND "    \
    "m.left_at IS NULL UNION ALL SELECT b.user_id, 'member', COALESCE(m.delivered_seq, 0), "   \
    "COALESCE(m.read_seq, 0) FROM conversations c JOIN trips t ON t.id = c.trip_id AND "       \
    "t.deleted_at IS NULL JOIN trip_buddies b ON b.trip_id = c.trip_id AND b.state = "         \
    "'accepted' AND b.deleted_at IS NULL AND b.user_id IS NOT NULL LEFT JOIN "                 \
    "conversation_members m ON m.conversation_id = c.id AND m.user_id = b.user_id WHERE c.id " \
    "= $1 AND c.type = 'trip'"

#define MSG_CONV_COLS                                                                          \
    "c.id, c.type, c.name, c.trip_id, c.booking_id, c.created_by, c.last_seq, "                \
    "c.last_activity, c.created_at, c.version"
enum { CC_ID, CC_TYPE, CC_NAME, CC_TRIP, CC_BOOKING, CC_BY, CC_LAST_SEQ, CC_ACTIVITY,
       CC_CREATED, CC_VERSION, CC_NCOLS };

#define MSG_COLS                                                                               \
    "id, conversation_id, seq, sender_id, type, body, lat, lng, label, booking_id, "           \
    "media_name, media_type, media_size, client_message_id, translations, created_at"
enum { MC_ID, MC_CONV, MC_SEQ, MC_SENDER, MC_TYPE, MC_BODY, MC_LAT, MC_LNG, MC_LABEL,
       MC_BOOKING, MC_MEDIA, MC_MEDIA_TYPE, MC_MEDIA_SIZE, MC_CLIENT_ID, MC_TRANSLATIONS,
       MC_CREATED, MC_NCOLS };

/* One participant's positions. */
typedef struct {
    const char *user_id; /* borrowed from the member result */
    int64_t delivered, read;
} msg_pos_t;

/* Status of message `seq` from `sender` given every member's positions:
 * READ when every other member read it, DELIVERED when every other
 * member received it, else SENT. Pure. */
const char *msg_status(const msg_pos_t *pos, size_t n, const char *sender, int64_t seq);

/* Members (MSG_MEMBERS_SQL) and their positions; pos is malloc'd, its
 * strings borrow *res. Free with free(pos) and store_res_free(res). */
int msg_members_load(store_conn_t *db, const char *cid, store_res_t **res, msg_pos_t **pos,
                     size_t *n, apierr_t *err);

/* Loads conversation cid (MSG_CONV_COLS) if uid is a member, else 404. */
int msg_conv_load(store_conn_t *db, const char *cid, const char *uid, store_res_t **out,
                  apierr_t *err);

/* Message JSON of row `row` (MSG_COLS) with `status`. */
json_t *msg_row_json(const store_res_t *r, int row, const char *status);
/* Conversation JSON for uid: members, lastMessage, unreadCount. */
int msg_conv_json(store_conn_t *db, const store_res_t *c, int row, const char *uid,
                  json_t **out, apierr_t *err);

/* RFC 3339 string for ms. */
json_t *msg_time(int64_t ms);
/* 422 "validation_failed" naming field; returns -1. */
int msg_invalid(apierr_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* obj.field as a string of min..max code points (NULL when absent and not
 * required). */
int msg_str(json_t *obj, const char *field, size_t min, size_t max, bool required,
            const char **out, apierr_t *err);
/* obj.field as a UUID string (required). */
int msg_uuid(json_t *obj, const char *field, const char **out, apierr_t *err);
/* Whether user id is an active account. */
int msg_user_exists(store_conn_t *db, const char *id, bool *exists, apierr_t *err);
/* Publishes event with payload (stolen) to room "conversation:<cid>". */
void msg_publish(const char *cid, const char *event, json_t *payload);
/* Publishes event with payload (stolen) to room "user:<uid>". */
void msg_publish_user(const char *uid, const char *event, json_t *payload);

/* A message just stored, as the offline-member notifications need it
 * (notify_offline.c). Strings borrowed; text and label may be NULL. */
typedef struct {
    const char *uid, *cid, *msg_id;
    int64_t seq;
    const char *type, *text, *label;
    int64_t members_gen; /* the conversation's, read by the send's UPDATE */
} msg_notify_in_t;
/* Inside the sending transaction: a chat notification to each member who
 * is offline and has not muted the conversation (collapsed per window).
 * 0, or -1 with err (a store error: the send rolls back). */
int msg_notify_offline(store_conn_t *db, const msg_notify_in_t *m, apierr_t *err);

#endif

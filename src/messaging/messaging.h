/*
 * messaging/messaging.h - conversations and messages (issue 8): the store
 * logic behind /v1/messages and the socket events of api/messages_rt.c.
 *
 * Model. A conversation is direct (two users, one per pair), group (a
 * name, an admin who created it, members who join and leave), trip (its
 * members are, live, the accepted buddies of the trip: nothing is copied,
 * so a removed buddy loses access with the next query) or booking
 * (traveller + guide, given by the caller until bookings exist). Messages
 * are numbered 1, 2, … per conversation (seq) inside the sending
 * transaction; each participant has a delivered and a read position
 * (seqs), from which message status (SENT / DELIVERED / READ) and exact
 * unread counts are computed.
 *
 * Every send is committed first, then published as `message:new` to room
 * "conversation:<id>" in seq order (order.c). Status changes are published
 * as `message:status`, membership changes as `conversation:members`.
 *
 * Calling convention: every function runs in a request or socket-event
 * coroutine on a loop thread, with that loop's store handle. Functions
 * return 0, or -1 with err set (404 for a conversation that is missing or
 * not the caller's, 422 naming the field for invalid input, 409 for a
 * conflict). JSON they return through `out` is a new reference the
 * caller owns; JSON arguments are borrowed.
 */
#ifndef TRAVLOC_MESSAGING_H
#define TRAVLOC_MESSAGING_H

#include "core/apierr.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define MSG_TEXT_MAX 4000       /* code points */
#define MSG_MEDIA_MAX (10 << 20) /* bytes */
#define MSG_GROUP_MAX 256       /* members of a group or booking conversation */

/* An image already stored under the media directory. Strings borrowed. */
typedef struct {
    const char *name;          /* "<sha256 hex>.<ext>" */
    const char *content_type;  /* "image/jpeg", … */
    int64_t size;
} msg_media_t;

/* POST /conversations: body {type, userId | name+memberIds | tripId |
 * bookingId+memberIds}. *created is false when an existing direct or trip
 * conversation is returned. */
int msg_conv_create(store_conn_t *db, const char *uid, json_t *body, json_t **out,
                    bool *created, apierr_t *err);
/* GET /conversations: {items, nextCursor}, most recent activity first. */
int msg_conv_list(store_conn_t *db, const char *uid, int limit, const char *cursor,
                  json_t **out, apierr_t *err);
/* One conversation as the list shows it (404 unless a member). */
int msg_conv_get(store_conn_t *db, const char *uid, const char *cid, json_t **out,
                 apierr_t *err);

/* Group membership. Adding: body {userIds: [...]} (any member of a group).
 * Removing: the user themself (leave) or the group's admin. */
int msg_members_add(store_conn_t *db, const char *uid, const char *cid, json_t *body,
                    json_t **out, apierr_t *err);
int msg_member_remove(store_conn_t *db, const char *uid, const char *cid, const char *target,
                      apierr_t *err);

/* A late session check riding on a send's statement (PostgreSQL,
 * auth/session_cache.h): `sid` in (NULL: none asked); out: `checked` when
 * the statement ran, then `live` and the session's row (role and status of
 * its user, last_used_at), copied. A send whose session is not live or
 * whose user is not active changes nothing and fails with 401. */
typedef struct {
    const char *sid;
    bool checked, live;
    char role[32], status[32];
    int64_t last_used;
} msg_session_t;

/* Sends a message (body: {type?, text, location, bookingId,
 * clientMessageId}; media, when not NULL, makes it a media message with
 * body.text as caption). The same clientMessageId from the same sender in
 * the same conversation returns the stored message with *created false
 * and publishes nothing. ses may be NULL; only PostgreSQL checks ses->sid
 * (elsewhere, and when the send failed before its statement, `checked`
 * stays false). */
int msg_send(store_conn_t *db, const char *uid, const char *cid, json_t *body,
             const msg_media_t *media, msg_session_t *ses, json_t **out, bool *created,
             apierr_t *err);

/* History, newest first: {items, nextCursor, conversation}. before/after
 * are seqs (0 = unbounded). Marks what it returns as delivered to uid. */
typedef struct {
    int limit;
    int64_t before, after;
    bool media_only;
} msg_page_t;
int msg_history(store_conn_t *db, const char *uid, const char *cid, const msg_page_t *pg,
                json_t **out, apierr_t *err);

/* Moves uid's delivered (read == false) or read position forward to upto
 * (an integer seq or a message id; clamped to the last message). Read
 * implies delivered. Publishes message:status when a position moved.
 * *out (may be NULL): {conversationId, deliveredUpTo, readUpTo,
 * unreadCount}. */
int msg_mark(store_conn_t *db, const char *uid, const char *cid, json_t *upto, bool read,
             json_t **out, apierr_t *err);

/* Whether uid is a member of conversation cid (false on any error). */
bool msg_is_member(store_conn_t *db, const char *cid, const char *uid);
/* Whether uid is an accepted buddy of live trip tid. */
bool msg_is_trip_member(store_conn_t *db, const char *tid, const char *uid);

/* A buddy left or was removed from trip tid (call after commit): their
 * sockets leave the trip's conversation room and "trip:<tid>" at once. */
void msg_trip_member_removed(store_conn_t *db, const char *tid, const char *uid);

/* User ids sharing a conversation or a trip with uid (one column,
 * distinct, uid excluded). */
int msg_contacts(store_conn_t *db, const char *uid, store_res_t **out, apierr_t *err);

/* ---- ordered publishing (order.c) ------------------------------------ */

/* A place in a conversation's publish order, taken inside the sending
 * transaction after its seq was allocated (while the conversation row is
 * locked), released after commit (or rollback: payload NULL). Messages
 * of a conversation are published in the order their tickets were taken,
 * so in seq order, whichever loop commits first. */
typedef struct msg_ticket msg_ticket_t;
msg_ticket_t *msg_order_take(const char *cid);
/* payload borrowed (NULL publishes nothing); frees t. */
void msg_order_release(msg_ticket_t *t, const char *event, json_t *payload);

#endif

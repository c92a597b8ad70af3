/*
 * messaging/notify_offline.h - muting a conversation's notifications for
 * one member (notify_offline.c) and the text of a chat notification
 * (chat_preview.c); the offline notifications themselves are
 * messaging-internal, see msg_int.h. Calling convention as messaging.h:
 * 0, or -1 with err (404 for a conversation that is missing or not the
 * caller's, 422 naming the field); *out is a new reference the caller owns:
 * {conversationId, muted, mutedUntil (RFC 3339 or null)}.
 */
#ifndef TRAVLOC_MESSAGING_NOTIFY_OFFLINE_H
#define TRAVLOC_MESSAGING_NOTIFY_OFFLINE_H

#include "core/apierr.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- chat notification text (chat_preview.c; pure) ---- */

#define MSG_PREVIEW_MAX 100                      /* code points of text shown */
#define MSG_PREVIEW_CAP (4 * MSG_PREVIEW_MAX + 32) /* bytes a preview needs */

/* s (UTF-8, NULL = "") cut to max code points with "…" appended when cut,
 * control characters as spaces, into out (cap bytes, always
 * NUL-terminated, never half a character). */
void msg_clip(const char *s, size_t max, char *out, size_t cap);
/* The notification text of a message: the text (clipped), "Location:
 * <label>" / "Shared a location", "Photo: <caption>" / "Sent a photo",
 * "Shared a booking". */
void msg_chat_preview(const char *type, const char *text, const char *label, char *out,
                      size_t cap);

/* The caller's mute state for conversation cid. */
int msg_mute_get(store_conn_t *db, const char *uid, const char *cid, json_t **out,
                 apierr_t *err);
/* on: mute until body.until (RFC 3339, future) or, when absent or null,
 * until unmuted; !on: unmute (body must be empty). body may be NULL. */
int msg_mute_set(store_conn_t *db, const char *uid, const char *cid, json_t *body, bool on,
                 json_t **out, apierr_t *err);

#endif

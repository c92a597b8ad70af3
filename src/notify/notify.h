/*
 * notify.h - sending notifications: one call, notify(), turns (user,
 * category, template, data) into a stored in-app notification plus durable
 * NOTIFICATION_SEND delivery jobs, one per channel and push device.
 *
 * Everything notify() writes goes through the caller's store handle, so
 * inside the caller's transaction the notification and its jobs commit or
 * roll back with the change that caused them. Preferences (category x
 * channel) decide which channels run; a push inside the user's quiet hours
 * is delayed to the end of the window (safety ignores quiet hours). A
 * notification with opts.send_at in the future, or addressed to a topic
 * ("trip:<id>" = the trip's owner and accepted buddies), becomes one
 * dispatch job that expands the recipients when it runs.
 *
 * Delivery (jobs.c): each delivery row (notification_deliveries) records
 * queued -> sent | delivered | failed with a reason, and every attempt in
 * notification_attempts. Push goes to FCM, APNs or Web Push (providers in
 * push_*.c, libcurl on the thread pool); email and SMS go to the accounts
 * outbox (mailer_enqueue); in-app is published as "notification:new" to
 * room user:<id>.
 *
 * Threads: notify_register() runs once at start-up before threads; the
 * rest runs on a loop thread (inside a coroutine) or a blocking handle.
 * Ownership: every argument is borrowed for the call.
 */
#ifndef TRAVLOC_NOTIFY_H
#define TRAVLOC_NOTIFY_H

#include "core/apierr.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_JOB_TYPE "NOTIFICATION_SEND"
#define NOTIFY_QUEUE "notifications"

typedef struct {
    int64_t send_at;      /* Unix ms; 0 or past = now */
    const char *topic;    /* "trip:<id>": recipients expanded at send time */
    const char *language; /* NULL = the user's preferences.language, else "en" */
} notify_opts_t;

/* Sends template `tmpl` with `data` (an object of strings/numbers, may be
 * NULL) to `user_id` (or, when user_id is NULL, to opts->topic). On
 * success returns 0 and, for an immediate single-user send, writes the new
 * notification id to id_out (may be NULL; "" for deferred sends). Returns
 * -1 with err: 422 for an unknown template, category mismatch or bad topic,
 * 404 for an unknown user. */
int notify(store_conn_t *db, const char *user_id, const char *category, const char *tmpl,
           json_t *data, const notify_opts_t *opts, char id_out[37], apierr_t *err);

/* Columns notify_row_json() reads, in order; select them FROM notifications. */
#define NOTIFY_COLS "id, category, template, title, body, data, topic, read_at, created_at, language"
/* The API / real-time shape of one notification row. New reference. */
json_t *notify_row_json(const store_res_t *r, int row);

/* The trip-invitation trigger (buddies.c calls it after its commit): sends
 * "trip.invitation" to invitee_id in its own transaction. Best effort: a
 * failure is logged, never reported. invitee_id NULL (an e-mail without an
 * account yet) does nothing. */
void notify_trip_invitation(store_conn_t *db, const char *trip_id, const char *inviter_id,
                            const char *invitee_id);

/* Registers the NOTIFICATION_SEND job type (idempotent). Call at start-up,
 * before threads, in `serve` and in `worker`. */
int notify_register(void);

/* Decodes base64url (padding optional, '+' and '/' accepted) into out (cap
 * bytes). Returns the length, or -1 when malformed or too long. */
int notify_b64url_decode(const char *s, uint8_t *out, size_t cap);

/* Whether a Web Push endpoint (https://host[:port]/...) names an accepted
 * push service: its host equals an entry of --webpush-hosts, or ends with
 * "." + entry (default: the push services of Chrome, Firefox, Edge and
 * Safari). Keeps subscriptions from pointing the server at internal hosts. */
bool notify_webpush_host_allowed(const char *endpoint);

/* ---- categories, channels, templates (templates.c) --------------------------- */

extern const char *const notify_categories[]; /* NULL-terminated */
extern const char *const notify_channels[];   /* "push", "email", "sms", "inApp" */
bool notify_category_valid(const char *c);

typedef struct {
    const char *name;     /* "trip.invitation" */
    const char *category;
    const char *language; /* "en", "fr" */
    const char *title;    /* with {{var}} placeholders */
    const char *body;
} notify_template_t;

/* The template `name` in `language`, falling back to "en"; NULL if unknown. */
const notify_template_t *notify_template(const char *name, const char *language);
/* Replaces every {{var}} with data.var (string, integer, real or boolean;
 * missing -> empty). Returns a heap string the caller frees. */
char *notify_render(const char *text, json_t *data);

/* ---- preferences (prefs.c) ---------------------------------------------------- */

/* The defaults: every channel on for every category except sms (safety
 * only), email (off for chat) and marketing (in-app only). New reference. */
json_t *notify_prefs_default(void);
/* Merges `patch` ({categories: {cat: {channel: bool}}, quietHours: {start,
 * end, timeZone} | null}) into `prefs` (a full document, modified). 0 or
 * -1 with 422 naming the field. */
int notify_prefs_merge(json_t *prefs, json_t *patch, apierr_t *err);
bool notify_prefs_channel(json_t *prefs, const char *category, const char *channel);
/* When `now_ms` falls inside prefs' quiet hours, the end of that window
 * (Unix ms); otherwise 0. */
int64_t notify_quiet_until(json_t *prefs, int64_t now_ms);
/* Loads a user's preferences (defaults when never set). New reference or
 * NULL with err. */
json_t *notify_prefs_load(store_conn_t *db, const char *user_id, apierr_t *err);

#endif

/*
 * notify.c - notify(): the stored notification and its delivery jobs.
 *
 * An immediate send writes, on the caller's handle (so inside the caller's
 * transaction when one is open): one notifications row, one
 * notification_deliveries row per enabled channel (push: per active
 * device), and one NOTIFICATION_SEND job per delivery. A deferred send
 * (sendAt in the future) or a topic send writes one "dispatch" job that
 * calls notify__now() for each recipient when it runs. Nothing here talks
 * to the network; jobs.c delivers.
 */
#include "notify/notify_int.h"

#include "api/acc_util.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"
#include "queue/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *notify_row_json(const store_res_t *r, int row)
{
    json_t *data = json_loads(store_val(r, row, 5) ? store_val(r, row, 5) : "{}", 0, NULL);
    const char *topic = store_val(r, row, 6);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:s}", "id",
                     store_val(r, row, 0), "category", store_val(r, row, 1), "template",
                     store_val(r, row, 2), "title", store_val(r, row, 3), "body",
                     store_val(r, row, 4), "data", data ? data : json_object(), "topic",
                     topic ? json_string(topic) : json_null(), "read", store_val(r, row, 7) != NULL,
                     "readAt", acc_time_col(r, row, 7), "createdAt", acc_time_col(r, row, 8),
                     "language", store_val(r, row, 9));
}

static int enqueue_job(store_conn_t *db, json_t *payload, int64_t run_at, apierr_t *err,
                       char job_id[37])
{
    const config_t *cfg = notify__config();
    job_spec_t spec = {.queue = NOTIFY_QUEUE, .type = NOTIFY_JOB_TYPE, .payload = payload,
                       .run_at_ms = run_at, .max_attempts = 5,
                       .backoff = QUEUE_BACKOFF_EXPONENTIAL,
                       .backoff_ms = cfg->push_retry_ms > 0 ? cfg->push_retry_ms : 5000,
                       .timeout_ms = 120000};
    return queue_enqueue(db, &spec, job_id, err) < 0 ? -1 : 0;
}

static int add_delivery(store_conn_t *db, const char *nid, const char *channel,
                        const char *device_id, int64_t not_before, apierr_t *err)
{
    char did[UUID_STR_LEN], jid[37];
    uuid_v7(did);
    json_t *p = json_pack("{s:s, s:s}", "kind", "deliver", "deliveryId", did);
    int rc = enqueue_job(db, p, not_before, err, jid);
    json_decref(p);
    if (rc < 0)
        return -1;
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(did), ARG_TEXT(nid), ARG_TEXT(channel), ARG_TEXT(device_id),
                       ARG_TEXT(jid), ARG_INT(not_before > now ? not_before : now), ARG_INT(now)};
    return store_exec(db,
                      "INSERT INTO notification_deliveries (id, notification_id, channel, "
                      "device_id, job_id, state, not_before, created_at, updated_at) VALUES ($1, "
                      "$2, $3, $4, $5, 'queued', $6, $7, $7)",
                      a, 7, err);
}

/* The user's language from their preferences, "en" when unset. */
static void user_language(const char *prefs_text, char *out, size_t n)
{
    json_t *p = prefs_text ? json_loads(prefs_text, 0, NULL) : NULL;
    const char *l = json_string_value(json_object_get(p, "language"));
    snprintf(out, n, "%.2s", l && strlen(l) >= 2 ? l : "en");
    json_decref(p);
}

static int push_deliveries(store_conn_t *db, const char *uid, const char *nid,
                           int64_t not_before, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id FROM notification_devices WHERE user_id = $1 AND active = 1 ORDER "
                    "BY id",
                    a, 1, &r, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < r->nrows && rc == 0; i++)
        rc = add_delivery(db, nid, "push", store_val(r, i, 0), not_before, err);
    store_res_free(r);
    return rc;
}

int notify__now(store_conn_t *db, const char *uid, const char *category, const char *tmpl,
                json_t *data, const char *language, const char *topic, char id_out[37],
                apierr_t *err)
{
    store_arg_t u[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT email, phone, preferences FROM users WHERE id = $1 AND status = "
                    "'active'",
                    u, 1, &r, err) < 0)
        return -1;
    if (r->nrows != 1) {
        store_res_free(r);
        return apierr_set(err, 404, "not_found", "no such user");
    }
    char lang[8];
    if (language)
        snprintf(lang, sizeof lang, "%.2s", language);
    else
        user_language(store_val(r, 0, 2), lang, sizeof lang);
    const notify_template_t *t = notify_template(tmpl, lang);
    bool has_phone = store_val(r, 0, 1) && *store_val(r, 0, 1);
    store_res_free(r);
    if (!t)
        return acc_invalid(err, "template", "no such template");
    if (category && strcmp(category, t->category) != 0)
        return acc_invalid(err, "category", "template %s is in category %s", t->name,
                           t->category);
    json_t *prefs = notify_prefs_load(db, uid, err);
    if (!prefs)
        return -1;
    char nid[UUID_STR_LEN];
    uuid_v7(nid);
    char *title = notify_render(t->title, data), *body = notify_render(t->body, data);
    char *dtext = json_dumps(json_is_object(data) ? data : json_object(), JSON_COMPACT);
    bool in_app = notify_prefs_channel(prefs, t->category, "inApp");
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(nid),   ARG_TEXT(uid),  ARG_TEXT(t->category), ARG_TEXT(t->name),
                       ARG_TEXT(t->language), ARG_TEXT(title), ARG_TEXT(body), ARG_TEXT(dtext),
                       ARG_TEXT(topic), ARG_INT(in_app ? 1 : 0), ARG_INT(now)};
    int rc = store_exec(db,
                        "INSERT INTO notifications (id, user_id, category, template, language, "
                        "title, body, data, topic, in_app, created_at) VALUES ($1, $2, $3, $4, "
                        "$5, $6, $7, $8, $9, $10, $11)",
                        a, 11, err);
    free(title);
    free(body);
    free(dtext);
    bool safety = strcmp(t->category, "safety") == 0;
    if (rc == 0 && in_app)
        rc = add_delivery(db, nid, "inApp", NULL, 0, err);
    if (rc == 0 && notify_prefs_channel(prefs, t->category, "push")) {
        int64_t quiet = safety ? 0 : notify_quiet_until(prefs, now);
        rc = push_deliveries(db, uid, nid, quiet, err);
    }
    if (rc == 0 && notify_prefs_channel(prefs, t->category, "email"))
        rc = add_delivery(db, nid, "email", NULL, 0, err);
    if (rc == 0 && has_phone && notify_prefs_channel(prefs, t->category, "sms"))
        rc = add_delivery(db, nid, "sms", NULL, 0, err);
    json_decref(prefs);
    if (rc == 0 && id_out)
        snprintf(id_out, 37, "%s", nid);
    return rc;
}

/* "trip:<uuid>" is the only topic kind so far. */
static bool topic_valid(const char *t)
{
    return t && strncmp(t, "trip:", 5) == 0 && uuid_valid(t + 5);
}

int notify(store_conn_t *db, const char *user_id, const char *category, const char *tmpl,
           json_t *data, const notify_opts_t *opts, char id_out[37], apierr_t *err)
{
    notify_opts_t none = {0};
    if (!opts)
        opts = &none;
    if (id_out)
        id_out[0] = '\0';
    const notify_template_t *t = notify_template(tmpl, "en");
    if (!t)
        return acc_invalid(err, "template", "no such template");
    if (category && strcmp(category, t->category) != 0)
        return acc_invalid(err, "category", "template %s is in category %s", t->name,
                           t->category);
    if (data && !json_is_object(data))
        return acc_invalid(err, "data", "must be an object");
    if (opts->topic && !topic_valid(opts->topic))
        return acc_invalid(err, "topic", "must be trip:<id>");
    if (!user_id && !opts->topic)
        return acc_invalid(err, "userId", "give a user or a topic");
    int64_t now = clock_now_ms();
    if (user_id && !opts->topic && opts->send_at <= now)
        return notify__now(db, user_id, t->category, tmpl, data, opts->language, NULL, id_out,
                           err);
    json_t *p = json_pack("{s:s, s:s, s:s, s:o}", "kind", "dispatch", "category", t->category,
                          "template", tmpl, "data", data ? json_incref(data) : json_object());
    if (user_id)
        json_object_set_new(p, "userId", json_string(user_id));
    if (opts->topic)
        json_object_set_new(p, "topic", json_string(opts->topic));
    if (opts->language)
        json_object_set_new(p, "language", json_string(opts->language));
    char jid[37];
    int rc = enqueue_job(db, p, opts->send_at > now ? opts->send_at : 0, err, jid);
    json_decref(p);
    return rc;
}

void notify_trip_invitation(store_conn_t *db, const char *trip_id, const char *inviter_id,
                            const char *invitee_id)
{
    if (!invitee_id)
        return;
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(trip_id), ARG_TEXT(inviter_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT t.title, u.first_name, u.last_name FROM trips t, users u WHERE t.id = "
                    "$1 AND u.id = $2",
                    a, 2, &r, &err) < 0 ||
        r->nrows != 1)
        goto done;
    char inviter[256];
    snprintf(inviter, sizeof inviter, "%s %s", store_val(r, 0, 1), store_val(r, 0, 2));
    json_t *data = json_pack("{s:s, s:s, s:s}", "inviter", inviter, "trip", store_val(r, 0, 0),
                             "tripId", trip_id);
    if (store_begin(db, true, &err) == 0) {
        if (notify(db, invitee_id, "trip", "trip.invitation", data, NULL, NULL, &err) < 0 ||
            store_commit(db, &err) < 0)
            store_rollback(db);
    }
    json_decref(data);
done:
    if (err.status)
        log_warn("trip invitation not notified", "\"trip\":\"%s\",\"status\":%d", trip_id,
                 err.status);
    store_res_free(r);
    apierr_clear(&err);
}

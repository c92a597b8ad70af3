/*
 * jobs.c - the NOTIFICATION_SEND job: dispatch (expand recipients, then
 * notify__now for each) and deliver (one channel of one notification).
 *
 * A delivery is idempotent: a row already sent, delivered or failed is
 * not sent again when its job runs twice (lease lost, retried by hand).
 * Every attempt is recorded in notification_attempts with its outcome;
 * the delivery row carries the latest state and reason. Push outcomes:
 * accepted -> sent; 404/410/unregistered -> the device is deactivated and
 * the delivery failed (no retry); 5xx/429/timeouts -> QUEUE_RETRY with the
 * queue's backoff until the last attempt, then failed.
 */
#include "notify/notify_int.h"

#include "accounts/mailer.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"
#include "http/server.h"
#include "queue/queue.h"
#include "realtime/realtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------------ */

static config_t env_cfg;
static bool env_cfg_ready;

const config_t *notify__config(void)
{
    const config_t *c = server_config();
    return c ? c : &env_cfg;
}

static void free_env_cfg(void) { config_free(&env_cfg); }

/* ---- dispatch ------------------------------------------------------------------- */

/* The trip's owner and accepted buddies. */
static store_res_t *topic_members(store_conn_t *db, const char *topic, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(topic + 5)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT owner_id FROM trips WHERE id = $1 AND deleted_at IS NULL UNION "
                    "SELECT b.user_id FROM trip_buddies b JOIN trips t ON t.id = b.trip_id WHERE "
                    "b.trip_id = $1 AND b.state = 'accepted' AND b.deleted_at IS NULL AND "
                    "b.user_id IS NOT NULL AND t.deleted_at IS NULL",
                    a, 1, &r, err) < 0)
        return NULL;
    return r;
}

static int dispatch(queue_job_t *job)
{
    json_t *p = job->payload;
    const char *user = json_string_value(json_object_get(p, "userId"));
    const char *topic = json_string_value(json_object_get(p, "topic"));
    const char *cat = json_string_value(json_object_get(p, "category"));
    const char *tmpl = json_string_value(json_object_get(p, "template"));
    const char *lang = json_string_value(json_object_get(p, "language"));
    json_t *data = json_object_get(p, "data");
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    store_res_t *members = NULL;
    if (topic && !(members = topic_members(db, topic, &err)))
        goto retry;
    if (store_begin(db, true, &err) < 0)
        goto retry;
    int n = 0, rc = 0;
    for (int i = 0; members && i < members->nrows && rc == 0; i++) {
        const char *uid = store_val(members, i, 0);
        if (user && strcmp(user, uid) != 0)
            continue;
        rc = notify__now(db, uid, cat, tmpl, data, lang, topic, NULL, &err);
        n++;
    }
    if (!members && user) {
        rc = notify__now(db, user, cat, tmpl, data, lang, NULL, NULL, &err);
        n = 1;
        if (rc < 0 && err.status == 404) { /* the user is gone: nothing to send */
            store_rollback(db);
            store_res_free(members);
            apierr_clear(&err);
            job->result = json_pack("{s:i}", "recipients", 0);
            return QUEUE_OK;
        }
    }
    store_res_free(members);
    if (rc < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        goto retry;
    }
    job->result = json_pack("{s:i}", "recipients", n);
    return QUEUE_OK;
retry:
    queue_job_fail(job, "%s", err.message);
    apierr_clear(&err);
    return QUEUE_RETRY;
}

/* ---- deliver ---------------------------------------------------------------------- */

enum { D_ID, D_NID, D_CHANNEL, D_DEVICE, D_STATE, D_ATTEMPTS, D_UID, D_CAT, D_TITLE, D_BODY,
       D_DATA, D_EMAIL, D_PHONE, D_PROVIDER, D_TOKEN, D_P256, D_AUTH, D_ACTIVE };

static const char delivery_sql[] =
    "SELECT d.id, d.notification_id, d.channel, d.device_id, d.state, d.attempts, n.user_id, "
    "n.category, n.title, n.body, n.data, u.email, u.phone, v.provider, v.token, v.p256dh, "
    "v.auth, v.active FROM notification_deliveries d JOIN notifications n ON n.id = "
    "d.notification_id JOIN users u ON u.id = n.user_id LEFT JOIN notification_devices v ON "
    "v.id = d.device_id WHERE d.id = $1";

/* Records attempt n and the delivery's new state. */
static int record(store_conn_t *db, const char *did, int n, const char *state, const char *reason,
                  long status, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(did), ARG_INT(n), ARG_TEXT(state), ARG_TEXT(reason),
                       status ? ARG_INT(status) : ARG_NULL, ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO notification_attempts (delivery_id, attempt, state, reason, "
                   "status, at) VALUES ($1, $2, $3, $4, $5, $6)",
                   a, 6, err) < 0)
        return -1;
    store_arg_t u[] = {ARG_TEXT(did), ARG_INT(n), ARG_TEXT(state), ARG_TEXT(reason), ARG_INT(now)};
    return store_exec(db,
                      "UPDATE notification_deliveries SET state = $3, reason = $4, attempts = $2, "
                      "updated_at = $5 WHERE id = $1",
                      u, 5, err);
}

static int record_tx(store_conn_t *db, const char *did, int n, const char *state,
                     const char *reason, long status, apierr_t *err)
{
    if (store_begin(db, true, err) < 0)
        return -1;
    if (record(db, did, n, state, reason, status, err) < 0 || store_commit(db, err) < 0) {
        store_rollback(db);
        return -1;
    }
    return 0;
}

/* Email and SMS go to the accounts outbox in the same transaction as the
 * state change, so a retried job never enqueues twice. */
static int deliver_outbox(store_conn_t *db, store_res_t *r, int n, apierr_t *err)
{
    bool sms = strcmp(store_val(r, 0, D_CHANNEL), "sms") == 0;
    const char *to = store_val(r, 0, sms ? D_PHONE : D_EMAIL);
    if (!to || !*to)
        return record_tx(db, store_val(r, 0, D_ID), n, "failed", sms ? "no_phone" : "no_email",
                         0, err);
    if (store_begin(db, true, err) < 0)
        return -1;
    char text[4200];
    snprintf(text, sizeof text, "%s%s%s", sms ? store_val(r, 0, D_TITLE) : "", sms ? ": " : "",
             store_val(r, 0, D_BODY));
    if (mailer_enqueue(db, sms ? "sms" : "mail", to, store_val(r, 0, D_TITLE), text, err) < 0 ||
        record(db, store_val(r, 0, D_ID), n, "sent", NULL, 0, err) < 0 ||
        store_commit(db, err) < 0) {
        store_rollback(db);
        return -1;
    }
    return 0;
}

static int deliver_inapp(store_conn_t *db, store_res_t *r, int n, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(store_val(r, 0, D_NID))};
    store_res_t *q = NULL;
    if (store_query(db, "SELECT " NOTIFY_COLS " FROM notifications WHERE id = $1", a, 1, &q,
                    err) < 0)
        return -1;
    if (q->nrows == 1) {
        json_t *j = notify_row_json(q, 0);
        char room[64];
        snprintf(room, sizeof room, "user:%s", store_val(r, 0, D_UID));
        realtime_publish(room, "notification:new", j);
        json_decref(j);
    }
    store_res_free(q);
    return record_tx(db, store_val(r, 0, D_ID), n, "delivered", NULL, 0, err);
}

static int deliver_push(queue_job_t *job, store_conn_t *db, store_res_t *r, int n,
                        apierr_t *err)
{
    const char *did = store_val(r, 0, D_ID);
    if (strcmp(store_val(r, 0, D_PROVIDER) ? store_val(r, 0, D_PROVIDER) : "", "webpush") == 0 &&
        !notify_webpush_host_allowed(store_val(r, 0, D_TOKEN))) { /* the list changed since */
        if (record_tx(db, did, n, "failed", "endpoint host not allowed", 0, err) < 0)
            return QUEUE_RETRY;
        return QUEUE_OK;
    }
    if (!store_val(r, 0, D_TOKEN) || !store_bool(r, 0, D_ACTIVE)) {
        if (record_tx(db, did, n, "failed", "device_inactive", 0, err) < 0)
            return QUEUE_RETRY;
        return QUEUE_OK;
    }
    json_t *data = json_loads(store_val(r, 0, D_DATA), 0, NULL);
    push_device_t dev = {store_val(r, 0, D_PROVIDER), store_val(r, 0, D_TOKEN),
                         store_val(r, 0, D_P256), store_val(r, 0, D_AUTH)};
    push_msg_t m = {did, store_val(r, 0, D_NID), store_val(r, 0, D_CAT), store_val(r, 0, D_TITLE),
                    store_val(r, 0, D_BODY), data};
    push_result_t res = {0};
    push_send(&dev, &m, &res);
    json_decref(data);
    const char *state = "failed";
    int rc = QUEUE_OK;
    if (res.outcome == PUSH_SENT) {
        state = "sent";
    } else if (res.outcome == PUSH_GONE) {
        store_arg_t a[] = {ARG_TEXT(store_val(r, 0, D_DEVICE)), ARG_TEXT(res.reason),
                           ARG_INT(clock_now_ms())};
        if (store_exec(db,
                       "UPDATE notification_devices SET active = 0, deactivated_reason = $2, "
                       "updated_at = $3 WHERE id = $1",
                       a, 3, err) < 0)
            return QUEUE_RETRY;
    } else if (res.outcome == PUSH_RETRY && job->attempt < job->max_attempts) {
        state = "queued";
        rc = QUEUE_RETRY;
        queue_job_fail(job, "%s", res.reason);
    }
    /* A retried attempt is recorded as failed with its reason; the row
     * itself stays queued until the last attempt. */
    if (rc == QUEUE_RETRY) {
        store_arg_t a[] = {ARG_TEXT(did), ARG_INT(n), ARG_TEXT(res.reason),
                           res.status ? ARG_INT(res.status) : ARG_NULL, ARG_INT(clock_now_ms())};
        if (store_exec(db,
                       "INSERT INTO notification_attempts (delivery_id, attempt, state, reason, "
                       "status, at) VALUES ($1, $2, 'failed', $3, $4, $5)",
                       a, 5, err) < 0 ||
            store_exec(db,
                       "UPDATE notification_deliveries SET reason = $3, attempts = $2, "
                       "updated_at = $4 WHERE id = $1",
                       (store_arg_t[]){a[0], a[1], a[2], a[4]}, 4, err) < 0)
            return QUEUE_RETRY;
        return QUEUE_RETRY;
    }
    if (record_tx(db, did, n, state, res.outcome == PUSH_SENT ? NULL : res.reason, res.status,
                  err) < 0)
        return QUEUE_RETRY;
    return rc;
}

static int deliver(queue_job_t *job)
{
    const char *did = json_string_value(json_object_get(job->payload, "deliveryId"));
    if (!did) {
        queue_job_fail(job, "payload has no deliveryId");
        return QUEUE_FATAL;
    }
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(did)};
    store_res_t *r = NULL;
    if (store_query(db, delivery_sql, a, 1, &r, &err) < 0) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    int rc = QUEUE_OK;
    if (r->nrows == 1 && strcmp(store_val(r, 0, D_STATE), "queued") == 0) {
        int n = (int)store_int(r, 0, D_ATTEMPTS) + 1;
        const char *ch = store_val(r, 0, D_CHANNEL);
        if (strcmp(ch, "push") == 0)
            rc = deliver_push(job, db, r, n, &err);
        else if (strcmp(ch, "inApp") == 0)
            rc = deliver_inapp(db, r, n, &err) < 0 ? QUEUE_RETRY : QUEUE_OK;
        else
            rc = deliver_outbox(db, r, n, &err) < 0 ? QUEUE_RETRY : QUEUE_OK;
        if (rc == QUEUE_RETRY && err.status)
            queue_job_fail(job, "%s", err.message);
    }
    store_res_free(r);
    apierr_clear(&err);
    return rc;
}

static int send_job(queue_job_t *job)
{
    const char *kind = json_string_value(json_object_get(job->payload, "kind"));
    if (kind && strcmp(kind, "dispatch") == 0)
        return dispatch(job);
    if (kind && strcmp(kind, "deliver") == 0)
        return deliver(job);
    queue_job_fail(job, "unknown kind");
    return QUEUE_FATAL;
}

int notify_register(void)
{
    if (!env_cfg_ready) {
        char err[256];
        if (config_init(&env_cfg, err, sizeof err) < 0) /* serve reports it; keep defaults */
            log_warn("notifications: bad environment configuration, defaults used", NULL);
        env_cfg_ready = true;
        atexit(free_env_cfg);
    }
    if (queue_handler(NOTIFY_JOB_TYPE))
        return 0;
    return queue_register(NOTIFY_JOB_TYPE, send_job);
}

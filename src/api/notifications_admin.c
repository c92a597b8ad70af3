/*
 * notifications_admin.c - POST /v1/admin/notifications/test (send any
 * template to a user or topic), the background GDPR export
 * (/v1/users/me/exports, job type REPORT_GENERATION), DATA_SYNC, and the
 * registration of this feature's job types.
 *
 * REPORT_GENERATION builds the document with users_export_build()
 * (users_gdpr.c), stores it in user_reports and reports progress both to
 * the queue (queue_job_progress) and to the owner over real time
 * ("job:progress" in room user:<id>). Only the owner reads or downloads a
 * report; anyone else's id is 404.
 */
#include "api/api.h"
#include "api/acc_util.h"
#include "api/notifications_int.h"
#include "api/trips_jobs.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "notify/notify.h"
#include "queue/queue.h"
#include "realtime/realtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_TYPE "REPORT_GENERATION"
#define DATA_SYNC_TYPE "DATA_SYNC"

/* ---- admin test send -------------------------------------------------------------- */

static int test_parse(json_t *b, notify_opts_t *o, const char **user, const char **tmpl,
                      const char **cat, json_t **data, apierr_t *err)
{
    static const char *const fields[] = {"userId", "topic", "template", "category", "data",
                                         "sendAt", "language", NULL};
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        bool ok = false;
        for (int i = 0; fields[i]; i++)
            ok = ok || strcmp(k, fields[i]) == 0;
        if (!ok)
            return acc_invalid(err, k, "unknown field");
    }
    const char *send_at = NULL;
    memset(o, 0, sizeof *o);
    if (acc_str(b, "userId", 36, 36, false, user, err) < 0 ||
        acc_str(b, "topic", 1, 64, false, &o->topic, err) < 0 ||
        acc_str(b, "template", 1, 64, true, tmpl, err) < 0 ||
        acc_str(b, "category", 1, 16, false, cat, err) < 0 ||
        acc_str(b, "language", 2, 2, false, &o->language, err) < 0 ||
        acc_str(b, "sendAt", 1, VALIDATE_RFC3339_MAX_INPUT, false, &send_at, err) < 0)
        return -1;
    if (*user && !uuid_valid(*user))
        return acc_invalid(err, "userId", "must be a user id");
    if (!!*user == !!o->topic)
        return acc_invalid(err, "userId", "give either userId or topic");
    if (*cat && !notify_category_valid(*cat))
        return acc_invalid(err, "category", "is not one of chat, booking, trip, safety, marketing");
    if (send_at && validate_rfc3339_parse(send_at, strlen(send_at), &o->send_at) != 0)
        return acc_invalid(err, "sendAt", "must be an RFC 3339 date-time");
    *data = json_object_get(b, "data");
    if (*data && !json_is_object(*data))
        return acc_invalid(err, "data", "must be an object");
    if (*data && json_object_size(*data) > 50)
        return acc_invalid(err, "data", "at most 50 fields");
    return 0;
}

void notifications_admin_test(http_req_t *req)
{
    if (strcmp(req->role, "admin") != 0) {
        http_send_error(req, 403, "forbidden", "administrators only");
        return;
    }
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    notify_opts_t o;
    const char *user = NULL, *tmpl = NULL, *cat = NULL;
    json_t *data = NULL;
    if (test_parse(b, &o, &user, &tmpl, &cat, &data, &err) < 0)
        ACC_FAIL(req, &err);
    store_conn_t *db = loop_ctx_get()->db;
    char nid[37] = "";
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (notify(db, user, cat, tmpl, data, &o, nid, &err) < 0 || store_commit(db, &err) < 0) {
        store_rollback(db);
        if (err.status == 404) { /* the target user, not the route */
            apierr_clear(&err);
            acc_invalid(&err, "userId", "no such user");
        }
        ACC_FAIL(req, &err);
    }
    http_send_json(req, 202, json_pack("{s:o, s:b}", "notificationId",
                                       nid[0] ? json_string(nid) : json_null(), "scheduled",
                                       !nid[0]));
}

/* ---- background exports ------------------------------------------------------------- */

static void progress(queue_job_t *job, const char *uid, const char *rid, int pct,
                     const char *msg)
{
    queue_job_progress(job, pct, msg);
    char room[64];
    snprintf(room, sizeof room, "user:%s", uid);
    json_t *p = json_pack("{s:s, s:s, s:s, s:i, s:s}", "jobId", job->id, "type", REPORT_TYPE,
                          "reportId", rid, "progress", pct, "message", msg);
    realtime_publish(room, "job:progress", p);
    json_decref(p);
}

static int report_job(queue_job_t *job)
{
    const char *rid = json_string_value(json_object_get(job->payload, "reportId"));
    const char *uid = json_string_value(json_object_get(job->payload, "userId"));
    if (!rid || !uid) {
        queue_job_fail(job, "payload needs reportId and userId");
        return QUEUE_FATAL;
    }
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    progress(job, uid, rid, 10, "collecting");
    json_t *doc = users_export_build(db, uid, &err);
    if (!doc) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    progress(job, uid, rid, 70, "writing");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    store_arg_t a[] = {ARG_TEXT(rid), ARG_TEXT(text), ARG_INT(clock_now_ms())};
    int rc = store_exec(db,
                        "UPDATE user_reports SET state = 'ready', document = $2, updated_at = $3 "
                        "WHERE id = $1",
                        a, 3, &err);
    free(text);
    if (rc < 0) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    progress(job, uid, rid, 100, "ready");
    job->result = json_pack("{s:s}", "reportId", rid);
    return QUEUE_OK;
}

#define REPORT_COLS "id, job_id, state, created_at, updated_at"

static json_t *report_json(store_conn_t *db, const store_res_t *r)
{
    apierr_t err = {0};
    json_t *job = queue_job_get(db, store_val(r, 0, 1), &err);
    apierr_clear(&err);
    bool ready = strcmp(store_val(r, 0, 2), "ready") == 0;
    json_t *pct = json_object_get(job, "progress");
    const char *msg = json_string_value(json_object_get(job, "progressMessage"));
    char url[128];
    snprintf(url, sizeof url, "/v1/users/me/exports/%s/download", store_val(r, 0, 0));
    json_t *out = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id", store_val(r, 0, 0),
                            "jobId", store_val(r, 0, 1), "state", store_val(r, 0, 2), "progress",
                            (json_int_t)(ready ? 100 : json_integer_value(pct)), "progressMessage",
                            msg ? json_string(msg) : json_null(), "downloadUrl",
                            ready ? json_string(url) : json_null(), "createdAt",
                            acc_time_col(r, 0, 3), "updatedAt", acc_time_col(r, 0, 4));
    json_decref(job);
    return out;
}

void notifications_export_start(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_query(db,
                    "SELECT " REPORT_COLS " FROM user_reports WHERE user_id = $1 AND state = "
                    "'pending' ORDER BY id DESC LIMIT 1",
                    a, 1, &r, &err) < 0)
        goto fail;
    int status = 200;
    if (r->nrows == 0) { /* one export at a time per user */
        store_res_free(r);
        r = NULL;
        char rid[UUID_STR_LEN], jid[37];
        uuid_v7(rid);
        json_t *p = json_pack("{s:s, s:s}", "reportId", rid, "userId", req->user_id);
        job_spec_t spec = {.queue = "reports", .type = REPORT_TYPE, .payload = p,
                           .max_attempts = 3, .timeout_ms = 600000};
        int rc = queue_enqueue(db, &spec, jid, &err);
        json_decref(p);
        int64_t now = clock_now_ms();
        store_arg_t ins[] = {ARG_TEXT(rid), ARG_TEXT(req->user_id), ARG_TEXT(jid), ARG_INT(now)};
        store_arg_t sel[] = {ARG_TEXT(rid)};
        if (rc < 0 ||
            store_exec(db,
                       "INSERT INTO user_reports (id, user_id, job_id, state, created_at, "
                       "updated_at) VALUES ($1, $2, $3, 'pending', $4, $4)",
                       ins, 4, &err) < 0 ||
            store_query(db, "SELECT " REPORT_COLS " FROM user_reports WHERE id = $1", sel, 1, &r,
                        &err) < 0)
            goto fail;
        status = 202;
    }
    if (store_commit(db, &err) < 0)
        goto fail;
    http_send_json(req, status, report_json(db, r));
    store_res_free(r);
    return;
fail:
    store_rollback(db);
    store_res_free(r);
    ACC_FAIL(req, &err);
}

static store_res_t *own_report(http_req_t *req, const char *cols)
{
    const char *id = http_param(req, "id");
    apierr_t err = {0};
    store_res_t *r = NULL;
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such export");
        return NULL;
    }
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM user_reports WHERE id = $1 AND user_id = $2", cols);
    if (store_query(loop_ctx_get()->db, sql, a, 2, &r, &err) < 0) {
        acc_fail(req, &err);
        return NULL;
    }
    if (r->nrows != 1) {
        store_res_free(r);
        http_send_error(req, 404, "not_found", "no such export");
        return NULL;
    }
    return r;
}

void notifications_export_get(http_req_t *req)
{
    store_res_t *r = own_report(req, REPORT_COLS);
    if (!r)
        return;
    http_send_json(req, 200, report_json(loop_ctx_get()->db, r));
    store_res_free(r);
}

void notifications_export_download(http_req_t *req)
{
    store_res_t *r = own_report(req, "state, document");
    if (!r)
        return;
    if (strcmp(store_val(r, 0, 0), "ready") != 0 || !store_val(r, 0, 1)) {
        store_res_free(r);
        http_send_error(req, 409, "not_ready", "the export is still being built");
        return;
    }
    http_send_raw(req, 200, "application/json", store_val(r, 0, 1), r->lens[1]);
    http_add_header(req, "Content-Disposition", "attachment; filename=\"travloc-export.json\"");
    store_res_free(r);
}

/* ---- DATA_SYNC and registration ------------------------------------------------------- */

/* DATA_SYNC is the name for the periodic sweep; the trips module
 * already schedules it as "trips.status" every 15 minutes. Enqueueing or
 * scheduling DATA_SYNC runs the same sweep. */
static int data_sync_job(queue_job_t *job)
{
    apierr_t err = {0};
    int n = trips_status_sweep(loop_ctx_get()->db, clock_now_ms(), &err);
    if (n < 0) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    job->result = json_pack("{s:i}", "tripsChanged", n);
    return QUEUE_OK;
}

int notifications_jobs_register(void)
{
    if (notify_register() < 0)
        return -1;
    if (!queue_handler(REPORT_TYPE) && queue_register(REPORT_TYPE, report_job) < 0)
        return -1;
    if (!queue_handler(DATA_SYNC_TYPE) && queue_register(DATA_SYNC_TYPE, data_sync_job) < 0)
        return -1;
    return 0;
}

/*
 * admin_jobs.c - /v1/admin/jobs and /v1/admin/queues: inspect, retry and
 * cancel jobs, pause and resume queues. Administrators only: 401 without
 * an authenticated user, 403 for any role but "admin". The work is done
 * by queue/admin.c; these handlers parse, check and shape.
 */
#include "api/api.h"

#include "core/loopctx.h"
#include "queue/queue.h"

#include <stdlib.h>
#include <string.h>

static bool require_admin(http_req_t *req)
{
    if (!req->user_id[0]) {
        http_send_error(req, 401, "unauthorized", "sign in first");
        return false;
    }
    if (strcmp(req->role, "admin") != 0) {
        http_send_error(req, 403, "forbidden", "administrators only");
        return false;
    }
    return true;
}

static void reply(http_req_t *req, json_t *j, apierr_t *err)
{
    if (j)
        http_send_json(req, 200, j);
    else
        http_send_apierr(req, err);
}

void admin_jobs_list(http_req_t *req)
{
    if (!require_admin(req))
        return;
    apierr_t err = {0};
    const char *l = http_query(req, "limit");
    int limit = 50;
    if (l) {
        char *end;
        long n = strtol(l, &end, 10);
        if (!*l || *end || n < 1 || n > 200) {
            apierr_set(&err, 422, "invalid_parameter", "limit must be 1..200");
            apierr_detail(&err, "field", json_string("limit"));
            http_send_apierr(req, &err);
            return;
        }
        limit = (int)n;
    }
    const char *queue = http_query(req, "queue"), *state = http_query(req, "state");
    json_t *j = queue_job_list(loop_ctx_get()->db, queue && *queue ? queue : NULL,
                               state && *state ? state : NULL, limit, http_query(req, "cursor"),
                               &err);
    reply(req, j, &err);
}

void admin_jobs_get(http_req_t *req)
{
    if (!require_admin(req))
        return;
    apierr_t err = {0};
    reply(req, queue_job_get(loop_ctx_get()->db, http_param(req, "id"), &err), &err);
}

static void job_action(http_req_t *req, int (*fn)(store_conn_t *, const char *, apierr_t *))
{
    if (!require_admin(req))
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    const char *id = http_param(req, "id");
    if (fn(db, id, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    reply(req, queue_job_get(db, id, &err), &err);
}

void admin_jobs_retry(http_req_t *req) { job_action(req, queue_job_retry); }
void admin_jobs_cancel(http_req_t *req) { job_action(req, queue_job_cancel); }

static void queue_pause(http_req_t *req, bool paused)
{
    if (!require_admin(req))
        return;
    apierr_t err = {0};
    const char *name = http_param(req, "name");
    if (queue_set_paused(loop_ctx_get()->db, name, paused, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    http_send_json(req, 200, json_pack("{s:s, s:b}", "queue", name, "paused", paused));
}

void admin_queues_pause(http_req_t *req) { queue_pause(req, true); }
void admin_queues_resume(http_req_t *req) { queue_pause(req, false); }

/* Designated initialisers: the route table's trailing fields keep their
 * defaults (the admin check is in the handlers). */
const route_t jobs_admin_routes[] = {
    {.method = "GET", .pattern = "/v1/admin/jobs", .handler = admin_jobs_list, .summary = "List jobs (administrators)"},
    {.method = "GET", .pattern = "/v1/admin/jobs/:id", .handler = admin_jobs_get, .summary = "A job (administrators)"},
    {.method = "POST", .pattern = "/v1/admin/jobs/:id/retry", .handler = admin_jobs_retry, .summary = "Retry a failed or cancelled job"},
    {.method = "POST", .pattern = "/v1/admin/jobs/:id/cancel", .handler = admin_jobs_cancel, .summary = "Cancel a pending or running job"},
    {.method = "POST", .pattern = "/v1/admin/queues/:name/pause", .handler = admin_queues_pause, .summary = "Pause a queue"},
    {.method = "POST", .pattern = "/v1/admin/queues/:name/resume", .handler = admin_queues_resume, .summary = "Resume a queue"},
};
const int jobs_admin_routes_count = (int)(sizeof jobs_admin_routes / sizeof jobs_admin_routes[0]);

/*
 * planner_job.c - the AI_TRIP_PLANNING job: payload -> trip and places ->
 * travel matrix and solve on the thread pool -> independent check ->
 * proposal -> (apply) activities and day plans. Progress goes to the job
 * row (queue_job_progress) at each stage and, while solving, to the
 * requesting user's real-time room as "job:progress"; the end is announced
 * as "itinerary:generated". The result of the job is the proposal.
 *
 * Failures: a payload that cannot be read, a trip that is gone or no
 * longer editable by the user, or a trip without any location are final
 * (QUEUE_FATAL); database trouble is retried.
 */
#include "api/api.h"
#include "api/planner_int.h"

#include "core/loopctx.h"
#include "queue/queue.h"
#include "realtime/realtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void announce(const plan_ctx_t *c, const char *event, json_t *payload)
{
    char room[64];
    snprintf(room, sizeof room, "user:%s", c->user_id);
    realtime_publish(room, event, payload);
    json_decref(payload);
}

static void stage(queue_job_t *job, const plan_ctx_t *c, int pct, const char *what)
{
    queue_job_progress(job, pct, what);
    announce(c, "job:progress", json_pack("{s:s, s:s, s:i, s:s}", "jobId", c->job_id, "tripId",
                                          c->trip_id, "percent", pct, "stage", what));
}

static int fail(queue_job_t *job, apierr_t *err)
{
    int final = err->status >= 400 && err->status < 500;
    queue_job_fail(job, "%s", err->message[0] ? err->message : "planning failed");
    apierr_clear(err);
    return final ? QUEUE_FATAL : QUEUE_RETRY;
}

static int run(queue_job_t *job, plan_ctx_t *c)
{
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    if (plan_ctx_from_payload(c, job->payload, job->id) < 0) {
        queue_job_fail(job, "malformed payload");
        return QUEUE_FATAL;
    }
    if (plan_load_trip(c, db, &err) < 0)
        return fail(job, &err);
    stage(job, c, 10, "loading places");
    if (plan_load_places(c, db, &err) < 0)
        return fail(job, &err);
    stage(job, c, 25, "travel times");
    if (loop_run_blocking(plan_matrix_work, c) < 0)
        return queue_job_fail(job, "thread pool unavailable");
    plan_build_request(c);
    stage(job, c, 40, "solving");
    if (loop_run_blocking(plan_solve_work, c) < 0)
        return queue_job_fail(job, "thread pool unavailable");
    if (!c->res) {
        queue_job_fail(job, "%s", c->check_msg);
        return QUEUE_FATAL;
    }
    json_t *proposal = plan_proposal(c);
    if (c->apply && c->check_rc == 0) {
        stage(job, c, 90, "writing the day plans");
        if (plan_apply(c, db, proposal, &err) < 0) {
            json_decref(proposal);
            return fail(job, &err);
        }
        json_object_set_new(proposal, "applied", json_true());
    } else if (c->apply) {
        json_array_append_new(json_object_get(proposal, "warnings"),
                              json_string("the plan failed its check and was not applied"));
    }
    queue_job_progress(job, 100, "done");
    announce(c, "itinerary:generated",
             json_pack("{s:s, s:s, s:O, s:O, s:O}", "jobId", c->job_id, "tripId", c->trip_id,
                       "applied", json_object_get(proposal, "applied"), "totalScore",
                       json_object_get(proposal, "totalScore"), "constraintsMet",
                       json_object_get(proposal, "constraintsMet")));
    job->result = proposal;
    return QUEUE_OK;
}

static int planning_job(queue_job_t *job)
{
    plan_ctx_t *c = calloc(1, sizeof *c);
    int rc = run(job, c);
    plan_ctx_free(c);
    free(c);
    return rc;
}

int planner_jobs_register(void)
{
    if (queue_handler(PLAN_JOB_TYPE))
        return 0;
    return queue_register(PLAN_JOB_TYPE, planning_job) < 0 ? -1 : 0;
}

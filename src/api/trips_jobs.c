/*
 * trips_jobs.c - automatic trip status changes (see trips_jobs.h). The
 * sweep selects due trips in batches and moves each one like an API write
 * would: row lock, version check, new version, change-log row, one
 * transaction per trip so a slow sweep never holds many locks.
 */
#include "api/trips_jobs.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "queue/queue.h"

#include <stdio.h>
#include <string.h>

#define SWEEP_BATCH 200

static int move_one(store_conn_t *db, const char *id, const char *today, apierr_t *err)
{
    store_res_t *r = NULL;
    if (store_begin(db, true, err) < 0)
        return -1;
    if (trip_lock(db, id, err) < 0 || trip_select(db, id, &r, err) < 0)
        goto fail;
    const char *st = store_val(r, 0, TC_STATUS);
    const char *to = NULL;
    if (r->nrows == 1) {
        if (strcmp(store_val(r, 0, TC_END), today) < 0 &&
            (strcmp(st, "PLANNING") == 0 || strcmp(st, "ACTIVE") == 0))
            to = "COMPLETED";
        else if (strcmp(st, "PLANNING") == 0 && strcmp(store_val(r, 0, TC_START), today) <= 0)
            to = "ACTIVE";
    }
    if (!to) { /* changed meanwhile: nothing to do */
        store_res_free(r);
        sync_rollback(db);
        return 0;
    }
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(store_int(r, 0, TC_VERSION)), ARG_TEXT(to),
                       ARG_INT(now)};
    store_res_free(r);
    r = NULL;
    if (store_query(db,
                    "UPDATE trips SET status = $3, updated_at = $4, client_ts = $4, client_tag = "
                    "'', version = version + 1 WHERE id = $1 AND version = $2 AND deleted_at IS "
                    "NULL",
                    a, 4, &r, err) < 0)
        goto fail;
    bool moved = r->changes == 1;
    store_res_free(r);
    r = NULL;
    if (!moved) { /* deleted meanwhile */
        sync_rollback(db);
        return 0;
    }
    if (trip_select(db, id, &r, err) < 0)
        goto fail;
    json_t *j = trip_json(r, 0, false);
    int rc = changes_log(db, id, NULL, "trip", id, "update", store_int(r, 0, TC_VERSION), j, err);
    json_decref(j);
    store_res_free(r);
    if (rc < 0 || sync_commit(db, err) < 0) {
        sync_rollback(db);
        return -1;
    }
    return 1;
fail:
    store_res_free(r);
    sync_rollback(db);
    return -1;
}

int trips_status_sweep(store_conn_t *db, int64_t now_ms, apierr_t *err)
{
    char today[16];
    validate_date_t d;
    int64_t days = now_ms / 86400000LL;
    char ts[32];
    validate_rfc3339_format(days * 86400000LL, ts, sizeof ts);
    snprintf(today, sizeof today, "%.10s", ts);
    if (validate_date_parse(today, 10, &d) != 0)
        return apierr_set(err, 500, "internal", "bad clock");
    int changed = 0;
    char after[40] = "";
    for (;;) {
        store_arg_t a[] = {ARG_TEXT(today), ARG_TEXT(after)};
        store_res_t *r = NULL;
        if (store_query(db,
                        "SELECT id FROM trips WHERE deleted_at IS NULL AND id > $2 AND ((status = "
                        "'PLANNING' AND start_date <= $1) OR (status = 'ACTIVE' AND end_date < "
                        "$1)) ORDER BY id LIMIT 200",
                        a, 2, &r, err) < 0)
            return -1;
        for (int i = 0; i < r->nrows; i++) {
            int rc = move_one(db, store_val(r, i, 0), today, err);
            if (rc < 0) {
                store_res_free(r);
                return -1;
            }
            changed += rc;
        }
        int n = r->nrows;
        if (n)
            snprintf(after, sizeof after, "%s", store_val(r, n - 1, 0));
        store_res_free(r);
        if (n < SWEEP_BATCH)
            return changed;
    }
}

static int status_job(queue_job_t *job)
{
    apierr_t err = {0};
    int n = trips_status_sweep(loop_ctx_get()->db, clock_now_ms(), &err);
    if (n < 0) {
        queue_job_fail(job, "%s", err.message);
        apierr_clear(&err);
        return QUEUE_RETRY;
    }
    job->result = json_pack("{s:i}", "changed", n);
    return QUEUE_OK;
}

int trips_jobs_register(void)
{
    if (queue_handler("trips.status"))
        return 0;
    return queue_register("trips.status", status_job) < 0 ? -1 : 0;
}

int trips_jobs_init(store_conn_t *db, apierr_t *err)
{
    if (trips_jobs_register() < 0)
        return apierr_set(err, 500, "internal", "cannot register trips.status");
    queue_schedule_t s = {.name = "trips.status", .cron = "*/15 * * * *", .type = "trips.status",
                          .skip_missed = true};
    return queue_schedule_upsert(db, &s, err);
}

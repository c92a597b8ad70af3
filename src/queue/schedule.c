/*
 * queue/schedule.c - repeatable jobs from cron expressions.
 *
 * A schedule row holds its next tick (next_run_at). Any worker that sees a
 * due tick claims it with a conditional UPDATE (... WHERE next_run_at =
 * the value it read) and enqueues the job in the same transaction, so a
 * tick runs once however many nodes and processes look at it, and a tick
 * that came due while nothing ran is still there after a restart. What
 * happens to ticks missed that way is the schedule's policy:
 *   run_once: one job for the latest missed tick, then carry on;
 *   skip:     nothing for them; only a tick whose successor has not come
 *             due yet (and that is at most a minute late) runs.
 * Each job's dedupe key is "cron:<name>:<tick ms>".
 *
 * Zones are loaded once per process (on the thread pool) and cached for
 * the life of the process; "UTC" needs no file.
 */
#include "queue/queue_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/loopctx.h"
#include "queue/cron.h"
#include "queue/policy.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_CACHE 32
#define SKIP_LATE_MS 60000

static pthread_mutex_t zmu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[64];
    cron_tz_t *tz;
} zones[ZONE_CACHE];
static int nzones;

typedef struct {
    const char *name;
    cron_tz_t *tz;
    int rc;
} zload_t;

static void zone_load(void *arg)
{
    zload_t *z = arg;
    z->rc = cron_tz_load(z->name, &z->tz);
}

/* The zone for `name` (NULL with rc < 0 when unknown); *utc true for UTC. */
static int zone_get(const char *name, const cron_tz_t **out)
{
    *out = NULL;
    if (!name || strcmp(name, "UTC") == 0)
        return 0;
    if (strlen(name) >= sizeof zones[0].name)
        return -EINVAL;
    pthread_mutex_lock(&zmu);
    for (int i = 0; i < nzones; i++)
        if (strcmp(zones[i].name, name) == 0) {
            *out = zones[i].tz;
            pthread_mutex_unlock(&zmu);
            return 0;
        }
    pthread_mutex_unlock(&zmu);
    zload_t z = {.name = name};
    if (loop_run_blocking(zone_load, &z) < 0)
        return -EIO;
    if (z.rc < 0)
        return z.rc;
    pthread_mutex_lock(&zmu);
    for (int i = 0; i < nzones; i++)
        if (strcmp(zones[i].name, name) == 0) { /* another thread won */
            cron_tz_free(z.tz);
            z.tz = zones[i].tz;
            goto out;
        }
    if (nzones < ZONE_CACHE) {
        snprintf(zones[nzones].name, sizeof zones[nzones].name, "%s", name);
        zones[nzones++].tz = z.tz;
    } else {
        static cron_tz_t *spill; /* cache full: keep only the latest extra */
        cron_tz_free(spill);
        spill = z.tz;
    }
out:
    *out = z.tz;
    pthread_mutex_unlock(&zmu);
    return 0;
}

static int bad(apierr_t *err, const char *field, const char *msg)
{
    apierr_set(err, 422, "invalid_schedule", "%s: %s", field, msg);
    apierr_detail(err, "field", json_string(field));
    return -1;
}

int queue_schedule_upsert(store_conn_t *db, const queue_schedule_t *s, apierr_t *err)
{
    cron_t c;
    cron_error_t ce = {0, NULL};
    const char *tzname = s->tz ? s->tz : "UTC";
    const cron_tz_t *tz;
    if (!queue_type_valid(s->name))
        return bad(err, "name", "1-64 characters of A-Z, a-z, 0-9, _ . : -");
    if (!s->cron || strlen(s->cron) >= CRON_MAX_EXPR || cron_parse(s->cron, &c, &ce) < 0)
        return bad(err, "cron", ce.msg ? ce.msg : "not a cron expression");
    if (zone_get(tzname, &tz) < 0)
        return bad(err, "tz", "not a known IANA time zone");
    job_spec_t spec = {.queue = s->queue, .type = s->type, .payload = s->payload,
                       .priority = s->priority, .max_attempts = s->max_attempts};
    char *payload;
    if (queue_spec_check(&spec, &payload, err) < 0)
        return -1;
    int64_t now = clock_now_ms(), next;
    if (cron_next_in(&c, tz, now, &next) < 0) {
        free(payload);
        return bad(err, "cron", "never matches");
    }
    store_arg_t a[] = {ARG_TEXT(s->name), ARG_TEXT(s->queue ? s->queue : "default"),
                       ARG_TEXT(s->type), ARG_TEXT(payload), ARG_TEXT(s->cron), ARG_TEXT(tzname),
                       ARG_TEXT(s->skip_missed ? "skip" : "run_once"), ARG_INT(s->priority),
                       ARG_INT(s->max_attempts ? s->max_attempts : 3), ARG_INT(next),
                       ARG_INT(now)};
    /* A changed expression or zone restarts the ticks; otherwise the
     * pending tick is kept so redefining at start-up loses nothing. */
    int rc = store_exec(db,
                        "INSERT INTO job_schedules (name, queue, type, payload, cron, tz, missed, "
                        "priority, max_attempts, enabled, next_run_at, created_at, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $11) "
                        "ON CONFLICT (name) DO UPDATE SET queue = excluded.queue, "
                        "type = excluded.type, payload = excluded.payload, "
                        "missed = excluded.missed, priority = excluded.priority, "
                        "max_attempts = excluded.max_attempts, enabled = 1, "
                        "next_run_at = CASE WHEN job_schedules.cron = excluded.cron AND "
                        "job_schedules.tz = excluded.tz THEN job_schedules.next_run_at "
                        "ELSE excluded.next_run_at END, cron = excluded.cron, tz = excluded.tz, "
                        "updated_at = excluded.updated_at",
                        a, 11, err);
    free(payload);
    return rc;
}

int queue_schedule_delete(store_conn_t *db, const char *name, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(name)};
    store_res_t *r;
    if (store_query(db, "DELETE FROM job_schedules WHERE name = $1", a, 1, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    return n > 0 ? 0 : apierr_set(err, 404, "not_found", "no such schedule");
}

typedef struct {
    const char *name, *queue, *type, *payload, *missed;
    int priority, max_attempts;
    int64_t due;
} due_t;

/* Claims one due tick and enqueues its job (or nothing, for a skipped
 * tick); returns 1 when a job was enqueued, 0 when not, -1 on error. */
static int fire_one(store_conn_t *db, const due_t *d, const cron_t *c, const cron_tz_t *tz,
                    int64_t now, apierr_t *err)
{
    int64_t next, n1, tick = d->due;
    if (cron_next_in(c, tz, now, &next) < 0)
        next = INT64_MAX / 2; /* never again */
    if (cron_next_in(c, tz, d->due, &n1) < 0)
        n1 = next;
    bool run;
    if (strcmp(d->missed, "skip") == 0) {
        run = n1 > now && now - d->due <= SKIP_LATE_MS;
    } else {
        run = true;
        for (int guard = 0; n1 <= now && guard < 100000; guard++) {
            tick = n1;
            if (cron_next_in(c, tz, tick, &n1) < 0)
                break;
        }
    }
    if (store_begin(db, true, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(d->name), ARG_INT(next), ARG_INT(now), ARG_INT(d->due)};
    store_res_t *r;
    if (store_query(db,
                    "UPDATE job_schedules SET next_run_at = $2, last_run_at = $3, updated_at = $3 "
                    "WHERE name = $1 AND next_run_at = $4",
                    a, 4, &r, err) < 0)
        goto fail;
    int64_t won = r->changes;
    store_res_free(r);
    int fired = 0;
    if (won && run) {
        char key[128], id[37];
        snprintf(key, sizeof key, "cron:%s:%lld", d->name, (long long)tick);
        json_t *payload = json_loads(d->payload, 0, NULL);
        job_spec_t spec = {.queue = d->queue, .type = d->type, .payload = payload,
                           .priority = d->priority, .max_attempts = d->max_attempts,
                           .dedupe_key = key};
        int rc = queue_enqueue(db, &spec, id, err);
        json_decref(payload);
        if (rc < 0)
            goto fail;
        fired = rc == 0;
    }
    if (store_commit(db, err) < 0)
        goto fail;
    return fired;
fail:
    store_rollback(db);
    return -1;
}

int queue__fire_schedules(store_conn_t *db, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_INT(now)};
    store_res_t *r;
    if (store_query(db,
                    "SELECT name, queue, type, payload, cron, tz, missed, priority, "
                    "max_attempts, next_run_at FROM job_schedules "
                    "WHERE enabled = 1 AND next_run_at <= $1 ORDER BY next_run_at LIMIT 50",
                    a, 1, &r, err) < 0)
        return -1;
    int fired = 0;
    for (int i = 0; i < r->nrows; i++) {
        due_t d = {store_val(r, i, 0), store_val(r, i, 1), store_val(r, i, 2), store_val(r, i, 3),
                   store_val(r, i, 6), (int)store_int(r, i, 7), (int)store_int(r, i, 8),
                   store_int(r, i, 9)};
        cron_t c;
        const cron_tz_t *tz;
        if (cron_parse(store_val(r, i, 4), &c, NULL) < 0 || zone_get(store_val(r, i, 5), &tz) < 0) {
            log_warn("schedule cannot be evaluated", "\"schedule\":\"%s\"", d.name);
            continue;
        }
        int rc = fire_one(db, &d, &c, tz, now, err);
        if (rc < 0) {
            log_warn("schedule tick failed", "\"schedule\":\"%s\",\"error\":\"%s\"", d.name,
                     err->message);
            apierr_clear(err);
            continue;
        }
        fired += rc;
    }
    store_res_free(r);
    return fired;
}

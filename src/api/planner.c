/*
 * planner.c - POST /v1/trips/:id/itinerary/generate and
 * GET /v1/trips/:id/itinerary/generate/:jobId.
 *
 * The POST checks the body and the caller's role (editor or owner; a
 * viewer gets 403, anyone else 404, as every trip route), merges the
 * preferences (the user's saved ones, then the trip's when they pass the
 * same schema, then the body's, field by field), fixes the days and
 * enqueues one AI_TRIP_PLANNING job in the same transaction that read the
 * trip; it answers 202 {jobId}. The GET shows the job to any member of the
 * trip, and only a job of that trip (anything else is 404).
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/planner_int.h"
#include "api/trips_int.h"

#include "accounts/prefs.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "queue/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static store_conn_t *db_(void) { return loop_ctx_get()->db; }

/* preferences: an object passing the users' preference schema. */
static int check_prefs(json_t *p, apierr_t *err)
{
    if (!p || json_is_null(p))
        return 0;
    if (!json_is_object(p))
        return acc_invalid(err, "preferences", "must be an object");
    char path[256], why[200], field[300];
    if (prefs_check(p, prefs_preferences_schema, path, sizeof path, why, sizeof why) < 0) {
        snprintf(field, sizeof field, "preferences.%s", path);
        return acc_invalid(err, field, "%s", why);
    }
    return 0;
}

static int check_lodging(json_t *l, apierr_t *err)
{
    if (!l || json_is_null(l))
        return 0;
    json_t *lat = json_object_get(l, "lat"), *lng = json_object_get(l, "lng");
    if (!json_is_object(l) || !json_is_number(lat) || !json_is_number(lng) ||
        !geo_point_valid((geo_point_t){json_number_value(lat), json_number_value(lng)}))
        return acc_invalid(err, "lodging", "must be {lat, lng} with -90..90 and -180..180");
    return 0;
}

/* mustSee: up to PLAN_MAX_MUST distinct ids of imported places. */
static int check_must(store_conn_t *db, json_t *m, apierr_t *err)
{
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_array(m) || json_array_size(m) > PLAN_MAX_MUST)
        return acc_invalid(err, "mustSee", "must be an array of at most %d place ids", PLAN_MAX_MUST);
    size_t i, k;
    json_t *v;
    json_array_foreach(m, i, v) {
        const char *s = json_string_value(v);
        if (!s || validate_uuid_parse(s, strlen(s), NULL) != 0)
            return acc_invalid(err, "mustSee", "item %zu is not a place id", i);
        for (k = 0; k < i; k++)
            if (strcmp(s, json_string_value(json_array_get(m, k))) == 0)
                return acc_invalid(err, "mustSee", "%s appears twice", s);
        store_arg_t a[] = {ARG_TEXT(s)};
        store_res_t *r = NULL;
        if (store_query(db, "SELECT 1 FROM places WHERE id = $1", a, 1, &r, err) < 0)
            return -1;
        int n = r->nrows;
        store_res_free(r);
        if (n != 1)
            return acc_invalid(err, "mustSee", "%s is not a known place", s);
    }
    return 0;
}

/* The planned dates: `days` as an array of dates inside the trip, or a
 * count of days from the trip's start, or every trip date. */
static json_t *plan_dates(json_t *days, const char *start, const char *end, apierr_t *err)
{
    validate_date_t s, e;
    validate_date_parse(start, 10, &s);
    validate_date_parse(end, 10, &e);
    int64_t d0 = validate_days_from_civil(s.year, s.month, s.day);
    int64_t span = validate_days_from_civil(e.year, e.month, e.day) - d0 + 1;
    json_t *out = json_array();
    if (json_is_array(days)) {
        size_t i, k;
        json_t *v;
        if (json_array_size(days) < 1 || json_array_size(days) > PLAN_MAX_DAYS)
            goto bad;
        json_array_foreach(days, i, v) {
            validate_date_t d;
            const char *t = json_string_value(v);
            if (!t || validate_date_parse(t, json_string_length(v), &d) != 0 ||
                strcmp(t, start) < 0 || strcmp(t, end) > 0)
                goto bad;
            for (k = 0; k < i; k++)
                if (strcmp(t, json_string_value(json_array_get(days, k))) == 0)
                    goto bad;
            json_array_append(out, v);
        }
        return out;
    }
    int64_t n = span;
    if (json_is_integer(days)) {
        n = json_integer_value(days);
        if (n < 1 || n > span || n > PLAN_MAX_DAYS)
            goto bad;
    } else if (days && !json_is_null(days)) {
        goto bad;
    } else if (span > PLAN_MAX_DAYS) {
        json_decref(out);
        acc_invalid(err, "days", "the trip has %lld days; choose at most %d to plan",
                    (long long)span, PLAN_MAX_DAYS);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        char ts[32];
        validate_rfc3339_format((d0 + i) * 86400000LL, ts, sizeof ts);
        ts[10] = 0;
        json_array_append_new(out, json_string(ts));
    }
    return out;
bad:
    json_decref(out);
    acc_invalid(err, "days", "must be 1-%d distinct dates inside the trip, or a number of days",
                PLAN_MAX_DAYS);
    return NULL;
}

/* user prefs <- trip prefs (when valid) <- body prefs, key by key. */
static json_t *merged_prefs(store_conn_t *db, const char *uid, const store_res_t *trip,
                            json_t *body_prefs, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT preferences FROM users WHERE id = $1", a, 1, &r, err) < 0)
        return NULL;
    json_t *out = r->nrows ? acc_json_col(r, 0, 0, false) : json_object();
    store_res_free(r);
    if (!json_is_object(out)) {
        json_decref(out);
        out = json_object();
    }
    json_t *tp = acc_json_col(trip, 0, TC_PREFS, false);
    char path[256], why[200];
    if (json_is_object(tp) &&
        prefs_check(tp, prefs_preferences_schema, path, sizeof path, why, sizeof why) == 0)
        json_object_update(out, tp);
    json_decref(tp);
    if (json_is_object(body_prefs))
        json_object_update(out, body_prefs);
    return out;
}

/* Without lodging, some destination of the trip must have coordinates. */
static int check_located(store_conn_t *db, const char *tid, json_t *lodging, apierr_t *err)
{
    if (lodging && !json_is_null(lodging))
        return 0;
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT 1 FROM destinations WHERE trip_id = $1 AND deleted_at IS NULL AND lat "
                    "IS NOT NULL AND lng IS NOT NULL LIMIT 1",
                    a, 1, &r, err) < 0)
        return -1;
    int n = r->nrows;
    store_res_free(r);
    return n ? 0 : acc_invalid(err, "lodging", "is required: no destination of the trip has coordinates");
}

static int parse_body(json_t *b, int64_t *limit, bool *apply, apierr_t *err)
{
    bool has;
    if (tf_int(b, "timeLimitMs", 100, PLAN_MAX_LIMIT_MS, false, &has, limit, err) < 0 ||
        tf_bool(b, "apply", true, apply, err) < 0 ||
        check_prefs(json_object_get(b, "preferences"), err) < 0 ||
        check_lodging(json_object_get(b, "lodging"), err) < 0)
        return -1;
    if (!has)
        *limit = PLAN_DEFAULT_LIMIT_MS;
    return 0;
}

static void generate_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    json_t *b = req->json ? acc_body(req) : json_object();
    if (!b)
        return;
    if (!req->json)
        req->json = b; /* freed with the request */
    apierr_t err = {0};
    int64_t limit;
    bool apply;
    store_conn_t *db = db_();
    store_res_t *trip = NULL;
    json_t *payload = NULL, *dates = NULL, *prefs = NULL;
    char jid[37];
    if (parse_body(b, &limit, &apply, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0 ||
        check_located(db, tid, json_object_get(b, "lodging"), &err) < 0 ||
        check_must(db, json_object_get(b, "mustSee"), &err) < 0 ||
        !(dates = plan_dates(json_object_get(b, "days"), store_val(trip, 0, TC_START),
                             store_val(trip, 0, TC_END), &err)) ||
        !(prefs = merged_prefs(db, req->user_id, trip, json_object_get(b, "preferences"), &err)))
        goto fail;
    json_t *lodging = json_object_get(b, "lodging"), *must = json_object_get(b, "mustSee");
    payload = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:I, s:b}", "tripId", tid, "userId",
                        req->user_id, "preferences", prefs, "dates", dates, "lodging",
                        lodging ? lodging : json_null(), "mustSee", must ? must : json_null(),
                        "timeLimitMs", (json_int_t)limit, "apply", apply);
    job_spec_t spec = {.queue = "planner", .type = PLAN_JOB_TYPE, .payload = payload,
                       .max_attempts = 2, .timeout_ms = 120000};
    if (queue_enqueue(db, &spec, jid, &err) < 0 || store_commit(db, &err) < 0)
        goto fail;
    char loc[160];
    snprintf(loc, sizeof loc, "/v1/trips/%s/itinerary/generate/%s", tid, jid);
    http_send_json(req, 202, json_pack("{s:s, s:s, s:s, s:s, s:O, s:b}", "jobId", jid, "tripId",
                                       tid, "state", "waiting", "statusUrl", loc, "dates", dates,
                                       "apply", apply));
    http_add_header(req, "Location", loc);
    goto done;
fail:
    store_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(payload);
    json_decref(dates);
    json_decref(prefs);
    store_res_free(trip);
}

void planner_generate(http_req_t *req)
{
    idem_run(req, generate_inner);
}

void planner_job_get(http_req_t *req)
{
    const char *tid, *jid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "jobId", &jid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = db_();
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *job = queue_job_get(db, jid, &err);
    if (!job)
        ACC_FAIL(req, &err);
    json_t *p = json_object_get(job, "payload");
    if (strcmp(json_string_value(json_object_get(job, "type")), PLAN_JOB_TYPE) != 0 ||
        !json_string_value(json_object_get(p, "tripId")) ||
        strcmp(json_string_value(json_object_get(p, "tripId")), tid) != 0) {
        json_decref(job);
        http_send_error(req, 404, "not_found", "no such planning job for this trip");
        return;
    }
    static const char *const keep[] = {"state", "progress", "progressMessage", "result", "error",
                                       "attempts", "createdAt", "startedAt", "finishedAt"};
    json_t *out = json_pack("{s:s, s:s, s:O, s:O}", "jobId", jid, "tripId", tid, "dates",
                            json_object_get(p, "dates"), "apply",
                            json_object_get(p, "apply"));
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        json_object_set(out, keep[i], json_object_get(job, keep[i]));
    json_decref(job);
    http_send_json(req, 200, out);
}

#define PLAN_BODY (64 * 1024)

const route_t planner_routes[] = {
    {"POST", "/v1/trips/:id/itinerary/generate", planner_generate, 0, PLAN_BODY,
     "Generate day plans for a trip (job)", 0},
    {"GET", "/v1/trips/:id/itinerary/generate/:jobId", planner_job_get, 0, 0,
     "A planning job's state and proposal", 0},
};
const int planner_routes_count = (int)(sizeof planner_routes / sizeof planner_routes[0]);

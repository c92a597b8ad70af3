/*
 * planner_apply.c - the generator's answer: the proposal JSON, and writing
 * it into the trip (apply=true) as the trip's own entities so that every
 * client sees it through the usual routes and sync: one activity per stop
 * (type = place category, times in UTC, cost in EUR cents when the trip is
 * in EUR, reasons in the notes), each linked to its place in
 * planner_stops (migration 0009), appended to that date's day plan; the
 * itinerary version is bumped and every row change is logged for sync, in
 * one transaction under the trip's lock. The same rules as the itinerary
 * PUT hold: days inside the trip's dates, an activity with a start time on
 * its (UTC) day, at most 100 activities a day. A job that runs twice
 * (at-least-once delivery) finds its planner_stops rows and writes nothing.
 */
#include "api/planner_int.h"
#include "api/sync_log.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/uuid.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_ACTS_MAX 100

static int64_t day_start_ms(const char *date)
{
    validate_date_t d;
    validate_date_parse(date, 10, &d);
    return validate_days_from_civil(d.year, d.month, d.day) * 86400000LL;
}

static int64_t utc_ms(const plan_ctx_t *c, int day, double local_s)
{
    return day_start_ms(c->dates[day]) + ((int64_t)local_s - c->utc_offset_s[day]) * 1000;
}

static json_t *hhmm(double s)
{
    char b[16];
    int m = (int)(s / 60 + 0.5);
    m = m < 0 ? 0 : m > 2880 ? 2880 : m;
    snprintf(b, sizeof b, "%02d:%02d", m / 60, m % 60);
    return json_string(b);
}

static json_t *stop_json(const plan_ctx_t *c, int day, const planner_stop_t *s)
{
    const plan_cand_t *p = &c->cands[s->place];
    json_t *reasons = json_array();
    for (int i = 0; i < p->sc.n_reasons; i++)
        json_array_append_new(reasons, json_string(p->sc.reasons[i]));
    if (s->meal >= 0)
        json_array_append_new(reasons, json_string("serves the 12:00-14:00 lunch slot"));
    return json_pack("{s:s, s:s, s:s, s:{s:f, s:f}, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:b, "
                     "s:b, s:f, s:o, s:n}",
                     "placeId", p->id, "name", p->name, "category", p->category, "location",
                     "lat", p->pt.lat, "lng", p->pt.lng, "arrivalAt",
                     acc_time(utc_ms(c, day, s->arrival)), "startAt",
                     acc_time(utc_ms(c, day, s->service_start)), "endAt",
                     acc_time(utc_ms(c, day, s->departure)), "localStart",
                     hhmm(s->service_start), "localEnd", hhmm(s->departure), "reasons", reasons,
                     "cost", (json_int_t)p->sc.cost, "meal", s->meal >= 0, "mustSee", p->must,
                     "score", p->sc.score, "waitMinutes",
                     json_integer((json_int_t)((s->service_start - s->arrival) / 60)),
                     "activityId");
}

json_t *plan_proposal(const plan_ctx_t *c)
{
    const planner_result_t *r = c->res;
    json_t *days = json_array(), *missed = json_array();
    for (int d = 0; r && d < r->n_days; d++) {
        json_t *stops = json_array();
        for (int k = 0; k < r->days[d].n_stops; k++)
            json_array_append_new(stops, stop_json(c, d, &r->days[d].stops[k]));
        const geo_point_t l = c->lodg[c->day_loc[d]];
        json_array_append_new(
            days, json_pack("{s:s, s:{s:f, s:f}, s:o, s:o, s:o}", "date", c->dates[d], "lodging",
                            "lat", l.lat, "lng", l.lng, "leaveAt",
                            acc_time(utc_ms(c, d, r->days[d].start)), "backAt",
                            acc_time(utc_ms(c, d, r->days[d].end_arrival)), "stops", stops));
    }
    for (int i = 0; r && i < r->n_unvisited; i++)
        if (c->cands[r->unvisited[i]].must)
            json_array_append_new(missed, json_string(c->cands[r->unvisited[i]].id));
    json_t *day = json_pack("{s:i, s:o, s:o, s:s, s:i, s:i}", "maxStops", c->day.max_stops,
                            "start", hhmm(c->day.start), "end", hhmm(c->day.end), "zone", c->tz,
                            "candidates", c->n_cands, "lunchSlots", c->n_meals);
    json_t *out = json_pack("{s:s, s:b, s:o, s:f, s:I, s:s, s:o, s:b}", "tripId", c->trip_id,
                            "applied", false, "days", days, "totalScore",
                            r ? r->total_score : 0.0, "totalCost",
                            (json_int_t)(r ? r->total_cost : 0), "costCurrency", "EUR",
                            "unvisitedMustSee", missed, "constraintsMet",
                            r && r->constraints_met);
    json_object_set_new(out, "check", json_pack("{s:b, s:s}", "ok", c->check_rc == 0, "message",
                                                c->check_msg));
    json_object_set_new(out, "day", day);
    json_object_set_new(out, "travelPairs", json_pack("{s:I, s:I, s:I}", "graph",
                                                      (json_int_t)c->graph_pairs, "fallback",
                                                      (json_int_t)c->fallback_pairs, "ms",
                                                      (json_int_t)c->matrix_ms));
    json_object_set_new(out, "solver", json_pack("{s:I, s:b, s:I, s:I}", "iterations",
                                                 (json_int_t)(r ? r->iterations : 0),
                                                 "timeLimitHit", r && r->time_limit_hit, "ms",
                                                 (json_int_t)c->solve_ms, "seed", 1));
    json_object_set_new(out, "weather", plan_weather_json(c));
    json_object_set(out, "warnings", c->warnings);
    return out;
}

/* ---- writing the plan ------------------------------------------------------------------ */

/* Pending change-log rows: written after every row update (changes_log). */
typedef struct {
    json_t *list; /* [{entity, id, op, version, data}] */
} logs_t;

static void log_later(logs_t *l, const char *entity, const char *id, const char *op, int64_t v,
                      json_t *data)
{
    json_array_append_new(l->list, json_pack("{s:s, s:s, s:s, s:I, s:o}", "entity", entity, "id",
                                             id, "op", op, "version", (json_int_t)v, "data", data));
}

/* When this job already wrote its rows, copies their activity ids into the
 * proposal and returns 1; 0 when it has not; -1 on error. */
static int already_applied(store_conn_t *db, const plan_ctx_t *c, json_t *proposal, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(c->job_id)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT day, place_id, activity_id FROM planner_stops WHERE job_id = $1",
                    a, 1, &r, err) < 0)
        return -1;
    int n = r->nrows;
    size_t i, k;
    json_t *d, *s;
    json_array_foreach(json_object_get(proposal, "days"), i, d) {
        json_array_foreach(json_object_get(d, "stops"), k, s) {
            for (int row = 0; row < n; row++)
                if (strcmp(store_val(r, row, 0), json_string_value(json_object_get(d, "date"))) == 0 &&
                    strcmp(store_val(r, row, 1), json_string_value(json_object_get(s, "placeId"))) == 0)
                    json_object_set_new(s, "activityId", json_string(store_val(r, row, 2)));
        }
    }
    store_res_free(r);
    return n > 0;
}

/* Copies at most max bytes of s, cut at a UTF-8 character boundary. */
static void utf8_cut(char *dst, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = 0;
}

static int write_stop(store_conn_t *db, const plan_ctx_t *c, const char *date, json_t *s,
                      int64_t now, logs_t *logs, apierr_t *err)
{
    char id[UUID_STR_LEN], name[256], notes[1024] = "Planned by the itinerary generator. Why: ";
    uuid_v7(id);
    utf8_cut(name, json_string_value(json_object_get(s, "name")), 200);
    if (!name[0])
        snprintf(name, sizeof name, "%s", json_string_value(json_object_get(s, "category")));
    size_t k;
    json_t *why;
    json_array_foreach(json_object_get(s, "reasons"), k, why) {
        size_t len = strlen(notes);
        snprintf(notes + len, sizeof notes - len, "%s%s", k ? "; " : "", json_string_value(why));
    }
    int64_t st = 0, en = 0, lo = day_start_ms(date);
    validate_rfc3339_parse(json_string_value(json_object_get(s, "startAt")), 24, &st);
    validate_rfc3339_parse(json_string_value(json_object_get(s, "endAt")), 24, &en);
    bool timed = st >= lo && st < lo + 86400000LL && en >= st;
    bool eur = strcmp(c->currency, "EUR") == 0;
    int64_t cost = json_integer_value(json_object_get(s, "cost"));
    const char *type = json_string_value(json_object_get(s, "category"));
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(c->trip_id), ARG_TEXT(name), ARG_TEXT(type),
                       timed ? ARG_INT(st) : ARG_NULL, timed ? ARG_INT(en) : ARG_NULL,
                       eur && cost > 0 ? ARG_INT(cost) : ARG_NULL,
                       eur && cost > 0 ? ARG_TEXT("EUR") : ARG_NULL, ARG_TEXT(notes), ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO activities (id, trip_id, name, type, start_at, end_at, cost, "
                   "currency, status, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
                   "$6, $7, $8, 'PLANNED', $9, $10, $10)",
                   a, 10, err) < 0)
        return -1;
    char *reasons = json_dumps(json_object_get(s, "reasons"), JSON_COMPACT);
    store_arg_t l[] = {ARG_TEXT(c->job_id), ARG_TEXT(c->trip_id), ARG_TEXT(id),
                       ARG_TEXT(json_string_value(json_object_get(s, "placeId"))), ARG_TEXT(date),
                       ARG_TEXT(reasons), ARG_INT(now)};
    int rc = store_exec(db,
                        "INSERT INTO planner_stops (job_id, trip_id, activity_id, place_id, day, "
                        "reasons, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        l, 7, err);
    free(reasons);
    if (rc < 0)
        return -1;
    json_object_set_new(s, "activityId", json_string(id));
    json_t *act = json_pack("{s:s, s:s, s:n, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:s, s:i, s:o, "
                            "s:o}",
                            "id", id, "tripId", c->trip_id, "destinationId", "name", name, "type",
                            type, "startAt", timed ? acc_time(st) : json_null(), "endAt",
                            timed ? acc_time(en) : json_null(), "status", "PLANNED", "cost",
                            eur && cost > 0 ? json_integer(cost) : json_null(), "currency",
                            eur && cost > 0 ? json_string("EUR") : json_null(), "notes", notes,
                            "version", 1, "createdAt", acc_time(now), "updatedAt", acc_time(now));
    log_later(logs, "activity", id, "create", 1, act);
    return 0;
}

/* Appends `ids` to the day plan of `date` (created when missing). */
static int write_day(store_conn_t *db, const plan_ctx_t *c, const char *date, json_t *ids,
                     int64_t now, logs_t *logs, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(c->trip_id), ARG_TEXT(date)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT id, activity_ids, notes FROM day_plans WHERE trip_id = $1 AND day = $2 "
                    "AND deleted_at IS NULL",
                    a, 2, &r, err) < 0)
        return -1;
    json_t *all = r->nrows ? acc_json_col(r, 0, 1, true) : json_array();
    if (!json_is_array(all)) {
        json_decref(all);
        all = json_array();
    }
    json_array_extend(all, ids);
    int rc = 0;
    if (json_array_size(all) > DAY_ACTS_MAX)
        rc = apierr_set(err, 409, "day_full", "%s would have more than %d activities", date,
                        DAY_ACTS_MAX);
    char *text = json_dumps(all, JSON_COMPACT);
    char id[UUID_STR_LEN];
    snprintf(id, sizeof id, "%s", r->nrows ? store_val(r, 0, 0) : "");
    const char *notes = r->nrows ? store_val(r, 0, 2) : "";
    if (!id[0])
        uuid_v7(id);
    store_res_t *v = NULL;
    store_arg_t u[] = {ARG_TEXT(id), ARG_TEXT(c->trip_id), ARG_TEXT(date), ARG_TEXT(text),
                       ARG_TEXT(notes), ARG_INT(now)};
    if (rc == 0)
        rc = store_query(db,
                         r->nrows ? "UPDATE day_plans SET activity_ids = $4, updated_at = $6, "
                                    "version = version + 1 WHERE id = $1 RETURNING version"
                                  : "INSERT INTO day_plans (id, trip_id, day, activity_ids, notes, "
                                    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "
                                    "RETURNING version",
                         u, r->nrows ? 6 : 6, &v, err);
    if (rc == 0)
        log_later(logs, "dayPlan", id, "update", store_int(v, 0, 0),
                  json_pack("{s:s, s:s, s:O, s:s}", "tripId", c->trip_id, "date", date,
                            "activityIds", all, "notes", notes));
    store_res_free(v);
    store_res_free(r);
    free(text);
    json_decref(all);
    return rc;
}

static int flush_logs(store_conn_t *db, const plan_ctx_t *c, logs_t *l, apierr_t *err)
{
    size_t i;
    json_t *e;
    json_array_foreach(l->list, i, e) {
        if (changes_log(db, c->trip_id, NULL, json_string_value(json_object_get(e, "entity")),
                        json_string_value(json_object_get(e, "id")),
                        json_string_value(json_object_get(e, "op")),
                        json_integer_value(json_object_get(e, "version")),
                        json_object_get(e, "data"), err) < 0)
            return -1;
    }
    return 0;
}

int plan_apply(const plan_ctx_t *c, store_conn_t *db, json_t *proposal, apierr_t *err)
{
    logs_t logs = {json_array()};
    int64_t now = clock_now_ms(), v = 0;
    int done;
    size_t i, k;
    json_t *d, *s;
    if (store_begin(db, true, err) < 0) {
        json_decref(logs.list);
        return -1;
    }
    if (trip_lock(db, c->trip_id, err) < 0 ||
        trip_check(db, c->trip_id, c->user_id, ROLE_EDITOR, NULL, err) < 0 ||
        (done = already_applied(db, c, proposal, err)) < 0)
        goto fail;
    if (done) {
        sync_rollback(db);
        json_decref(logs.list);
        return 0;
    }
    json_array_foreach(json_object_get(proposal, "days"), i, d) {
        const char *date = json_string_value(json_object_get(d, "date"));
        json_t *ids = json_array();
        json_array_foreach(json_object_get(d, "stops"), k, s) {
            if (write_stop(db, c, date, s, now, &logs, err) < 0) {
                json_decref(ids);
                goto fail;
            }
            json_array_append(ids, json_object_get(s, "activityId"));
        }
        int rc = json_array_size(ids) ? write_day(db, c, date, ids, now, &logs, err) : 0;
        json_decref(ids);
        if (rc < 0)
            goto fail;
    }
    if (trip_bump_list(db, c->trip_id, "itinerary_version", &v, err) < 0 ||
        flush_logs(db, c, &logs, err) < 0 || sync_commit(db, err) < 0)
        goto fail;
    json_decref(logs.list);
    json_object_set_new(proposal, "itineraryVersion", json_integer(v));
    return 0;
fail:
    sync_rollback(db);
    json_decref(logs.list);
    return -1;
}

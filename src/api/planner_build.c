/*
 * planner_build.c - from a trip and preferences to a TOPTW instance (see
 * planner_int.h): the payload, the trip's days and their centres, the
 * candidate places (SQL box around each centre, exact radius, scored by
 * planner/score.c), their OSM opening hours per local date, the travel
 * matrix, and the planner request. The matrix and the solve run on the
 * thread pool (plan_matrix_work, plan_solve_work); nothing there touches
 * the store.
 *
 * Travel times: walking durations from the routing graph of the imported
 * extract when both points snap to it; otherwise haversine x 1.3 at
 * 1.25 m/s. A leg longer than the traveller's walking limit (activity
 * level) is priced as transit instead: 5 minutes plus the distance at
 * 20 km/h.
 */
#include "api/planner_int.h"

#include "core/log.h"
#include "core/validate.h"
#include "geo/opening_hours.h"
#include "geo/route.h"
#include "places/places.h"
#include "planner/checker.h"
#include "queue/cron_tz.h"
#include "realtime/realtime.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WALK_MPS 1.25
#define DETOUR 1.3
#define TRANSIT_MPS (20.0 / 3.6)
#define TRANSIT_WAIT_S 300.0
#define MAX_OH_PER_DAY 4

/* ---- payload --------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int plan_ctx_from_payload(plan_ctx_t *c, const json_t *p, const char *job_id)
{
    memset(c, 0, sizeof *c);
    c->budget = -1;
    c->last_pct = -100;
    c->warnings = json_array();
    snprintf(c->job_id, sizeof c->job_id, "%s", job_id ? job_id : "");
    copy_str(c->trip_id, sizeof c->trip_id, json_object_get(p, "tripId"));
    copy_str(c->user_id, sizeof c->user_id, json_object_get(p, "userId"));
    if (!c->trip_id[0] || !c->user_id[0])
        return -1;
    score_prefs_parse(json_object_get(p, "preferences"), &c->prefs);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "dates"), i, v) {
        if (c->n_days >= PLAN_MAX_DAYS || !json_is_string(v) || json_string_length(v) != 10)
            return -1;
        copy_str(c->dates[c->n_days++], 11, v);
    }
    json_array_foreach(json_object_get(p, "mustSee"), i, v) {
        if (c->n_must >= PLAN_MAX_MUST || !json_is_string(v))
            return -1;
        copy_str(c->must[c->n_must++], 40, v);
    }
    json_t *l = json_object_get(p, "lodging");
    if (json_is_object(l)) {
        c->has_lodging = true;
        c->lodging.lat = json_number_value(json_object_get(l, "lat"));
        c->lodging.lng = json_number_value(json_object_get(l, "lng"));
    }
    c->time_limit_ms = json_integer_value(json_object_get(p, "timeLimitMs"));
    if (c->time_limit_ms <= 0 || c->time_limit_ms > PLAN_MAX_LIMIT_MS)
        c->time_limit_ms = PLAN_DEFAULT_LIMIT_MS;
    c->apply = !json_is_false(json_object_get(p, "apply"));
    return c->n_days > 0 ? 0 : -1;
}

void plan_ctx_free(plan_ctx_t *c)
{
    for (int i = 0; i < c->n_cands; i++) {
        free(c->cands[i].name);
        free(c->cands[i].windows);
        oh_free(c->cands[i].oh);
    }
    free(c->cands);
    free(c->matrix);
    free(c->places);
    planner_result_free(c->res);
    json_decref(c->warnings);
    memset(c, 0, sizeof *c);
}

static void warn(plan_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(plan_ctx_t *c, const char *fmt, ...)
{
    char m[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    json_array_append_new(c->warnings, json_string(m));
}

/* ---- the trip -------------------------------------------------------------------- */

static bool in_stay(const char *date, const char *arr, const char *dep)
{
    return (!arr || strncmp(arr, date, 10) <= 0) && (!dep || strncmp(dep, date, 10) >= 0);
}

int plan_load_trip(plan_ctx_t *c, store_conn_t *db, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(c->trip_id)};
    store_res_t *t = NULL, *d = NULL;
    if (store_query(db,
                    "SELECT start_date, end_date, currency, budget FROM trips WHERE id = $1 AND "
                    "deleted_at IS NULL",
                    a, 1, &t, err) < 0)
        return -1;
    if (t->nrows != 1) {
        store_res_free(t);
        return apierr_set(err, 404, "not_found", "the trip is gone");
    }
    const char *cur = store_val(t, 0, 2);
    snprintf(c->currency, sizeof c->currency, "%s", cur ? cur : "EUR");
    if (store_val(t, 0, 3) && strcmp(c->currency, "EUR") == 0)
        c->budget = store_int(t, 0, 3);
    else if (store_val(t, 0, 3))
        warn(c, "the trip budget is in %s; place prices are estimated in EUR, so it is not "
                "used as a cap", c->currency);
    int keep = 0;
    for (int i = 0; i < c->n_days; i++) {
        if (strcmp(c->dates[i], store_val(t, 0, 0)) < 0 || strcmp(c->dates[i], store_val(t, 0, 1)) > 0) {
            warn(c, "%s is no longer inside the trip's dates and was skipped", c->dates[i]);
            continue;
        }
        memmove(c->dates[keep++], c->dates[i], 11);
    }
    c->n_days = keep;
    store_res_free(t);
    if (store_query(db,
                    "SELECT lat, lng, arrival, departure FROM destinations WHERE trip_id = $1 AND "
                    "deleted_at IS NULL AND lat IS NOT NULL AND lng IS NOT NULL ORDER BY "
                    "arrival, created_at, id",
                    a, 1, &d, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < c->n_days && rc == 0; i++) {
        int pick = d->nrows ? 0 : -1;
        for (int k = 0; k < d->nrows; k++)
            if (in_stay(c->dates[i], store_val(d, k, 2), store_val(d, k, 3))) {
                pick = k;
                break;
            }
        if (c->has_lodging)
            c->day_center[i] = c->lodging;
        else if (pick >= 0)
            c->day_center[i] = (geo_point_t){store_real(d, pick, 0), store_real(d, pick, 1)};
        else
            rc = apierr_set(err, 422, "no_location",
                            "the trip has no destination with coordinates; pass lodging");
    }
    store_res_free(d);
    if (rc == 0 && c->n_days == 0)
        rc = apierr_set(err, 422, "no_days", "none of the requested days is inside the trip");
    if (rc == 0)
        snprintf(c->tz, sizeof c->tz, "%s", places_tz_for(c->day_center[0]));
    return rc;
}

/* ---- candidate places --------------------------------------------------------------- */

#define PLACE_COLS                                                                            \
    "id, name, category, lat, lng, opening_hours, wheelchair, cuisine, fee, stars, tags"

static int find_cand(const plan_ctx_t *c, const char *id)
{
    for (int i = 0; i < c->n_cands; i++)
        if (strcmp(c->cands[i].id, id) == 0)
            return i;
    return -1;
}

static bool is_must(const plan_ctx_t *c, const char *id)
{
    for (int i = 0; i < c->n_must; i++)
        if (strcmp(c->must[i], id) == 0)
            return true;
    return false;
}

/* Scores row i of r and appends it when it may be planned. */
static void add_row(plan_ctx_t *c, const store_res_t *r, int i, int *cap)
{
    const char *id = store_val(r, i, 0);
    if (!id || find_cand(c, id) >= 0)
        return;
    json_t *tags = json_loads(store_val(r, i, 10) ? store_val(r, i, 10) : "{}", 0, NULL);
    score_place_in_t in = {.category = store_val(r, i, 2), .name = store_val(r, i, 1),
                           .wheelchair = store_val(r, i, 6), .cuisine = store_val(r, i, 7),
                           .fee = store_val(r, i, 8), .stars = store_real(r, i, 9),
                           .tags = tags, .must_see = is_must(c, id)};
    score_out_t sc;
    score_place(&c->prefs, &in, &sc);
    json_decref(tags);
    if (sc.excluded)
        return;
    if (c->n_cands == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        c->cands = realloc(c->cands, (size_t)*cap * sizeof *c->cands);
    }
    plan_cand_t *p = &c->cands[c->n_cands++];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    p->name = strdup(store_val(r, i, 1) ? store_val(r, i, 1) : "");
    snprintf(p->category, sizeof p->category, "%s", store_val(r, i, 2));
    p->pt = (geo_point_t){store_real(r, i, 3), store_real(r, i, 4)};
    p->sc = sc;
    p->must = in.must_see;
    const char *oh = store_val(r, i, 5);
    if (oh && oh_parse(oh, &p->oh, NULL) != 0)
        p->oh = NULL;
}

static int by_score(const void *a, const void *b)
{
    const plan_cand_t *x = a, *y = b;
    if (x->must != y->must)
        return x->must ? -1 : 1;
    if (x->sc.score != y->sc.score)
        return x->sc.score > y->sc.score ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Keeps must-sees, the best sights and the best lunch places. */
static void trim(plan_ctx_t *c)
{
    qsort(c->cands, (size_t)c->n_cands, sizeof *c->cands, by_score);
    int sights = 0, meals = 0, keep = 0;
    for (int i = 0; i < c->n_cands; i++) {
        plan_cand_t *p = &c->cands[i];
        bool ok = p->must || (p->sc.meal ? meals++ < PLAN_MAX_MEALS : sights++ < PLAN_MAX_SIGHTS);
        if (ok) {
            c->cands[keep++] = *p;
        } else {
            free(p->name);
            oh_free(p->oh);
        }
    }
    c->n_cands = keep;
}

static int load_box(plan_ctx_t *c, store_conn_t *db, geo_point_t ctr, double r, int *cap,
                    apierr_t *err)
{
    double dlat = r / 111320.0, dlng = r / (111320.0 * fmax(0.05, cos(ctr.lat * M_PI / 180)));
    store_arg_t a[] = {ARG_REAL(ctr.lat - dlat), ARG_REAL(ctr.lat + dlat), ARG_REAL(ctr.lng - dlng),
                       ARG_REAL(ctr.lng + dlng)};
    store_res_t *res = NULL;
    if (store_query(db,
                    "SELECT " PLACE_COLS " FROM places WHERE lat >= $1 AND lat <= $2 AND lng >= "
                    "$3 AND lng <= $4 AND name IS NOT NULL AND parent_category IN ('sights', "
                    "'food', 'nature', 'leisure', 'entertainment', 'shopping') ORDER BY id",
                    a, 4, &res, err) < 0)
        return -1;
    for (int i = 0; i < res->nrows; i++) {
        geo_point_t p = {store_real(res, i, 3), store_real(res, i, 4)};
        if (geo_distance_m(ctr, p) <= r)
            add_row(c, res, i, cap);
    }
    store_res_free(res);
    return 0;
}

/* Opening windows of candidate p over the plan's days (service-start
 * windows: the visit must end by closing time). */
static void windows_for(plan_ctx_t *c, plan_cand_t *p)
{
    if (!p->oh)
        return;
    p->windows = calloc((size_t)c->n_days * MAX_OH_PER_DAY, sizeof *p->windows);
    for (int d = 0; d < c->n_days; d++) {
        validate_date_t dt;
        validate_date_parse(c->dates[d], 10, &dt);
        oh_window_t w[MAX_OH_PER_DAY];
        int n = oh_windows_for_day(p->oh, dt.year, dt.month, dt.day, w, MAX_OH_PER_DAY);
        for (int k = 0; k < n && k < MAX_OH_PER_DAY; k++) {
            double open = w[k].start * 60.0, close = w[k].end * 60.0 - p->sc.duration_s;
            if (close >= open)
                p->windows[p->n_windows++] = (planner_window_t){d, open, close};
        }
    }
}

int plan_load_places(plan_ctx_t *c, store_conn_t *db, apierr_t *err)
{
    int cap = 0;
    double r = score_search_radius_m(&c->prefs);
    for (int d = 0; d < c->n_days; d++) {
        int k = 0;
        while (k < c->n_lodg && (c->lodg[k].lat != c->day_center[d].lat ||
                                 c->lodg[k].lng != c->day_center[d].lng))
            k++;
        if (k == c->n_lodg) {
            c->lodg[c->n_lodg++] = c->day_center[d];
            if (load_box(c, db, c->day_center[d], r, &cap, err) < 0)
                return -1;
        }
        c->day_loc[d] = k;
    }
    for (int m = 0; m < c->n_must; m++) {
        store_arg_t a[] = {ARG_TEXT(c->must[m])};
        store_res_t *res = NULL;
        if (store_query(db, "SELECT " PLACE_COLS " FROM places WHERE id = $1", a, 1, &res, err) < 0)
            return -1;
        if (res->nrows == 1)
            add_row(c, res, 0, &cap);
        else
            warn(c, "must-see place %s no longer exists", c->must[m]);
        store_res_free(res);
    }
    trim(c);
    int keep = 0;
    for (int i = 0; i < c->n_cands; i++) {
        plan_cand_t *p = &c->cands[i];
        windows_for(c, p);
        if (p->oh && p->n_windows == 0 && !p->must) {
            free(p->name);
            free(p->windows);
            oh_free(p->oh);
            continue;
        }
        if (p->oh && p->n_windows == 0)
            warn(c, "must-see %s is closed on every planned day", p->name);
        c->cands[keep++] = *p;
    }
    c->n_cands = keep;
    return 0;
}

/* ---- travel matrix (thread pool) ----------------------------------------------------- */

static void zone_offsets(plan_ctx_t *c)
{
    cron_tz_t *tz = NULL;
    if (cron_tz_load(c->tz, &tz) < 0)
        tz = NULL;
    for (int d = 0; d < c->n_days; d++) {
        validate_date_t dt;
        validate_date_parse(c->dates[d], 10, &dt);
        int64_t noon = validate_days_from_civil(dt.year, dt.month, dt.day) * 86400 + 43200;
        c->utc_offset_s[d] = tz ? cron_tz_offset(tz, noon) : 0;
    }
    cron_tz_free(tz);
}

/* Fills dur/dist (n x n, -1 unknown) from the routing graph, if any. */
static void graph_matrix(const geo_point_t *locs, int n, double *dur, double *dist)
{
    places_read_lock();
    const places_catalog_t *cat = places_catalog();
    geo_route_ws_t *ws = cat && cat->router ? places_ws_get(cat) : NULL;
    for (int s = 0; ws && s < n; s += GEO_MATRIX_MAX)
        for (int t = 0; t < n; t += GEO_MATRIX_MAX) {
            int ns = n - s < GEO_MATRIX_MAX ? n - s : GEO_MATRIX_MAX;
            int nt = n - t < GEO_MATRIX_MAX ? n - t : GEO_MATRIX_MAX;
            double bd[GEO_MATRIX_MAX * GEO_MATRIX_MAX], bm[GEO_MATRIX_MAX * GEO_MATRIX_MAX];
            geo_matrix_query_t q = {.profile = GEO_PROFILE_FOOT, .metric = GEO_METRIC_FASTEST,
                                    .sources = locs + s, .n_sources = (size_t)ns,
                                    .targets = locs + t, .n_targets = (size_t)nt,
                                    .max_snap_m = 300};
            if (geo_route_matrix(cat->router, ws, &q, bd, bm) != 0)
                continue;
            for (int i = 0; i < ns; i++)
                for (int j = 0; j < nt; j++) {
                    dur[(size_t)(s + i) * n + t + j] = bd[i * nt + j];
                    dist[(size_t)(s + i) * n + t + j] = bm[i * nt + j];
                }
        }
    if (ws)
        places_ws_put(cat, ws);
    places_read_unlock();
}

void plan_matrix_work(void *arg)
{
    plan_ctx_t *c = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    zone_offsets(c);
    plan_weather_fetch(c);
    int n = c->n_lodg + c->n_cands;
    c->n_locs = n;
    geo_point_t *locs = malloc((size_t)n * sizeof *locs);
    for (int i = 0; i < c->n_lodg; i++)
        locs[i] = c->lodg[i];
    for (int k = 0; k < c->n_cands; k++)
        locs[c->n_lodg + k] = c->cands[k].pt;
    size_t nn = (size_t)n * (size_t)n;
    double *dist = malloc(nn * sizeof *dist);
    c->matrix = malloc(nn * sizeof *c->matrix);
    for (size_t i = 0; i < nn; i++)
        c->matrix[i] = dist[i] = -1;
    graph_matrix(locs, n, c->matrix, dist);
    double limit = score_walk_limit_m(&c->prefs);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t k = (size_t)i * n + j;
            if (i == j) {
                c->matrix[k] = 0;
                continue;
            }
            if (c->matrix[k] < 0 || dist[k] < 0) {
                dist[k] = geo_distance_m(locs[i], locs[j]) * DETOUR;
                c->matrix[k] = dist[k] / WALK_MPS;
                c->fallback_pairs++;
            } else {
                c->graph_pairs++;
            }
            if (dist[k] > limit)
                c->matrix[k] = fmin(c->matrix[k], TRANSIT_WAIT_S + dist[k] / TRANSIT_MPS);
            c->matrix[k] = ceil(c->matrix[k]);
        }
    free(dist);
    free(locs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->matrix_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

/* ---- the request and the solve --------------------------------------------------------- */

static void progress(void *arg, int percent, double best)
{
    plan_ctx_t *c = arg;
    if (percent - c->last_pct < 10 && percent < 100)
        return;
    c->last_pct = percent;
    char room[64];
    snprintf(room, sizeof room, "user:%s", c->user_id);
    json_t *p = json_pack("{s:s, s:s, s:i, s:f, s:s}", "jobId", c->job_id, "tripId", c->trip_id,
                          "percent", 40 + percent / 2, "bestScore", best, "stage", "solving");
    realtime_publish(room, "job:progress", p);
    json_decref(p);
}

void plan_build_request(plan_ctx_t *c)
{
    score_day_params(&c->prefs, &c->day);
    plan_weather_apply(c);
    bool any_meal = false;
    c->places = calloc((size_t)(c->n_cands ? c->n_cands : 1), sizeof *c->places);
    for (int k = 0; k < c->n_cands; k++) {
        const plan_cand_t *p = &c->cands[k];
        any_meal |= p->sc.meal;
        c->places[k] = (planner_place_t){
            .id = k, .loc = c->n_lodg + k,
            .score = p->sc.meal && !p->must ? p->sc.score * 0.2 : p->sc.score,
            .duration = p->sc.duration_s, .cost = p->sc.cost, .windows = p->windows,
            .n_windows = p->n_windows, .mandatory = p->must, .tags = p->sc.meal ? 1u : 0u};
        if (p->oh && p->n_windows == 0) { /* closed all trip: a window that never fits */
            static const planner_window_t never = {0, 0, 0};
            c->places[k].windows = &never;
            c->places[k].n_windows = 1;
        }
    }
    for (int d = 0; d < c->n_days; d++) {
        c->days[d] = (planner_day_t){c->day.start, c->day.end, c->day_loc[d], c->day_loc[d]};
        if (any_meal && c->day.start <= PLAN_LUNCH_FROM && c->day.end >= PLAN_LUNCH_TO)
            c->meals[c->n_meals++] = (planner_meal_t){d, PLAN_LUNCH_FROM, PLAN_LUNCH_TO - 3600, 1};
    }
    if (!any_meal)
        warn(c, c->prefs.n_diets ? "no restaurant nearby says it fits your dietary restrictions; "
                                   "no lunch stop was planned"
                                 : "no restaurant nearby; no lunch stop was planned");
    c->req = (planner_request_t){
        .places = c->places, .n_places = c->n_cands, .days = c->days, .n_days = c->n_days,
        .n_locations = c->n_locs, .matrix = c->matrix, .budget = c->budget,
        .max_places_per_day = c->day.max_stops + (c->n_meals ? 1 : 0), .meals = c->meals,
        .n_meals = c->n_meals, .seed = 1, .time_limit_ms = c->time_limit_ms,
        .progress = progress, .progress_ctx = c};
}

void plan_solve_work(void *arg)
{
    plan_ctx_t *c = arg;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = planner_solve(&c->req, &c->res);
    clock_gettime(CLOCK_MONOTONIC, &b);
    c->solve_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    if (rc != 0) {
        c->check_rc = rc;
        snprintf(c->check_msg, sizeof c->check_msg, "solver: %s", planner_strerror(rc));
        return;
    }
    planner_check_report_t rep;
    c->check_rc = planner_check(&c->req, c->res, 1e-6, &rep);
    snprintf(c->check_msg, sizeof c->check_msg, "%s", c->check_rc ? rep.msg : "ok");
}

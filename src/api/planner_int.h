/*
 * planner_int.h - the itinerary generator (issue 7, "in the product"):
 * what planner.c (HTTP), planner_job.c (the AI_TRIP_PLANNING job),
 * planner_build.c (places, windows, travel times, the TOPTW instance) and
 * planner_apply.c (writing day plans) share.
 *
 * One generation is one plan_ctx_t, owned by the job handler from payload
 * to result: it owns the candidate places (names, parsed opening hours),
 * the location list, the travel matrix, the planner request arrays and the
 * planner result; plan_ctx_free() releases all of it.
 */
#ifndef TRAVLOC_API_PLANNER_INT_H
#define TRAVLOC_API_PLANNER_INT_H

#include "geo/geo.h"
#include "planner/planner.h"
#include "planner/score.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PLAN_JOB_TYPE "AI_TRIP_PLANNING"
#define PLAN_MAX_DAYS 14
#define PLAN_MAX_MUST 20
#define PLAN_MAX_SIGHTS 120     /* best-scored sights kept as candidates */
#define PLAN_MAX_MEALS 30       /* best-scored restaurants kept for lunch */
#define PLAN_DEFAULT_LIMIT_MS 3000
#define PLAN_MAX_LIMIT_MS 30000
#define PLAN_LUNCH_FROM (12 * 3600.0)
#define PLAN_LUNCH_TO (14 * 3600.0)

typedef struct plan_cand {
    char id[40];
    char *name;               /* owned */
    char category[32];
    geo_point_t pt;
    score_out_t sc;
    bool must;
    struct oh *oh;            /* owned; NULL when no (parsable) hours */
    int n_windows;
    planner_window_t *windows; /* owned */
} plan_cand_t;

typedef struct plan_ctx {
    /* input (payload) */
    char job_id[40], trip_id[40], user_id[40];
    score_prefs_t prefs;
    int n_days;
    char dates[PLAN_MAX_DAYS][11];
    bool has_lodging;
    geo_point_t lodging;
    char must[PLAN_MAX_MUST][40];
    int n_must;
    int64_t time_limit_ms;
    bool apply;
    /* from the trip */
    char currency[4];
    int64_t budget;           /* < 0: none */
    geo_point_t day_center[PLAN_MAX_DAYS];
    char tz[64];              /* IANA zone of the first lodging */
    /* candidates and locations: location i < n_lodg is a lodging point,
     * location n_lodg + k is cands[k] */
    plan_cand_t *cands;
    int n_cands;
    geo_point_t lodg[PLAN_MAX_DAYS];
    int n_lodg;
    int day_loc[PLAN_MAX_DAYS];
    double *matrix;           /* owned, n_locs^2 seconds */
    int n_locs;
    long graph_pairs, fallback_pairs;
    /* the instance and its answer */
    score_day_t day;
    planner_place_t *places;  /* owned, one per candidate */
    planner_day_t days[PLAN_MAX_DAYS];
    planner_meal_t meals[PLAN_MAX_DAYS];
    int n_meals;
    planner_request_t req;
    planner_result_t *res;    /* owned */
    int check_rc;
    char check_msg[160];
    int64_t solve_ms, matrix_ms;
    json_t *warnings;         /* owned array of strings */
    int last_pct;
    int64_t utc_offset_s[PLAN_MAX_DAYS]; /* of the lodging zone at noon of each day */
    /* weather (planner_weather.c): wet days from the forecast provider */
    bool weather_used;
    bool wet[PLAN_MAX_DAYS];
    int n_wet;
    char weather_err[160];
} plan_ctx_t;

/* ---- planner_build.c ---- */
/* Reads the job payload into a fresh ctx (zeroed first). -1 when malformed. */
int plan_ctx_from_payload(plan_ctx_t *c, const json_t *payload, const char *job_id);
void plan_ctx_free(plan_ctx_t *c);
/* Trip dates/currency/budget and each day's centre (lodging, or the
 * destination staying over that date, or the first one with coordinates).
 * 404-style err when the trip is gone; 422 when no day has a centre. */
int plan_load_trip(plan_ctx_t *c, store_conn_t *db, apierr_t *err);
/* Candidate places near the day centres plus the must-sees, scored;
 * opening windows per day. */
int plan_load_places(plan_ctx_t *c, store_conn_t *db, apierr_t *err);
/* Thread-pool steps: the travel matrix (routing graph, or haversine and
 * speeds) and the solve + independent check. */
void plan_matrix_work(void *ctx);
void plan_solve_work(void *ctx);
/* Builds the planner request from the candidates (after the matrix). */
void plan_build_request(plan_ctx_t *c);

/* ---- planner_weather.c ---- */
/* Thread pool: asks the WEATHER_URL provider (if configured) for the first
 * centre's forecast and marks the planned days with rain or snow. */
void plan_weather_fetch(plan_ctx_t *c);
/* Moves outdoor candidates to dry days (windows only on those), when some
 * but not all days are wet. Call before plan_build_request fills places. */
void plan_weather_apply(plan_ctx_t *c);
/* {source, wetDays, error} for the proposal (new reference). */
json_t *plan_weather_json(const plan_ctx_t *c);

/* ---- planner_apply.c ---- */
/* The proposal JSON (days, stops with times and reasons, totals). */
json_t *plan_proposal(const plan_ctx_t *c);
/* Writes the proposal as activities + day plans in one transaction;
 * idempotent per job (a second run finds the job's rows and skips). Fills
 * activityId of each stop in `proposal`. */
int plan_apply(const plan_ctx_t *c, store_conn_t *db, json_t *proposal, apierr_t *err);

/* ---- planner_job.c ---- */
int planner_jobs_register(void);

/* ---- planner.c (handlers) ---- */
struct http_req;
void planner_generate(struct http_req *req);
void planner_job_get(struct http_req *req);

#endif

/* planner/planner.h -- multi-day itinerary optimiser (TOPTW solver core).
 *
 * Given places (score, visit duration, cost, opening windows per day, a
 * mandatory flag, tags), days (start/end time and location), travel times
 * and optional side constraints (budget cap, places per day, meal slots),
 * planner_solve() picks and orders the places to visit on each day so that
 * the total score is as high as possible.  This is the Team Orienteering
 * Problem with Time Windows, solved by a seeded large-neighbourhood search
 * with simulated-annealing acceptance (see search.c).
 *
 * Pure module: no I/O, no printing, no global state; libc + libm only.  Every
 * call works on its own memory, so several threads may solve at once.
 *
 * Units.  All times (day start/end, windows, visit durations, travel times)
 * are plain doubles on one clock per day; the product uses SECONDS (e.g.
 * seconds since local midnight of that day), the TOPTW benchmark uses its own
 * abstract units.  A window [open, close] bounds the START of service (TOPTW
 * convention): to require a visit to end before closing time, pass
 * close = closing_time - duration.  The traveller may arrive early and wait.
 *
 * Ownership.  The request and everything it points to are borrowed for the
 * duration of planner_solve() only.  On success *out is a new result owned by
 * the caller, released with planner_result_free().  On error *out is NULL.
 *
 * Determinism.  For the same request and seed the result is identical, as
 * long as neither the time limit nor the cancel flag stops the search early:
 * the search is budgeted in iterations; the time limit is only a safety cap.
 */
#ifndef TRAVLOC_PLANNER_H
#define TRAVLOC_PLANNER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes (all negative).  planner_strerror() names them. */
enum {
    PLANNER_OK = 0,
    PLANNER_EINVAL = -1,    /* NULL pointer, bad count or flag */
    PLANNER_ENOMEM = -2,    /* allocation failed */
    PLANNER_ERANGE = -3,    /* an index (location, day, place) out of range */
    PLANNER_ENAN = -4,      /* NaN or infinite value where a number is needed */
    PLANNER_ENEG = -5,      /* negative duration, score, cost or travel time */
    PLANNER_EWINDOW = -6,   /* window/day/meal slot with end < start */
    PLANNER_ENODAYS = -7,   /* zero days */
    PLANNER_ETOOBIG = -8,   /* over the limits below, |number| > 1e12 or cost > 2^50 */
    PLANNER_ENOTRAVEL = -9, /* neither matrix nor travel callback given */
};

/* Input limits (checked; beyond them planner_solve returns PLANNER_ETOOBIG). */
#define PLANNER_MAX_PLACES 2000
#define PLANNER_MAX_DAYS 64
#define PLANNER_MAX_WINDOWS 64      /* per place */
#define PLANNER_MAX_LOCATIONS 100000 /* size of the caller's location space */

/* An opening window: service at the place may START at any time in
 * [open, close] on day `day` (0-based), or on every day when day == -1. */
typedef struct planner_window {
    int day;
    double open, close;
} planner_window_t;

typedef struct planner_place {
    int64_t id;          /* caller's id, copied into the result */
    int loc;             /* location index for the travel matrix/callback */
    double score;        /* >= 0; 0 = visited only if mandatory or a meal */
    double duration;     /* visit duration (seconds in the product), >= 0 */
    int64_t cost;        /* minor units, >= 0; counts against the budget */
    const planner_window_t *windows; /* borrowed; sorted or not, may overlap */
    int n_windows;       /* 0 = open whenever the day is */
    bool mandatory;      /* must be visited (on any day) */
    uint64_t tags;       /* category bitmask, used by meal slots */
} planner_place_t;

/* One day: leave start_loc at `start` or later, be at end_loc by `end`. */
typedef struct planner_day {
    double start, end;
    int start_loc, end_loc;
} planner_day_t;

/* On day `day`, one place with (place.tags & tags) != 0 must have its
 * service start within [from, to] (e.g. a restaurant between 12:00 and
 * 14:00).  Each slot needs its own stop. */
typedef struct planner_meal {
    int day;
    double from, to;
    uint64_t tags;
} planner_meal_t;

/* Travel time from location `from` to location `to` (>= 0, or +INFINITY if
 * unreachable).  Called only during planner_solve(), at most once per pair
 * of locations actually used, from the calling thread. */
typedef double (*planner_travel_fn)(void *ctx, int from, int to);

/* Progress report: percent of the iteration budget done, best score so far
 * (without internal bonuses).  Called from the solving thread. */
typedef void (*planner_progress_fn)(void *ctx, int percent, double best_score);

typedef struct planner_request {
    const planner_place_t *places;
    int n_places;
    const planner_day_t *days;
    int n_days;
    /* Travel times: either a dense row-major n_locations x n_locations
     * matrix (used when non-NULL), or the callback. */
    int n_locations;
    const double *matrix;
    planner_travel_fn travel;
    void *travel_ctx;
    int64_t budget;          /* < 0: no budget cap; else sum of costs <= it */
    int max_places_per_day;  /* <= 0: unlimited */
    const planner_meal_t *meals;
    int n_meals;
    uint64_t seed;
    int64_t time_limit_ms;   /* <= 0: no time limit (iterations only) */
    int64_t max_iterations;  /* <= 0: automatic, from the instance size */
    planner_progress_fn progress; /* optional */
    void *progress_ctx;
    const atomic_int *cancel; /* optional; non-zero stops the search early */
} planner_request_t;

typedef struct planner_stop {
    int place;               /* index into request.places */
    int64_t id;              /* request.places[place].id */
    double arrival;          /* time of arrival at the place */
    double wait_start;       /* waiting starts at arrival (== arrival) */
    double service_start;    /* >= arrival; in one of the day's windows */
    double departure;        /* service_start + duration */
    int meal;                /* index of the meal slot this stop serves, or -1 */
} planner_stop_t;

typedef struct planner_day_plan {
    planner_stop_t *stops;   /* in visiting order */
    int n_stops;
    double start;            /* departure from the start location */
    double end_arrival;      /* arrival at the end location */
} planner_day_plan_t;

typedef struct planner_result {
    planner_day_plan_t *days; /* n_days entries, in request order */
    int n_days;
    double total_score;      /* sum of the visited places' scores */
    int64_t total_cost;
    int *unvisited;          /* place indexes, ascending */
    int n_unvisited;
    int64_t iterations;      /* search iterations done */
    bool time_limit_hit;
    bool canceled;
    bool constraints_met;    /* every mandatory place and meal slot served */
} planner_result_t;

/* Solve `req`.  Returns 0 and a new result in *out, or a negative PLANNER_E*
 * code (input rejected, nothing allocated, *out = NULL).  A result whose
 * mandatory places or meal slots could not all be served is still returned
 * (0), with constraints_met = false; those places are listed as unvisited. */
int planner_solve(const planner_request_t *req, planner_result_t **out);

/* Free a result from planner_solve (NULL is fine). */
void planner_result_free(planner_result_t *res);

/* Static English text for a PLANNER_E* code. */
const char *planner_strerror(int code);

#endif /* TRAVLOC_PLANNER_H */

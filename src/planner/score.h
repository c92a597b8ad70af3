/* planner/score.h -- turning preferences and place data into planner input.
 *
 * Pure module (no I/O, no global mutable state): it reads a traveller's
 * preference document (the GET/PUT /v1/users/preferences shape, already
 * checked against prefs_preferences_schema) into a score_prefs_t, and for
 * one place (category, OSM tags) decides whether it may be visited at all,
 * how much it is worth (the planner's score), how long a visit takes, what
 * it costs, whether it can serve a lunch slot, and WHY: every decision adds
 * a short English sentence to the place's reasons.
 *
 * Rules (docs/planner.md has the table):
 *   - interests (name + strength 1-5) map to place categories through a
 *     fixed keyword table ("museums" -> museum, gallery; "history" ->
 *     castle, ruins, ...); a matching place's score grows with strength,
 *     when the traveller named interests a non-matching one shrinks;
 *   - quality: wikipedia, wikidata, tourism=attraction, heritage, stars;
 *   - pace relaxed/moderate/fast -> day window and max stops;
 *     timeOfDay shifts the window; activityLevel -> walking limit;
 *   - budgetPreference -> restaurant price level, paid places cost score
 *     for "budget" travellers; fee/charge tags give the cost;
 *   - dietaryRestrictions -> only restaurants whose diet:* or cuisine tags
 *     satisfy every restriction are kept (they serve the lunch slot);
 *   - accessibilityNeeds mentioning a wheelchair -> wheelchair=yes only.
 *
 * Ownership: score_prefs_parse() borrows the JSON and copies what it keeps;
 * score_place() borrows its input and writes into the caller's struct.
 */
#ifndef TRAVLOC_PLANNER_SCORE_H
#define TRAVLOC_PLANNER_SCORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SCORE_MAX_INTERESTS 60
#define SCORE_MAX_DIETS 20
#define SCORE_MAX_REASONS 8
#define SCORE_REASON_LEN 96

enum { SCORE_PACE_RELAXED = 0, SCORE_PACE_MODERATE = 1, SCORE_PACE_FAST = 2 };
enum { SCORE_ACTIVITY_LOW = 0, SCORE_ACTIVITY_MODERATE = 1, SCORE_ACTIVITY_HIGH = 2 };
enum { SCORE_BUDGET_BUDGET = 0, SCORE_BUDGET_MODERATE = 1, SCORE_BUDGET_PREMIUM = 2,
       SCORE_BUDGET_LUXURY = 3 };
enum { SCORE_TOD_MORNING = 1, SCORE_TOD_AFTERNOON = 2, SCORE_TOD_EVENING = 4,
       SCORE_TOD_NIGHT = 8 };

typedef struct score_interest {
    char name[52];       /* as the traveller wrote it */
    int strength;        /* 1..5 */
} score_interest_t;

typedef struct score_prefs {
    score_interest_t interests[SCORE_MAX_INTERESTS];
    int n_interests;
    int pace;            /* SCORE_PACE_* (default moderate) */
    int activity;        /* SCORE_ACTIVITY_* (default moderate) */
    int budget;          /* SCORE_BUDGET_* (default moderate) */
    unsigned time_of_day; /* SCORE_TOD_* bits; 0 = no preference */
    char diets[SCORE_MAX_DIETS][24]; /* normalised: "vegetarian", "gluten_free" */
    int n_diets;
    bool wheelchair;     /* needs wheelchair=yes places */
} score_prefs_t;

/* Reads `doc` (an object, or NULL for defaults). Unknown or ill-typed
 * fields are ignored (the caller validated the document). */
void score_prefs_parse(const json_t *doc, score_prefs_t *out);

/* The traveller's day: window in seconds from local midnight and the most
 * stops (sights; the lunch stop is extra). */
typedef struct score_day {
    double start, end;
    int max_stops;
} score_day_t;
void score_day_params(const score_prefs_t *p, score_day_t *out);

/* Longest leg the traveller walks, in metres (low 1200, moderate 2500,
 * high 5000); longer legs are priced as public transport/taxi. */
double score_walk_limit_m(const score_prefs_t *p);
/* Radius around the lodging to look for places, metres. */
double score_search_radius_m(const score_prefs_t *p);

/* One place as the scorer sees it; every field may be NULL / 0. */
typedef struct score_place_in {
    const char *category;   /* "museum" (geo_osm_category name) */
    const char *name;
    const char *wheelchair; /* OSM wheelchair value */
    const char *cuisine;    /* OSM cuisine value ("italian;pizza") */
    const char *fee;        /* OSM fee value */
    double stars;
    const json_t *tags;     /* object of every OSM tag, or NULL */
    bool must_see;          /* the traveller asked for it */
} score_place_in_t;

typedef struct score_out {
    bool excluded;          /* never plan it (unless must_see) */
    char excluded_why[SCORE_REASON_LEN];
    double score;           /* > 0 when not excluded */
    double duration_s;      /* visit length */
    int64_t cost;           /* estimate in euro cents, >= 0 */
    bool meal;              /* can serve the lunch slot */
    bool outdoor;
    char reasons[SCORE_MAX_REASONS][SCORE_REASON_LEN];
    int n_reasons;
} score_out_t;

/* Scores one place for `p`. Categories that are not day-trip visits
 * (hotels, ATMs, bus stops, ...) come back excluded. */
void score_place(const score_prefs_t *p, const score_place_in_t *in, score_out_t *out);

/* True when the category is something a day plan may include. */
bool score_category_visitable(const char *category);

#endif /* TRAVLOC_PLANNER_SCORE_H */

/* planner/planner_int.h -- internals shared by the planner's .c files.
 *
 * model.c turns a validated planner_request_t into a pl_model_t: a compact
 * travel matrix over the locations actually used, and "nodes".  Node i < P is
 * place i; nodes from P on are meal nodes: (meal slot, tagged place) pairs
 * whose windows are cut to the slot.  At most one node per place and one node
 * per meal slot may be visited.  Mandatory places and meal nodes carry a big
 * internal bonus (pl_model_t.big) so that the search serves them first; the
 * result reports only the real scores.
 *
 * route.c keeps a pl_sol_t: per route (= day) the visit sequence with the
 * earliest schedule (arr, dep) and, per position, the latest arrival `la`
 * that keeps the rest of the route feasible.  With those, testing one
 * insertion is O(1) (plus the node's window count).
 *
 * search.c is the large-neighbourhood search.  All memory is owned by the
 * structures here and freed by their *_free functions; nothing is global.
 */
#ifndef TRAVLOC_PLANNER_INT_H
#define TRAVLOC_PLANNER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "planner/planner.h"

#define PL_EPS 1e-7 /* absolute tolerance on time comparisons */

/* --- random numbers: xoshiro256** seeded by splitmix64 ------------------ */
typedef struct pl_rng {
    uint64_t s[4];
} pl_rng_t;

void pl_rng_seed(pl_rng_t *r, uint64_t seed);
uint64_t pl_rng_next(pl_rng_t *r);
double pl_rng_double(pl_rng_t *r);    /* uniform in [0, 1) */
int pl_rng_int(pl_rng_t *r, int n);   /* uniform in [0, n), n >= 1 */

/* --- model ------------------------------------------------------------ */
typedef struct pl_model {
    int n_places, n_nodes, n_days, n_slots, n_locs;
    double *tt;             /* n_locs * n_locs travel times */
    /* per node */
    int *place;             /* place index */
    int *loc;               /* compact location */
    int *slot;              /* meal slot or -1 */
    double *score;          /* internal score (with bonuses) */
    double *rscore;         /* per PLACE: the caller's score */
    double *dur;
    int64_t *cost;
    int *win_off, *win_cnt; /* [node * n_days + day] into wopen/wclose */
    double *wopen, *wclose; /* sorted, disjoint windows */
    double *last_close;     /* [node * n_days + day], -INF if closed */
    /* per day */
    int *day_sloc, *day_eloc;
    double *day_start, *day_end;
    /* constraints */
    int64_t budget;         /* < 0: none */
    int max_per_day;        /* route capacity in visits */
    double big;             /* bonus of a mandatory place / meal node */
    /* neighbours: n_near closest nodes of each node */
    int n_near;
    int *near;
    double score_scale;     /* mean real score of a place with score > 0 */
    double horizon;         /* mean day length */
} pl_model_t;

/* Validate `req` and build the model.  Returns 0 or a PLANNER_E* code. */
int pl_model_build(const planner_request_t *req, pl_model_t *m);
void pl_model_free(pl_model_t *m);

static inline double pl_tt(const pl_model_t *m, int a, int b)
{
    return m->tt[(int64_t)a * m->n_locs + b];
}

/* --- solutions -------------------------------------------------------- */
typedef struct pl_sol {
    int m, cap;             /* routes; positions per route incl. 2 ends */
    int n_nodes, n_places, n_slots;
    int *len;               /* visits in route r */
    int *node;              /* [r * cap + pos]; -1 at both ends */
    int *loc;               /* location at each position */
    double *arr, *dep, *la; /* arrival, departure, latest arrival */
    int *where;             /* per node: r * cap + pos, or -1 */
    int *place_node;        /* per place: node visiting it, or -1 */
    int *slot_node;         /* per meal slot: node serving it, or -1 */
    double score;           /* internal score */
    int64_t cost;
    int n_visited;
} pl_sol_t;

int pl_sol_init(const pl_model_t *m, pl_sol_t *s);  /* empty routes */
void pl_sol_free(pl_sol_t *s);
void pl_sol_copy(pl_sol_t *dst, const pl_sol_t *src);
double pl_sol_time(const pl_sol_t *s);              /* sum of route ends */

/* Earliest service start for `node` on `day` when arriving at `a`, or
 * -INFINITY if no window can be met. */
double pl_svc_start(const pl_model_t *m, int node, int day, double a);

/* Can `node` be added at all right now (place/slot free, budget)? */
bool pl_node_free(const pl_model_t *m, const pl_sol_t *s, int node);

/* Best (least time-consuming) feasible position for `node` in route r;
 * returns the position (insert before it, 1..len+1) or -1; *shift gets the
 * delay caused at the next position. */
int pl_best_pos(const pl_model_t *m, const pl_sol_t *s, int node, int r,
                double *shift);

/* Cost of inserting `node` before position pos of route r (O(1)); false
 * if infeasible. */
bool pl_pos_eval(const pl_model_t *m, const pl_sol_t *s, int node, int r, int pos,
                 double *shift);

void pl_insert(const pl_model_t *m, pl_sol_t *s, int node, int r, int pos);
void pl_remove(const pl_model_t *m, pl_sol_t *s, int r, int pos);

/* Recompute schedule and latest arrivals of route r. */
void pl_route_update(const pl_model_t *m, pl_sol_t *s, int r);

/* Is route r with the given node sequence feasible?  Writes nothing. */
bool pl_seq_feasible(const pl_model_t *m, const pl_sol_t *s, int r,
                     const int *nodes, int n, double *end_arr);

/* Replace the visits of route r by `nodes` (must be feasible). */
void pl_route_set(const pl_model_t *m, pl_sol_t *s, int r, const int *nodes,
                  int n);

/* --- search ----------------------------------------------------------- */
typedef struct pl_search_out {
    int64_t iterations;
    bool time_limit_hit, canceled;
} pl_search_out_t;

/* Run the search; `best` must be initialised (empty) and receives the best
 * solution found.  Returns 0 or PLANNER_ENOMEM. */
int pl_search(const pl_model_t *m, const planner_request_t *req,
              pl_sol_t *best, pl_search_out_t *out);

#endif /* TRAVLOC_PLANNER_INT_H */

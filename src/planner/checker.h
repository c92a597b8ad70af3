/* planner/checker.h -- independent verifier of a planner result.
 *
 * planner_check() replays a result against its request from scratch, using
 * only the request (its matrix or travel callback, windows, days, meal
 * slots): it shares no code with the solver.  It verifies, per day, that the
 * tour leaves the day's start location no earlier than the day start and
 * reaches its end location by the day end; that every arrival is no earlier
 * than the previous departure plus the travel time; that service starts at or
 * after arrival, inside one of the place's windows for that day, and that
 * departure is no earlier than service start + duration; and, globally, that
 * no place is visited twice, the budget cap and places-per-day limit hold,
 * every mandatory place is visited, every meal slot is served by its own
 * stop (bipartite matching), the claimed total score/cost equal the sums, the
 * unvisited list is exactly the complement, and constraints_met is truthful.
 *
 * The check is read-only and allocates only scratch memory it frees.
 */
#ifndef TRAVLOC_PLANNER_CHECKER_H
#define TRAVLOC_PLANNER_CHECKER_H

#include "planner/planner.h"

enum {
    PLANNER_CHECK_OK = 0,
    PLANNER_CHECK_ESHAPE = -201,     /* NULL, day count, place index, id */
    PLANNER_CHECK_ETIME = -202,      /* travel/duration/ordering of times */
    PLANNER_CHECK_EWINDOW = -203,    /* service start outside the windows */
    PLANNER_CHECK_EDAY = -204,       /* outside the day's start/end */
    PLANNER_CHECK_EDUP = -205,       /* a place visited twice */
    PLANNER_CHECK_EBUDGET = -206,
    PLANNER_CHECK_EMANDATORY = -207,
    PLANNER_CHECK_EMAXPLACES = -208,
    PLANNER_CHECK_EMEAL = -209,
    PLANNER_CHECK_ESCORE = -210,     /* total score or cost mismatch */
    PLANNER_CHECK_EUNVISITED = -211, /* unvisited list is not the complement */
    PLANNER_CHECK_ENOMEM = -212,
};

typedef struct planner_check_report {
    int code;        /* same as the return value */
    int day, stop;   /* where the first violation was found, or -1 */
    char msg[160];   /* human-readable description */
} planner_check_report_t;

/* Check `res` against `req` with absolute time tolerance `tol` (>= 0; 1e-6
 * is right for the benchmark).  Returns PLANNER_CHECK_OK or the code of the
 * first violation; `rep` (optional) receives details. */
int planner_check(const planner_request_t *req, const planner_result_t *res, double tol,
                  planner_check_report_t *rep);

#endif /* TRAVLOC_PLANNER_CHECKER_H */

/* planner/checker.c -- replays a result; see checker.h.  Deliberately shares
 * nothing with the solver files: travel times come straight from the
 * request, windows are scanned as given. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/checker.h"

typedef struct chk {
    const planner_request_t *q;
    const planner_result_t *res;
    double tol;
    planner_check_report_t *rep;
} chk_t;

static int fail(chk_t *c, int code, int day, int stop, const char *fmt, ...)
{
    if (c->rep) {
        c->rep->code = code;
        c->rep->day = day;
        c->rep->stop = stop;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->rep->msg, sizeof(c->rep->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

static double travel(const planner_request_t *q, int a, int b)
{
    if (a == b)
        return 0;
    if (q->matrix)
        return q->matrix[(size_t)a * (size_t)q->n_locations + (size_t)b];
    return q->travel(q->travel_ctx, a, b);
}

static bool in_window(const planner_place_t *p, int day, double t, double tol)
{
    if (p->n_windows == 0)
        return true;
    for (int w = 0; w < p->n_windows; w++) {
        const planner_window_t *x = &p->windows[w];
        if ((x->day == -1 || x->day == day) && t >= x->open - tol && t <= x->close + tol)
            return true;
    }
    return false;
}

static int check_stop(chk_t *c, int d, int k, double prev_dep, int prev_loc)
{
    const planner_request_t *q = c->q;
    const planner_stop_t *s = &c->res->days[d].stops[k];
    if (s->place < 0 || s->place >= q->n_places)
        return fail(c, PLANNER_CHECK_ESHAPE, d, k, "place index %d out of range", s->place);
    const planner_place_t *p = &q->places[s->place];
    if (p->cost < 0 || p->cost > (INT64_C(1) << 50))
        return fail(c, PLANNER_CHECK_ESHAPE, d, k, "cost of place %d out of range", s->place);
    if (s->id != p->id)
        return fail(c, PLANNER_CHECK_ESHAPE, d, k, "id mismatch for place %d", s->place);
    double t = travel(q, prev_loc, p->loc);
    if (!(s->arrival >= prev_dep + t - c->tol))
        return fail(c, PLANNER_CHECK_ETIME, d, k, "arrival %.6f before %.6f + travel %.6f",
                    s->arrival, prev_dep, t);
    if (!(s->wait_start >= s->arrival - c->tol && s->service_start >= s->wait_start - c->tol))
        return fail(c, PLANNER_CHECK_ETIME, d, k, "service %.6f / wait %.6f before arrival %.6f",
                    s->service_start, s->wait_start, s->arrival);
    if (!in_window(p, d, s->service_start, c->tol))
        return fail(c, PLANNER_CHECK_EWINDOW, d, k, "service start %.6f outside windows of place %d",
                    s->service_start, s->place);
    if (!(s->departure >= s->service_start + p->duration - c->tol))
        return fail(c, PLANNER_CHECK_ETIME, d, k, "departure %.6f before end of service %.6f",
                    s->departure, s->service_start + p->duration);
    return 0;
}

static int check_day(chk_t *c, int d, char *seen)
{
    const planner_request_t *q = c->q;
    const planner_day_plan_t *dp = &c->res->days[d];
    const planner_day_t *day = &q->days[d];
    if (dp->n_stops < 0 || (dp->n_stops > 0 && !dp->stops))
        return fail(c, PLANNER_CHECK_ESHAPE, d, -1, "bad stop list");
    if (q->max_places_per_day > 0 && dp->n_stops > q->max_places_per_day)
        return fail(c, PLANNER_CHECK_EMAXPLACES, d, -1, "%d stops > %d", dp->n_stops,
                    q->max_places_per_day);
    if (!(dp->start >= day->start - c->tol))
        return fail(c, PLANNER_CHECK_EDAY, d, -1, "leaves at %.6f before day start", dp->start);
    double t = dp->start;
    int loc = day->start_loc;
    for (int k = 0; k < dp->n_stops; k++) {
        int rc = check_stop(c, d, k, t, loc);
        if (rc)
            return rc;
        const planner_stop_t *s = &dp->stops[k];
        if (seen[s->place])
            return fail(c, PLANNER_CHECK_EDUP, d, k, "place %d visited twice", s->place);
        seen[s->place] = 1;
        t = s->departure;
        loc = q->places[s->place].loc;
    }
    double e = t + travel(q, loc, day->end_loc);
    if (!(dp->end_arrival >= e - c->tol))
        return fail(c, PLANNER_CHECK_ETIME, d, -1, "end arrival %.6f before %.6f", dp->end_arrival, e);
    if (!(dp->end_arrival <= day->end + c->tol))
        return fail(c, PLANNER_CHECK_EDAY, d, -1, "back at %.6f after day end %.6f", dp->end_arrival,
                    day->end);
    return 0;
}

/* Can stop (d, k) serve meal slot s? */
static bool serves(const chk_t *c, int s, int d, int k)
{
    const planner_meal_t *ml = &c->q->meals[s];
    const planner_stop_t *st = &c->res->days[d].stops[k];
    return ml->day == d && (c->q->places[st->place].tags & ml->tags) &&
           st->service_start >= ml->from - c->tol && st->service_start <= ml->to + c->tol;
}

/* Kuhn's augmenting path over stops of the slot's day. */
static bool augment(const chk_t *c, int s, int *owner, char *vis)
{
    int d = c->q->meals[s].day;
    const planner_day_plan_t *dp = &c->res->days[d];
    for (int k = 0; k < dp->n_stops; k++) {
        int id = dp->stops[k].place;
        if (vis[id] || !serves(c, s, d, k))
            continue;
        vis[id] = 1;
        if (owner[id] < 0 || augment(c, owner[id], owner, vis)) {
            owner[id] = s;
            return true;
        }
    }
    return false;
}

static int check_meals(chk_t *c)
{
    const planner_request_t *q = c->q;
    for (int d = 0; d < c->res->n_days; d++)
        for (int k = 0; k < c->res->days[d].n_stops; k++) {
            int s = c->res->days[d].stops[k].meal;
            if (s != -1 && (s < 0 || s >= q->n_meals || !serves(c, s, d, k)))
                return fail(c, PLANNER_CHECK_EMEAL, d, k, "stop claims meal slot %d wrongly", s);
        }
    int *owner = malloc(sizeof(int) * (size_t)(q->n_places + 1));
    char *vis = malloc((size_t)q->n_places + 1);
    if (!owner || !vis) {
        free(owner);
        free(vis);
        return fail(c, PLANNER_CHECK_ENOMEM, -1, -1, "out of memory");
    }
    for (int i = 0; i < q->n_places; i++)
        owner[i] = -1;
    int bad = -1;
    for (int s = 0; s < q->n_meals && bad < 0; s++) {
        memset(vis, 0, (size_t)q->n_places + 1);
        if (!augment(c, s, owner, vis))
            bad = s;
    }
    free(owner);
    free(vis);
    if (bad >= 0)
        return fail(c, PLANNER_CHECK_EMEAL, q->meals[bad].day, -1, "meal slot %d not served", bad);
    return 0;
}

static int check_totals(chk_t *c, const char *seen)
{
    const planner_request_t *q = c->q;
    const planner_result_t *r = c->res;
    double score = 0;
    int64_t cost = 0;
    int nun = 0;
    for (int i = 0; i < q->n_places; i++) {
        if (seen[i]) {
            score += q->places[i].score;
            cost += q->places[i].cost;
        } else {
            if (q->places[i].mandatory)
                return fail(c, PLANNER_CHECK_EMANDATORY, -1, -1, "mandatory place %d not visited", i);
            if (nun >= r->n_unvisited || !r->unvisited || r->unvisited[nun] != i)
                return fail(c, PLANNER_CHECK_EUNVISITED, -1, -1, "place %d missing from unvisited", i);
            nun++;
        }
    }
    if (nun != r->n_unvisited)
        return fail(c, PLANNER_CHECK_EUNVISITED, -1, -1, "unvisited list has %d, expected %d",
                    r->n_unvisited, nun);
    if (fabs(score - r->total_score) > 1e-6 * (1 + fabs(score)))
        return fail(c, PLANNER_CHECK_ESCORE, -1, -1, "score %.6f claimed, %.6f actual", r->total_score,
                    score);
    if (cost != r->total_cost)
        return fail(c, PLANNER_CHECK_ESCORE, -1, -1, "cost mismatch");
    if (q->budget >= 0 && cost > q->budget)
        return fail(c, PLANNER_CHECK_EBUDGET, -1, -1, "cost %lld over budget %lld", (long long)cost,
                    (long long)q->budget);
    return 0;
}

int planner_check(const planner_request_t *req, const planner_result_t *res, double tol,
                  planner_check_report_t *rep)
{
    chk_t c = {.q = req, .res = res, .tol = tol >= 0 ? tol : 0, .rep = rep};
    if (rep)
        *rep = (planner_check_report_t){.code = 0, .day = -1, .stop = -1};
    if (!req || !res || req->n_days <= 0 || !req->days || req->n_places < 0 ||
        (!req->matrix && !req->travel))
        return fail(&c, PLANNER_CHECK_ESHAPE, -1, -1, "missing request or result");
    if (res->n_days != req->n_days || !res->days)
        return fail(&c, PLANNER_CHECK_ESHAPE, -1, -1, "result has %d days, request %d", res->n_days,
                    req->n_days);
    char *seen = calloc((size_t)req->n_places + 1, 1);
    if (!seen)
        return fail(&c, PLANNER_CHECK_ENOMEM, -1, -1, "out of memory");
    int rc = 0;
    for (int d = 0; d < req->n_days && rc == 0; d++)
        rc = check_day(&c, d, seen);
    if (rc == 0)
        rc = check_totals(&c, seen);
    free(seen);
    if (rc == 0)
        rc = check_meals(&c);
    if (rc == 0 && !res->constraints_met)
        rc = fail(&c, PLANNER_CHECK_EMANDATORY, -1, -1, "result says constraints are not met");
    return rc;
}

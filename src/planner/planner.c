/* planner/planner.c -- planner_solve(): model, search, result.
 *
 * Glue only: builds the model (model.c), runs the search (search.c) and
 * copies the best solution into a caller-owned planner_result_t.
 */
#include <stdlib.h>
#include <string.h>

#include "planner/planner_int.h"

const char *planner_strerror(int code)
{
    switch (code) {
    case PLANNER_OK: return "ok";
    case PLANNER_EINVAL: return "invalid argument";
    case PLANNER_ENOMEM: return "out of memory";
    case PLANNER_ERANGE: return "index out of range";
    case PLANNER_ENAN: return "NaN or infinite number";
    case PLANNER_ENEG: return "negative duration, score, cost or travel time";
    case PLANNER_EWINDOW: return "window ends before it starts";
    case PLANNER_ENODAYS: return "no days";
    case PLANNER_ETOOBIG: return "instance too large";
    case PLANNER_ENOTRAVEL: return "no travel times given";
    default: return "unknown error";
    }
}

void planner_result_free(planner_result_t *res)
{
    if (!res)
        return;
    if (res->days)
        for (int d = 0; d < res->n_days; d++)
            free(res->days[d].stops);
    free(res->days);
    free(res->unvisited);
    free(res);
}

static int fill_day(const pl_model_t *m, const planner_request_t *q, const pl_sol_t *s,
                    int r, planner_day_plan_t *dp)
{
    int b = r * s->cap, n = s->len[r];
    dp->n_stops = n;
    dp->start = s->dep[b];
    dp->end_arrival = s->arr[b + n + 1];
    dp->stops = calloc((size_t)(n > 0 ? n : 1), sizeof(planner_stop_t));
    if (!dp->stops)
        return PLANNER_ENOMEM;
    for (int i = 1; i <= n; i++) {
        int v = s->node[b + i];
        planner_stop_t *st = &dp->stops[i - 1];
        st->place = m->place[v];
        st->id = q->places[st->place].id;
        st->arrival = s->arr[b + i];
        st->wait_start = s->arr[b + i];
        st->departure = s->dep[b + i];
        st->service_start = s->dep[b + i] - m->dur[v];
        if (st->service_start < st->arrival)
            st->service_start = st->arrival;
        st->meal = m->slot[v];
    }
    return 0;
}

static int build_result(const pl_model_t *m, const planner_request_t *q, const pl_sol_t *s,
                        const pl_search_out_t *so, planner_result_t **out)
{
    planner_result_t *res = calloc(1, sizeof(*res));
    if (!res)
        return PLANNER_ENOMEM;
    res->n_days = s->m;
    res->days = calloc((size_t)s->m, sizeof(planner_day_plan_t));
    res->unvisited = malloc(sizeof(int) * (size_t)(m->n_places + 1));
    if (!res->days || !res->unvisited) {
        planner_result_free(res);
        return PLANNER_ENOMEM;
    }
    for (int r = 0; r < s->m; r++)
        if (fill_day(m, q, s, r, &res->days[r])) {
            planner_result_free(res);
            return PLANNER_ENOMEM;
        }
    bool ok = true;
    for (int i = 0; i < m->n_places; i++) {
        if (s->place_node[i] >= 0) {
            res->total_score += q->places[i].score;
            res->total_cost += q->places[i].cost;
        } else {
            res->unvisited[res->n_unvisited++] = i;
            if (q->places[i].mandatory)
                ok = false;
        }
    }
    for (int k = 0; k < m->n_slots; k++)
        if (s->slot_node[k] < 0)
            ok = false;
    res->constraints_met = ok;
    res->iterations = so->iterations;
    res->time_limit_hit = so->time_limit_hit;
    res->canceled = so->canceled;
    *out = res;
    return 0;
}

int planner_solve(const planner_request_t *req, planner_result_t **out)
{
    if (!out)
        return PLANNER_EINVAL;
    *out = NULL;
    if (!req)
        return PLANNER_EINVAL;
    pl_model_t m;
    int rc = pl_model_build(req, &m);
    if (rc)
        return rc;
    pl_sol_t best;
    pl_search_out_t so;
    rc = pl_sol_init(&m, &best);
    if (rc == 0)
        rc = pl_search(&m, req, &best, &so);
    if (rc == 0)
        rc = build_result(&m, req, &best, &so, out);
    pl_sol_free(&best);
    pl_model_free(&m);
    return rc;
}

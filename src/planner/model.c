/* planner/model.c -- request validation and the internal model.
 *
 * Every number of the request is checked before anything is allocated, so a
 * rejected request costs nothing.  The model copies what it needs (windows
 * per node and day, sorted and merged; a compact travel matrix over the
 * locations in use) so the search never touches the request again, except
 * for the progress callback and cancel flag.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/planner_int.h"

#define PL_MAX_NODES 20000
#define PL_MAX_ABS 1e12               /* bound on scores, times, durations */
#define PL_MAX_COST (INT64_C(1) << 50) /* so that sums cannot overflow */

static bool too_big(double x)
{
    return x > PL_MAX_ABS || x < -PL_MAX_ABS;
}
#define PL_NEAR 40

/* ---- validation ------------------------------------------------------ */

static int check_days(const planner_request_t *q)
{
    if (q->n_days == 0)
        return PLANNER_ENODAYS;
    if (q->n_days < 0 || !q->days)
        return PLANNER_EINVAL;
    if (q->n_days > PLANNER_MAX_DAYS)
        return PLANNER_ETOOBIG;
    for (int d = 0; d < q->n_days; d++) {
        const planner_day_t *y = &q->days[d];
        if (!isfinite(y->start) || !isfinite(y->end))
            return PLANNER_ENAN;
        if (too_big(y->start) || too_big(y->end))
            return PLANNER_ETOOBIG;
        if (y->end < y->start)
            return PLANNER_EWINDOW;
        if (y->start_loc < 0 || y->start_loc >= q->n_locations ||
            y->end_loc < 0 || y->end_loc >= q->n_locations)
            return PLANNER_ERANGE;
    }
    return 0;
}

static int check_place(const planner_request_t *q, const planner_place_t *p)
{
    if (p->loc < 0 || p->loc >= q->n_locations)
        return PLANNER_ERANGE;
    if (!isfinite(p->score) || !isfinite(p->duration))
        return PLANNER_ENAN;
    if (p->score < 0 || p->duration < 0 || p->cost < 0)
        return PLANNER_ENEG;
    if (too_big(p->score) || too_big(p->duration) || p->cost > PL_MAX_COST)
        return PLANNER_ETOOBIG;
    if (p->n_windows < 0 || (p->n_windows > 0 && !p->windows))
        return PLANNER_EINVAL;
    if (p->n_windows > PLANNER_MAX_WINDOWS)
        return PLANNER_ETOOBIG;
    for (int w = 0; w < p->n_windows; w++) {
        const planner_window_t *x = &p->windows[w];
        if (x->day < -1 || x->day >= q->n_days)
            return PLANNER_ERANGE;
        if (!isfinite(x->open) || !isfinite(x->close))
            return PLANNER_ENAN;
        if (too_big(x->open) || too_big(x->close))
            return PLANNER_ETOOBIG;
        if (x->close < x->open)
            return PLANNER_EWINDOW;
    }
    return 0;
}

static int check_request(const planner_request_t *q)
{
    if (q->n_locations <= 0)
        return PLANNER_EINVAL;
    if (q->n_locations > PLANNER_MAX_LOCATIONS)
        return PLANNER_ETOOBIG;
    if (!q->matrix && !q->travel)
        return PLANNER_ENOTRAVEL;
    int rc = check_days(q);
    if (rc)
        return rc;
    if (q->n_places < 0 || (q->n_places > 0 && !q->places))
        return PLANNER_EINVAL;
    if (q->n_places > PLANNER_MAX_PLACES)
        return PLANNER_ETOOBIG;
    for (int i = 0; i < q->n_places; i++)
        if ((rc = check_place(q, &q->places[i])))
            return rc;
    if (q->n_meals < 0 || (q->n_meals > 0 && !q->meals))
        return PLANNER_EINVAL;
    if (q->n_meals > 4 * PLANNER_MAX_DAYS)
        return PLANNER_ETOOBIG;
    for (int s = 0; s < q->n_meals; s++) {
        const planner_meal_t *ml = &q->meals[s];
        if (ml->day < 0 || ml->day >= q->n_days)
            return PLANNER_ERANGE;
        if (!isfinite(ml->from) || !isfinite(ml->to))
            return PLANNER_ENAN;
        if (too_big(ml->from) || too_big(ml->to))
            return PLANNER_ETOOBIG;
        if (ml->to < ml->from)
            return PLANNER_EWINDOW;
    }
    return 0;
}

/* ---- travel matrix --------------------------------------------------- */

static int build_matrix(const planner_request_t *q, pl_model_t *m,
                        const int *locs)
{
    int L = m->n_locs;
    m->tt = malloc(sizeof(double) * (size_t)L * (size_t)L);
    if (!m->tt)
        return PLANNER_ENOMEM;
    for (int a = 0; a < L; a++) {
        for (int b = 0; b < L; b++) {
            double t;
            if (a == b)
                t = 0;
            else if (q->matrix)
                t = q->matrix[(int64_t)locs[a] * q->n_locations + locs[b]];
            else
                t = q->travel(q->travel_ctx, locs[a], locs[b]);
            if (isnan(t))
                return PLANNER_ENAN;
            if (t < 0)
                return PLANNER_ENEG;
            m->tt[(int64_t)a * L + b] = t;
        }
    }
    return 0;
}

/* Map the caller's location indexes to 0..n_locs-1; fills locs[]. */
static int map_locations(const planner_request_t *q, pl_model_t *m, int **locs_out,
                         int **map_out)
{
    int *map = malloc(sizeof(int) * (size_t)q->n_locations);
    int *locs = malloc(sizeof(int) * (size_t)(q->n_places + 2 * q->n_days));
    if (!map || !locs) {
        free(map);
        free(locs);
        return PLANNER_ENOMEM;
    }
    for (int i = 0; i < q->n_locations; i++)
        map[i] = -1;
    int n = 0;
    for (int d = 0; d < q->n_days; d++) {
        int l[2] = {q->days[d].start_loc, q->days[d].end_loc};
        for (int k = 0; k < 2; k++)
            if (map[l[k]] < 0) {
                map[l[k]] = n;
                locs[n++] = l[k];
            }
    }
    for (int i = 0; i < q->n_places; i++)
        if (map[q->places[i].loc] < 0) {
            map[q->places[i].loc] = n;
            locs[n++] = q->places[i].loc;
        }
    m->n_locs = n;
    *locs_out = locs;
    *map_out = map;
    return 0;
}

/* ---- windows --------------------------------------------------------- */

static int cmp_win(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Collect node windows for `day` into buf (pairs open, close), cut to
 * [lo, hi]; sort and merge.  Returns the count. */
static int node_day_windows(const planner_request_t *q, int place, int day,
                            double lo, double hi, double *buf)
{
    const planner_place_t *p = &q->places[place];
    const planner_day_t *y = &q->days[day];
    if (y->start > lo)
        lo = y->start;
    if (y->end < hi)
        hi = y->end;
    int n = 0;
    if (p->n_windows == 0) {
        if (lo <= hi) {
            buf[0] = lo;
            buf[1] = hi;
            n = 1;
        }
        return n;
    }
    for (int w = 0; w < p->n_windows; w++) {
        const planner_window_t *x = &p->windows[w];
        if (x->day != -1 && x->day != day)
            continue;
        double o = x->open > lo ? x->open : lo;
        double c = x->close < hi ? x->close : hi;
        if (o <= c) {
            buf[2 * n] = o;
            buf[2 * n + 1] = c;
            n++;
        }
    }
    qsort(buf, (size_t)n, 2 * sizeof(double), cmp_win);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k > 0 && buf[2 * i] <= buf[2 * (k - 1) + 1]) {
            if (buf[2 * i + 1] > buf[2 * (k - 1) + 1])
                buf[2 * (k - 1) + 1] = buf[2 * i + 1];
        } else {
            buf[2 * k] = buf[2 * i];
            buf[2 * k + 1] = buf[2 * i + 1];
            k++;
        }
    }
    return k;
}

static int build_windows(const planner_request_t *q, pl_model_t *m)
{
    int N = m->n_nodes, D = m->n_days;
    size_t nd = (size_t)N * (size_t)D;
    m->win_off = malloc(sizeof(int) * nd);
    m->win_cnt = malloc(sizeof(int) * nd);
    m->last_close = malloc(sizeof(double) * nd);
    size_t cap = 1024, used = 0;
    m->wopen = malloc(sizeof(double) * cap);
    m->wclose = malloc(sizeof(double) * cap);
    double buf[2 * (PLANNER_MAX_WINDOWS + 1)];
    if (!m->win_off || !m->win_cnt || !m->last_close || !m->wopen || !m->wclose)
        return PLANNER_ENOMEM;
    for (int v = 0; v < N; v++) {
        int s = m->slot[v];
        for (int d = 0; d < D; d++) {
            size_t k = (size_t)v * (size_t)D + (size_t)d;
            int n = 0;
            if (s < 0)
                n = node_day_windows(q, m->place[v], d, -INFINITY, INFINITY, buf);
            else if (q->meals[s].day == d)
                n = node_day_windows(q, m->place[v], d, q->meals[s].from,
                                     q->meals[s].to, buf);
            if (used + (size_t)n > cap) {
                cap = 2 * cap + (size_t)n;
                double *o = realloc(m->wopen, sizeof(double) * cap);
                if (o)
                    m->wopen = o;
                double *c = realloc(m->wclose, sizeof(double) * cap);
                if (c)
                    m->wclose = c;
                if (!o || !c)
                    return PLANNER_ENOMEM;
            }
            m->win_off[k] = (int)used;
            m->win_cnt[k] = n;
            for (int i = 0; i < n; i++) {
                m->wopen[used] = buf[2 * i];
                m->wclose[used++] = buf[2 * i + 1];
            }
            m->last_close[k] = n ? buf[2 * n - 1] : -INFINITY;
        }
    }
    return 0;
}

/* ---- nodes and neighbours -------------------------------------------- */

static int build_nodes(const planner_request_t *q, pl_model_t *m, const int *map)
{
    int P = q->n_places, n = P;
    for (int s = 0; s < q->n_meals; s++)
        for (int i = 0; i < P; i++)
            if (q->places[i].tags & q->meals[s].tags)
                n++;
    if (n > PL_MAX_NODES)
        return PLANNER_ETOOBIG;
    m->n_nodes = n;
    size_t N = (size_t)(n > 0 ? n : 1);
    m->place = malloc(sizeof(int) * N);
    m->loc = malloc(sizeof(int) * N);
    m->slot = malloc(sizeof(int) * N);
    m->score = malloc(sizeof(double) * N);
    m->dur = malloc(sizeof(double) * N);
    m->cost = malloc(sizeof(int64_t) * N);
    m->rscore = malloc(sizeof(double) * (size_t)(P + 1));
    if (!m->rscore || !m->place || !m->loc || !m->slot || !m->score || !m->dur || !m->cost)
        return PLANNER_ENOMEM;
    double sum = 0;
    for (int i = 0; i < P; i++) {
        sum += q->places[i].score;
        m->rscore[i] = q->places[i].score;
    }
    m->big = 2 * sum + 1;
    int v = 0;
    for (int s = -1; s < q->n_meals; s++) {
        for (int i = 0; i < P; i++) {
            const planner_place_t *p = &q->places[i];
            if (s >= 0 && !(p->tags & q->meals[s].tags))
                continue;
            m->place[v] = i;
            m->loc[v] = map[p->loc];
            m->slot[v] = s;
            m->score[v] = p->score + (p->mandatory ? m->big : 0) +
                          (s >= 0 ? m->big : 0);
            m->dur[v] = p->duration;
            m->cost[v] = p->cost;
            v++;
        }
    }
    return 0;
}

static int build_near(pl_model_t *m)
{
    int P = m->n_places;
    m->n_near = P - 1 < PL_NEAR ? (P > 0 ? P - 1 : 0) : PL_NEAR;
    m->near = malloc(sizeof(int) * (size_t)(P * m->n_near + 1));
    double *dist = malloc(sizeof(double) * (size_t)(P + 1));
    int *idx = malloc(sizeof(int) * (size_t)(P + 1));
    if (!m->near || !dist || !idx) {
        free(dist);
        free(idx);
        return PLANNER_ENOMEM;
    }
    for (int a = 0; a < P; a++) {
        int n = 0;
        for (int b = 0; b < P; b++) {
            if (b == a)
                continue;
            dist[b] = pl_tt(m, m->loc[a], m->loc[b]) + pl_tt(m, m->loc[b], m->loc[a]);
            idx[n++] = b;
        }
        /* partial selection sort of the n_near closest */
        for (int k = 0; k < m->n_near; k++) {
            int best = k;
            for (int j = k + 1; j < n; j++)
                if (dist[idx[j]] < dist[idx[best]] ||
                    (dist[idx[j]] == dist[idx[best]] && idx[j] < idx[best]))
                    best = j;
            int t = idx[k];
            idx[k] = idx[best];
            idx[best] = t;
            m->near[a * m->n_near + k] = idx[k];
        }
    }
    free(dist);
    free(idx);
    return 0;
}

static int build_days(const planner_request_t *q, pl_model_t *m, const int *map)
{
    int D = q->n_days;
    m->day_sloc = malloc(sizeof(int) * (size_t)D);
    m->day_eloc = malloc(sizeof(int) * (size_t)D);
    m->day_start = malloc(sizeof(double) * (size_t)D);
    m->day_end = malloc(sizeof(double) * (size_t)D);
    if (!m->day_sloc || !m->day_eloc || !m->day_start || !m->day_end)
        return PLANNER_ENOMEM;
    double h = 0;
    for (int d = 0; d < D; d++) {
        m->day_sloc[d] = map[q->days[d].start_loc];
        m->day_eloc[d] = map[q->days[d].end_loc];
        m->day_start[d] = q->days[d].start;
        m->day_end[d] = q->days[d].end;
        h += q->days[d].end - q->days[d].start;
    }
    m->horizon = h / D > 0 ? h / D : 1;
    return 0;
}

int pl_model_build(const planner_request_t *q, pl_model_t *m)
{
    memset(m, 0, sizeof(*m));
    int rc = check_request(q);
    if (rc)
        return rc;
    m->n_places = q->n_places;
    m->n_days = q->n_days;
    m->n_slots = q->n_meals;
    m->budget = q->budget;
    m->max_per_day = q->max_places_per_day > 0 && q->max_places_per_day < q->n_places
                         ? q->max_places_per_day
                         : q->n_places;
    int *locs = NULL, *map = NULL;
    if ((rc = map_locations(q, m, &locs, &map)) == 0 &&
        (rc = build_matrix(q, m, locs)) == 0 && (rc = build_days(q, m, map)) == 0 &&
        (rc = build_nodes(q, m, map)) == 0 && (rc = build_windows(q, m)) == 0)
        rc = build_near(m);
    free(locs);
    free(map);
    if (rc) {
        pl_model_free(m);
        return rc;
    }
    double s = 0;
    int n = 0;
    for (int i = 0; i < q->n_places; i++)
        if (q->places[i].score > 0) {
            s += q->places[i].score;
            n++;
        }
    m->score_scale = n ? s / n : 1;
    return 0;
}

void pl_model_free(pl_model_t *m)
{
    free(m->tt);
    free(m->place);
    free(m->loc);
    free(m->slot);
    free(m->score);
    free(m->rscore);
    free(m->dur);
    free(m->cost);
    free(m->win_off);
    free(m->win_cnt);
    free(m->wopen);
    free(m->wclose);
    free(m->last_close);
    free(m->day_sloc);
    free(m->day_eloc);
    free(m->day_start);
    free(m->day_end);
    free(m->near);
    memset(m, 0, sizeof(*m));
}

/* planner/route.c -- routes with O(1) insertion tests, and the PRNG.
 *
 * Route r serves day r.  Position 0 is the day's start location, position
 * len+1 its end location, visits are in between.  For every position the
 * route keeps the earliest schedule (arr = arrival, dep = departure) and
 * la = the latest arrival that keeps everything after it feasible.  Because
 * the earliest service start is non-decreasing in the arrival time, even with
 * several windows per day, "arrival <= la" is an exact feasibility test.
 * Invariant: every route of a pl_sol_t is feasible (within PL_EPS).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/planner_int.h"

/* ---- PRNG ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pl_rng_seed(pl_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t pl_rng_next(pl_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

double pl_rng_double(pl_rng_t *r)
{
    return (double)(pl_rng_next(r) >> 11) * 0x1.0p-53;
}

int pl_rng_int(pl_rng_t *r, int n)
{
    return (int)(((pl_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ---- solutions -------------------------------------------------------- */

int pl_sol_init(const pl_model_t *m, pl_sol_t *s)
{
    memset(s, 0, sizeof(*s));
    s->m = m->n_days;
    s->cap = m->max_per_day + 2;
    s->n_nodes = m->n_nodes;
    s->n_places = m->n_places;
    s->n_slots = m->n_slots;
    size_t mc = (size_t)s->m * (size_t)s->cap;
    size_t nn = (size_t)m->n_nodes + 1;
    s->len = calloc((size_t)s->m, sizeof(int));
    s->node = malloc(sizeof(int) * mc);
    s->loc = malloc(sizeof(int) * mc);
    s->arr = malloc(sizeof(double) * mc);
    s->dep = malloc(sizeof(double) * mc);
    s->la = malloc(sizeof(double) * mc);
    s->where = malloc(sizeof(int) * nn);
    s->place_node = malloc(sizeof(int) * ((size_t)m->n_places + 1));
    s->slot_node = malloc(sizeof(int) * ((size_t)m->n_slots + 1));
    if (!s->len || !s->node || !s->loc || !s->arr || !s->dep || !s->la ||
        !s->where || !s->place_node || !s->slot_node) {
        pl_sol_free(s);
        return PLANNER_ENOMEM;
    }
    for (int i = 0; i < m->n_nodes; i++)
        s->where[i] = -1;
    for (int i = 0; i < m->n_places; i++)
        s->place_node[i] = -1;
    for (int i = 0; i < m->n_slots; i++)
        s->slot_node[i] = -1;
    for (int r = 0; r < s->m; r++) {
        int b = r * s->cap;
        s->node[b] = s->node[b + 1] = -1;
        s->loc[b] = m->day_sloc[r];
        s->loc[b + 1] = m->day_eloc[r];
        pl_route_update(m, s, r);
    }
    return 0;
}

void pl_sol_free(pl_sol_t *s)
{
    free(s->len);
    free(s->node);
    free(s->loc);
    free(s->arr);
    free(s->dep);
    free(s->la);
    free(s->where);
    free(s->place_node);
    free(s->slot_node);
    memset(s, 0, sizeof(*s));
}

/* Both solutions must come from the same model. */
void pl_sol_copy(pl_sol_t *d, const pl_sol_t *s)
{
    for (int r = 0; r < s->m; r++) {
        size_t b = (size_t)r * (size_t)s->cap, n = (size_t)s->len[r] + 2;
        memcpy(d->node + b, s->node + b, n * sizeof(int));
        memcpy(d->loc + b, s->loc + b, n * sizeof(int));
        memcpy(d->arr + b, s->arr + b, n * sizeof(double));
        memcpy(d->dep + b, s->dep + b, n * sizeof(double));
        memcpy(d->la + b, s->la + b, n * sizeof(double));
        d->len[r] = s->len[r];
    }
    memcpy(d->where, s->where, sizeof(int) * (size_t)s->n_nodes);
    memcpy(d->place_node, s->place_node, sizeof(int) * (size_t)s->n_places);
    memcpy(d->slot_node, s->slot_node, sizeof(int) * (size_t)s->n_slots);
    d->score = s->score;
    d->cost = s->cost;
    d->n_visited = s->n_visited;
}

double pl_sol_time(const pl_sol_t *s)
{
    double t = 0;
    for (int r = 0; r < s->m; r++)
        t += s->arr[r * s->cap + s->len[r] + 1] - s->dep[r * s->cap];
    return t;
}

/* ---- schedule --------------------------------------------------------- */

double pl_svc_start(const pl_model_t *m, int v, int day, double a)
{
    size_t k = (size_t)v * (size_t)m->n_days + (size_t)day;
    int o = m->win_off[k], c = m->win_cnt[k];
    for (int i = 0; i < c; i++)
        if (a <= m->wclose[o + i] + PL_EPS)
            return a > m->wopen[o + i] ? a : m->wopen[o + i];
    return -INFINITY;
}

/* Latest arrival at v such that service can start by x. */
static double latest_arrival(const pl_model_t *m, int v, int day, double x)
{
    size_t k = (size_t)v * (size_t)m->n_days + (size_t)day;
    int o = m->win_off[k], c = m->win_cnt[k];
    for (int i = c - 1; i >= 0; i--)
        if (m->wopen[o + i] <= x + PL_EPS)
            return m->wclose[o + i] < x ? m->wclose[o + i] : x;
    return -INFINITY;
}

void pl_route_update(const pl_model_t *m, pl_sol_t *s, int r)
{
    int b = r * s->cap, n = s->len[r];
    int *node = s->node + b, *loc = s->loc + b;
    double *arr = s->arr + b, *dep = s->dep + b, *la = s->la + b;
    arr[0] = dep[0] = m->day_start[r];
    for (int i = 1; i <= n; i++) {
        double a = dep[i - 1] + pl_tt(m, loc[i - 1], loc[i]);
        double st = pl_svc_start(m, node[i], r, a);
        arr[i] = a;
        dep[i] = (st > a ? st : a) + m->dur[node[i]];
    }
    arr[n + 1] = dep[n + 1] = dep[n] + pl_tt(m, loc[n], loc[n + 1]);
    la[n + 1] = m->day_end[r];
    for (int i = n; i >= 1; i--) {
        double x = la[i + 1] - pl_tt(m, loc[i], loc[i + 1]) - m->dur[node[i]];
        la[i] = latest_arrival(m, node[i], r, x);
    }
    la[0] = la[1] - pl_tt(m, loc[0], loc[1]);
}

bool pl_node_free(const pl_model_t *m, const pl_sol_t *s, int v)
{
    if (s->place_node[m->place[v]] >= 0)
        return false;
    if (m->slot[v] >= 0 && s->slot_node[m->slot[v]] >= 0)
        return false;
    return m->budget < 0 || s->cost + m->cost[v] <= m->budget;
}

int pl_best_pos(const pl_model_t *m, const pl_sol_t *s, int v, int r, double *shift)
{
    size_t k = (size_t)v * (size_t)m->n_days + (size_t)r;
    int cnt = m->win_cnt[k], n = s->len[r];
    if (cnt == 0 || n >= s->cap - 2)
        return -1;
    double lc = m->last_close[k] + PL_EPS, dv = m->dur[v];
    double wo = m->wopen[m->win_off[k]];
    int b = r * s->cap, lv = m->loc[v], L = m->n_locs, best = -1;
    const int *loc = s->loc + b;
    const double *dep = s->dep + b, *arr = s->arr + b, *la = s->la + b;
    const double *to_v = m->tt + lv, *from_v = m->tt + (int64_t)lv * L;
    double bs = INFINITY;
    /* la is non-decreasing along the route and the next arrival is at
     * least open + duration: skip the prefix where that cannot fit. */
    int lo = 0, hi = n, need = 0;
    double need_t = wo + dv - PL_EPS;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (la[mid + 1] >= need_t)
            hi = mid;
        else
            lo = mid + 1;
    }
    need = lo;
    for (int i = need; i <= n; i++) {
        if (dep[i] > lc)
            break;
        double a = dep[i] + to_v[(int64_t)loc[i] * L];
        if (a > lc)
            continue;
        double st = cnt == 1 ? (a > wo ? a : wo) : pl_svc_start(m, v, r, a);
        double a2 = st + dv + from_v[loc[i + 1]];
        if (a2 > la[i + 1] + PL_EPS)
            continue;
        double sh = a2 - arr[i + 1];
        if (sh < bs) {
            bs = sh;
            best = i + 1;
        }
    }
    *shift = bs;
    return best;
}

bool pl_pos_eval(const pl_model_t *m, const pl_sol_t *s, int v, int r, int pos, double *shift)
{
    int b = r * s->cap, i = pos - 1;
    if (pos < 1 || pos > s->len[r] + 1 || s->len[r] >= s->cap - 2)
        return false;
    double a = s->dep[b + i] + pl_tt(m, s->loc[b + i], m->loc[v]);
    double st = pl_svc_start(m, v, r, a);
    if (st == -INFINITY)
        return false;
    double a2 = st + m->dur[v] + pl_tt(m, m->loc[v], s->loc[b + pos]);
    if (a2 > s->la[b + pos] + PL_EPS)
        return false;
    *shift = a2 - s->arr[b + pos];
    return true;
}

static void mark(const pl_model_t *m, pl_sol_t *s, int v, int w)
{
    s->where[v] = w;
    s->place_node[m->place[v]] = w >= 0 ? v : -1;
    if (m->slot[v] >= 0)
        s->slot_node[m->slot[v]] = w >= 0 ? v : -1;
}

void pl_insert(const pl_model_t *m, pl_sol_t *s, int v, int r, int pos)
{
    int b = r * s->cap, n = s->len[r];
    for (int i = n + 1; i >= pos; i--) {
        s->node[b + i + 1] = s->node[b + i];
        s->loc[b + i + 1] = s->loc[b + i];
        if (s->node[b + i + 1] >= 0)
            s->where[s->node[b + i + 1]] = b + i + 1;
    }
    s->node[b + pos] = v;
    s->loc[b + pos] = m->loc[v];
    mark(m, s, v, b + pos);
    s->len[r] = n + 1;
    s->score += m->score[v];
    s->cost += m->cost[v];
    s->n_visited++;
    pl_route_update(m, s, r);
}

void pl_remove(const pl_model_t *m, pl_sol_t *s, int r, int pos)
{
    int b = r * s->cap, n = s->len[r], v = s->node[b + pos];
    mark(m, s, v, -1);
    for (int i = pos; i <= n; i++) {
        s->node[b + i] = s->node[b + i + 1];
        s->loc[b + i] = s->loc[b + i + 1];
        if (s->node[b + i] >= 0)
            s->where[s->node[b + i]] = b + i;
    }
    s->len[r] = n - 1;
    s->score -= m->score[v];
    s->cost -= m->cost[v];
    s->n_visited--;
    pl_route_update(m, s, r);
}

bool pl_seq_feasible(const pl_model_t *m, const pl_sol_t *s, int r, const int *nodes,
                     int n, double *end_arr)
{
    double t = m->day_start[r];
    int prev = m->day_sloc[r];
    for (int i = 0; i < n; i++) {
        int v = nodes[i];
        double a = t + pl_tt(m, prev, m->loc[v]);
        double st = pl_svc_start(m, v, r, a);
        if (st == -INFINITY)
            return false;
        t = st + m->dur[v];
        prev = m->loc[v];
    }
    t += pl_tt(m, prev, m->day_eloc[r]);
    if (end_arr)
        *end_arr = t;
    (void)s;
    return t <= m->day_end[r] + PL_EPS;
}

void pl_route_set(const pl_model_t *m, pl_sol_t *s, int r, const int *nodes, int n)
{
    int b = r * s->cap;
    for (int i = 1; i <= s->len[r]; i++) {
        int v = s->node[b + i];
        mark(m, s, v, -1);
        s->score -= m->score[v];
        s->cost -= m->cost[v];
        s->n_visited--;
    }
    for (int i = 0; i < n; i++) {
        int v = nodes[i];
        s->node[b + i + 1] = v;
        s->loc[b + i + 1] = m->loc[v];
        mark(m, s, v, b + i + 1);
        s->score += m->score[v];
        s->cost += m->cost[v];
        s->n_visited++;
    }
    s->len[r] = n;
    s->node[b + n + 1] = -1;
    s->loc[b + n + 1] = m->day_eloc[r];
    pl_route_update(m, s, r);
}

/* planner/search.c -- large-neighbourhood search for the TOPTW.
 *
 * Each iteration copies the current solution, removes some visits (random,
 * a run of consecutive visits, spatial neighbours, worst score/time ratio,
 * or now and then a long run of one route), then greedily re-inserts
 * unvisited nodes by noisy score^alpha / time-shift (recreate, with cached
 * insertion costs that are refreshed in O(1) after each insertion).  The
 * candidate is accepted by simulated annealing on score - lambda * time,
 * hot at first (10 mean place scores), cooling geometrically to 0.05; the
 * best solution is kept, and after a tenth of the budget without progress
 * the search restarts from it.  The final best gets a 2-opt/or-opt
 * compaction followed by one more recreate.
 * All randomness comes from one seeded xoshiro256** stream and the loop is
 * budgeted in iterations, so a seed fixes the result; the clock only
 * enforces the time limit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/planner_int.h"

typedef struct srch {
    const pl_model_t *m;
    const planner_request_t *req;
    pl_rng_t rng;
    pl_sol_t cur, cand;
    int *cl;          /* candidate nodes for recreate */
    double *key;      /* per node: score^alpha * noise */
    double *cratio;   /* [ci * R + r] cached best ratio, or -1 */
    int *cpos;        /* [ci * R + r] cached best position */
    int *tmp;         /* scratch, n_nodes */
    int *tmp2;        /* scratch, n_nodes */
    double *tmpd;     /* scratch, n_nodes */
    double lambda;    /* weight of time in the objective */
    double shift_eps;
    bool saturated;   /* source solution had no feasible insertion left */
    bool skip_ok;     /* no budget, no meal nodes: skipping clean routes is exact */
    char *dirty;      /* per route: changed by the ruin step */
    int64_t *rm_stamp;/* per node: iteration it was removed in */
    int64_t stamp;
    pl_sol_t rbest;   /* best of the current run */
    double start_ms;
    int last_pct, restart_div;
    double noise, pbig;
    double t0, t1, qfrac;
    int qcap;
} srch_t;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double objective(const srch_t *S, const pl_sol_t *s)
{
    return s->score - S->lambda * pl_sol_time(s);
}

/* ---- recreate --------------------------------------------------------- */

static void eval_route(srch_t *S, pl_sol_t *s, int ci, int r)
{
    const pl_model_t *m = S->m;
    int v = S->cl[ci], R = s->m;
    double sh;
    int pos = pl_best_pos(m, s, v, r, &sh);
    S->cpos[ci * R + r] = pos;
    S->cratio[ci * R + r] = pos < 0 ? -1 : S->key[v] / ((sh > 0 ? sh : 0) + S->shift_eps);
}

/* After a node went in at position p of route r: re-cost candidate ci at
 * its old place and next to the new node, in O(1); only if none of those
 * fits is the whole route scanned again. */
static void update_route(srch_t *S, pl_sol_t *s, int ci, int r, int p)
{
    int v = S->cl[ci], R = s->m, k = ci * R + r, old = S->cpos[k];
    int cand[3] = {p, p + 1, old < p ? old : old > p ? old + 1 : -1};
    int best = -1;
    double bs = INFINITY, sh;
    for (int j = 0; j < 3; j++)
        if (cand[j] > 0 && pl_pos_eval(S->m, s, v, r, cand[j], &sh) && sh < bs) {
            bs = sh;
            best = cand[j];
        }
    if (best < 0) {
        eval_route(S, s, ci, r);
        return;
    }
    S->cpos[k] = best;
    S->cratio[k] = S->key[v] / ((bs > 0 ? bs : 0) + S->shift_eps);
}

/* Drop candidate ci (swap with the last one); returns the new count. */
static int drop_cand(srch_t *S, int ci, int nc, int R)
{
    nc--;
    S->cl[ci] = S->cl[nc];
    memcpy(S->cratio + ci * R, S->cratio + nc * R, sizeof(double) * (size_t)R);
    memcpy(S->cpos + ci * R, S->cpos + nc * R, sizeof(int) * (size_t)R);
    return nc;
}

static bool fits_somewhere(const srch_t *S, int ci, int R)
{
    for (int r = 0; r < R; r++)
        if (S->cratio[ci * R + r] >= 0)
            return true;
    return false;
}

/* Collect the insertable nodes with their noisy keys and cost them in
 * every route; keep only those that fit somewhere.  Returns the count. */
static int collect(srch_t *S, pl_sol_t *s, double alpha, double noise)
{
    const pl_model_t *m = S->m;
    int R = s->m, nc = 0;
    for (int v = 0; v < m->n_nodes; v++) {
        if (s->where[v] >= 0 || !pl_node_free(m, s, v))
            continue;
        double sc = m->score[v];
        double k = alpha == 1 ? sc : alpha == 2 ? sc * sc : pow(sc, alpha);
        if (noise > 0)
            k *= 1 + noise * (pl_rng_double(&S->rng) - 0.5);
        if (k <= 0)
            continue;
        S->key[v] = k;
        S->cl[nc++] = v;
    }
    bool skip = S->saturated && S->skip_ok;
    for (int ci = nc - 1; ci >= 0; ci--) {
        bool fresh = S->rm_stamp[S->cl[ci]] == S->stamp;
        for (int r = 0; r < R; r++) {
            if (skip && !fresh && !S->dirty[r])
                S->cratio[ci * R + r] = -1;  /* did not fit before the ruin */
            else
                eval_route(S, s, ci, r);
        }
        if (!fits_somewhere(S, ci, R))
            nc = drop_cand(S, ci, nc, R);
    }
    return nc;
}

/* Insert unvisited nodes greedily, best noisy score^alpha / shift first,
 * until nothing fits. */
static void recreate(srch_t *S, pl_sol_t *s, double alpha, double noise)
{
    const pl_model_t *m = S->m;
    int R = s->m, nc = collect(S, s, alpha, noise);
    while (nc > 0) {
        int bc = -1, br = -1;
        double bq = -1;
        for (int ci = 0; ci < nc; ci++) {
            const double *q = S->cratio + ci * R;
            for (int r = 0; r < R; r++)
                if (q[r] > bq) {
                    bq = q[r];
                    bc = ci;
                    br = r;
                }
        }
        if (bc < 0)
            break;
        int v = S->cl[bc];
        if (!pl_node_free(m, s, v)) {       /* place/slot taken or budget */
            nc = drop_cand(S, bc, nc, R);
            continue;
        }
        int p = S->cpos[bc * R + br];
        pl_insert(m, s, v, br, p);
        nc = drop_cand(S, bc, nc, R);
        /* An insertion only tightens route br, so a node that did not fit
         * there before does not fit now (triangle inequality). */
        for (int ci = nc - 1; ci >= 0; ci--) {
            if (S->cratio[ci * R + br] < 0)
                continue;
            update_route(S, s, ci, br, p);
            if (S->cratio[ci * R + br] < 0 && !fits_somewhere(S, ci, R))
                nc = drop_cand(S, ci, nc, R);
        }
    }
}

/* ---- route compaction (2-opt, or-opt) ---------------------------------- */

/* Arrival at position `nx` of route r when positions p..nx-1 are replaced
 * by seq[0..k-1], or INFINITY if that is infeasible. */
static double sim_range(const pl_model_t *m, const pl_sol_t *s, int r, int p,
                        const int *seq, int k, int nx)
{
    int b = r * s->cap, prev = s->loc[b + p - 1];
    double t = s->dep[b + p - 1];
    for (int i = 0; i < k; i++) {
        int v = seq[i];
        double a = t + pl_tt(m, prev, m->loc[v]);
        if (a > m->last_close[(size_t)v * m->n_days + r] + PL_EPS)
            return INFINITY;
        t = pl_svc_start(m, v, r, a) + m->dur[v];
        prev = m->loc[v];
    }
    double a = t + pl_tt(m, prev, s->loc[b + nx]);
    return a <= s->la[b + nx] + PL_EPS ? a : INFINITY;
}

static void apply_range(srch_t *S, pl_sol_t *s, int r, int p, const int *seq, int k)
{
    int b = r * s->cap;
    for (int i = 0; i < k; i++) {
        s->node[b + p + i] = seq[i];
        s->loc[b + p + i] = S->m->loc[seq[i]];
        s->where[seq[i]] = b + p + i;
    }
    pl_route_update(S->m, s, r);
}

static bool two_opt(srch_t *S, pl_sol_t *s, int r)
{
    int b = r * s->cap, n = s->len[r], *seq = S->tmp2;
    for (int i = 1; i < n; i++)
        for (int j = i + 1; j <= n; j++) {
            for (int k = 0; k <= j - i; k++)
                seq[k] = s->node[b + j - k];
            double a = sim_range(S->m, s, r, i, seq, j - i + 1, j + 1);
            if (a < s->arr[b + j + 1] - 1e-9 * (1 + fabs(a))) {
                apply_range(S, s, r, i, seq, j - i + 1);
                return true;
            }
        }
    return false;
}

static bool or_opt(srch_t *S, pl_sol_t *s, int r)
{
    int b = r * s->cap, n = s->len[r], *seq = S->tmp2;
    const int *nd = s->node + b;
    for (int k = 1; k <= 3 && k < n; k++)
        for (int st = 1; st + k - 1 <= n; st++)
            for (int t = 1; t <= n + 1; t++) {
                int p, q, c = 0;
                if (t < st) {           /* segment moves before t */
                    p = t;
                    q = st + k - 1;
                    for (int i = 0; i < k; i++)
                        seq[c++] = nd[st + i];
                    for (int i = t; i < st; i++)
                        seq[c++] = nd[i];
                } else if (t > st + k) { /* segment moves before t */
                    p = st;
                    q = t - 1;
                    for (int i = st + k; i < t; i++)
                        seq[c++] = nd[i];
                    for (int i = 0; i < k; i++)
                        seq[c++] = nd[st + i];
                } else {
                    continue;
                }
                double a = sim_range(S->m, s, r, p, seq, c, q + 1);
                if (a < s->arr[b + q + 1] - 1e-9 * (1 + fabs(a))) {
                    apply_range(S, s, r, p, seq, c);
                    return true;
                }
            }
    return false;
}

/* Make route r finish earlier; returns true if it changed. */
static bool compact_route(srch_t *S, pl_sol_t *s, int r)
{
    bool any = false;
    for (int pass = 0; pass < 50; pass++) {
        if (two_opt(S, s, r) || or_opt(S, s, r))
            any = true;
        else
            break;
    }
    return any;
}

/* Compact every route, then insert what now fits; repeat while it helps. */
static void polish(srch_t *S, pl_sol_t *s)
{
    for (int round = 0; round < 5; round++) {
        bool any = false;
        for (int r = 0; r < s->m; r++)
            any |= compact_route(S, s, r);
        if (!any)
            break;
        int before = s->n_visited;
        S->saturated = false;
        recreate(S, s, 2.0, 0);
        if (s->n_visited == before)
            break;
    }
}

/* ---- ruin ------------------------------------------------------------- */

static void remove_at(srch_t *S, pl_sol_t *s, int r, int pos)
{
    int v = s->node[r * s->cap + pos];
    S->rm_stamp[v] = S->stamp;
    S->dirty[r] = 1;
    pl_remove(S->m, s, r, pos);
}

static void remove_node(srch_t *S, pl_sol_t *s, int v)
{
    int w = s->where[v];
    remove_at(S, s, w / s->cap, w % s->cap);
}

static int visited_list(const pl_sol_t *s, int *out)
{
    int n = 0;
    for (int r = 0; r < s->m; r++)
        for (int i = 1; i <= s->len[r]; i++)
            out[n++] = s->node[r * s->cap + i];
    return n;
}

static void ruin_random(srch_t *S, pl_sol_t *s, int q)
{
    int n = visited_list(s, S->tmp);
    for (int k = 0; k < q && n > 0; k++) {
        int i = pl_rng_int(&S->rng, n);
        remove_node(S, s, S->tmp[i]);
        S->tmp[i] = S->tmp[--n];
    }
}

/* Remove a run of consecutive visits from each of some routes. */
static void ruin_segment(srch_t *S, pl_sol_t *s, int q)
{
    int R = s->m, r0 = pl_rng_int(&S->rng, R);
    int nr = 1 + pl_rng_int(&S->rng, R);
    for (int k = 0; k < nr; k++) {
        int r = (r0 + k) % R, n = s->len[r];
        if (n == 0)
            continue;
        int len = q < n ? q : n;
        int st = 1 + pl_rng_int(&S->rng, n - len + 1);
        for (int j = 0; j < len; j++)
            remove_at(S, s, r, st);
    }
}

/* Remove a long run (a quarter to three quarters) of one route. */
static void ruin_big(srch_t *S, pl_sol_t *s)
{
    int r = pl_rng_int(&S->rng, s->m), n = s->len[r];
    if (n < 2)
        return;
    int len = n / 4 + pl_rng_int(&S->rng, n / 2 + 1);
    if (len < 1)
        len = 1;
    int st = 1 + pl_rng_int(&S->rng, n - len + 1);
    for (int j = 0; j < len; j++)
        remove_at(S, s, r, st);
}

/* Remove a random visit and its closest visited neighbours. */
static void ruin_related(srch_t *S, pl_sol_t *s, int q)
{
    const pl_model_t *m = S->m;
    int n = visited_list(s, S->tmp);
    if (n == 0)
        return;
    int v = S->tmp[pl_rng_int(&S->rng, n)], p = m->place[v], k = 1;
    remove_node(S, s, v);
    for (int j = 0; j < m->n_near && k < q; j++) {
        int w = s->place_node[m->near[p * m->n_near + j]];
        if (w >= 0 && pl_rng_double(&S->rng) < 0.8) {
            remove_node(S, s, w);
            k++;
        }
    }
}

/* Remove the q nodes of tmp[0..n) with the lowest tmpd values. */
static void remove_lowest(srch_t *S, pl_sol_t *s, int n, int q)
{
    for (int k = 0; k < q && k < n; k++) {
        int b = k;
        for (int j = k + 1; j < n; j++)
            if (S->tmpd[j] < S->tmpd[b])
                b = j;
        int tv = S->tmp[k];
        double td = S->tmpd[k];
        S->tmp[k] = S->tmp[b];
        S->tmpd[k] = S->tmpd[b];
        S->tmp[b] = tv;
        S->tmpd[b] = td;
        remove_node(S, s, S->tmp[k]);
    }
}

/* Remove the visits with the worst score / saved time (noisy). */
static void ruin_worst(srch_t *S, pl_sol_t *s, int q)
{
    const pl_model_t *m = S->m;
    int n = 0;
    for (int r = 0; r < s->m; r++) {
        int b = r * s->cap;
        for (int i = 1; i <= s->len[r]; i++) {
            int v = s->node[b + i];
            double sav = s->arr[b + i + 1] - s->dep[b + i - 1] -
                         pl_tt(m, s->loc[b + i - 1], s->loc[b + i + 1]);
            double u = pl_rng_double(&S->rng);
            S->tmp[n] = v;
            S->tmpd[n++] = m->score[v] / (sav + S->shift_eps) * (0.5 + u);
        }
    }
    remove_lowest(S, s, n, q);
}

/* ---- main loop -------------------------------------------------------- */

static double real_score(const pl_model_t *m, const pl_sol_t *s)
{
    double t = 0;
    for (int i = 0; i < m->n_places; i++)
        if (s->place_node[i] >= 0)
            t += m->rscore[i];
    return t;
}

/* 20000 iterations up to 133 places, then 150 per place, at most 50000:
 * about 0.3 s for 100 places and 1-4 s for 288 on one 2020s core. */
static int64_t default_iterations(const pl_model_t *m)
{
    int64_t n = 150 * (int64_t)m->n_places;
    return n < 20000 ? 20000 : n > 50000 ? 50000 : n;
}

static int srch_init(srch_t *S, const pl_model_t *m, const planner_request_t *req)
{
    memset(S, 0, sizeof(*S));
    S->m = m;
    S->req = req;
    pl_rng_seed(&S->rng, req->seed);
    size_t N = (size_t)m->n_nodes + 1, R = (size_t)m->n_days;
    S->cl = malloc(sizeof(int) * N);
    S->key = malloc(sizeof(double) * N);
    S->cratio = malloc(sizeof(double) * N * R);
    S->cpos = malloc(sizeof(int) * N * R);
    S->tmp = malloc(sizeof(int) * N);
    S->tmp2 = malloc(sizeof(int) * N);
    S->tmpd = malloc(sizeof(double) * N);
    S->dirty = calloc(R, 1);
    S->rm_stamp = calloc(N, sizeof(int64_t));
    S->stamp = 0;
    S->skip_ok = m->budget < 0 && m->n_nodes == m->n_places;
    if (!S->cl || !S->key || !S->cratio || !S->cpos || !S->tmp || !S->tmp2 || !S->tmpd ||
        !S->dirty || !S->rm_stamp)
        return PLANNER_ENOMEM;
    if (pl_sol_init(m, &S->cur) || pl_sol_init(m, &S->cand) || pl_sol_init(m, &S->rbest))
        return PLANNER_ENOMEM;
    S->shift_eps = 1e-4 * m->horizon;
    /* Tuned on the TOPTW benchmark (docs/planner-benchmark.md): a hot
     * start (10 mean scores) cooling to 0.05 mean scores, time weighted so
     * a whole day is worth half a mean score, strong key noise. */
    S->t0 = 10.0;
    S->t1 = 0.05;
    S->lambda = 0.5 * m->score_scale / m->horizon;
    S->noise = 1.0;
    S->qfrac = 0.25;
    S->qcap = 30;
    S->pbig = 0.05;
    S->restart_div = 10;
    return 0;
}

static void srch_free(srch_t *S)
{
    free(S->cl);
    free(S->key);
    free(S->cratio);
    free(S->cpos);
    free(S->tmp);
    free(S->tmp2);
    free(S->tmpd);
    free(S->dirty);
    free(S->rm_stamp);
    pl_sol_free(&S->cur);
    pl_sol_free(&S->cand);
    pl_sol_free(&S->rbest);
}

static void iterate(srch_t *S, pl_sol_t *c)
{
    int nv = c->n_visited;
    int qmax = (int)(nv * S->qfrac) > 3 ? (int)(nv * S->qfrac) : 3;
    if (qmax > S->qcap)
        qmax = S->qcap;
    int q = 1 + pl_rng_int(&S->rng, qmax);
    S->stamp++;
    memset(S->dirty, 0, (size_t)c->m);
    S->saturated = true;
    int op = pl_rng_int(&S->rng, 4);
    if (pl_rng_double(&S->rng) < S->pbig)
        op = 4;
    switch (op) {
    case 4: ruin_big(S, c); break;
    case 0: ruin_random(S, c, q); break;
    case 1: ruin_segment(S, c, q); break;
    case 2: ruin_related(S, c, q); break;
    default: ruin_worst(S, c, q); break;
    }
    double alpha = pl_rng_int(&S->rng, 2) ? 1.0 : 2.0;
    recreate(S, c, alpha, S->noise);
}

static bool must_stop(srch_t *S, int64_t it, pl_search_out_t *out)
{
    const planner_request_t *req = S->req;
    if (req->cancel && atomic_load(req->cancel)) {
        out->canceled = true;
        return true;
    }
    if (req->time_limit_ms > 0 && (it & 15) == 0 &&
        now_ms() - S->start_ms > (double)req->time_limit_ms) {
        out->time_limit_hit = true;
        return true;
    }
    return false;
}

/* Empty the current solution and build a new one greedily. */
static void construct(srch_t *S, double noise)
{
    for (int r = 0; r < S->cur.m; r++)
        pl_route_set(S->m, &S->cur, r, NULL, 0);
    S->saturated = false;
    recreate(S, &S->cur, 2.0, noise);
}

/* One annealing run over iterations [from, to) of `total`. */
static void run(srch_t *S, pl_sol_t *best, double *fbest, int64_t from, int64_t to,
                int64_t total, pl_search_out_t *out)
{
    const pl_model_t *m = S->m;
    double fcur = objective(S, &S->cur), frun = fcur;
    pl_sol_copy(&S->rbest, &S->cur);
    double T0 = S->t0 * m->score_scale, T1 = S->t1 * m->score_scale;
    int64_t last_imp = from, len = to - from, it;
    for (it = from; it < to; it++) {
        if (S->cur.n_visited == m->n_places || must_stop(S, it, out))
            break;
        double T = T0 * pow(T1 / T0, (double)(it - from) / (double)len);
        pl_sol_copy(&S->cand, &S->cur);
        iterate(S, &S->cand);
        double f = objective(S, &S->cand);
        if (f > frun + 1e-9) {
            pl_sol_copy(&S->rbest, &S->cand);
            frun = f;
            last_imp = it;
            if (f > *fbest + 1e-9) {
                pl_sol_copy(best, &S->cand);
                *fbest = f;
            }
        }
        if (f >= fcur - 1e-9 || f > fcur + T * log(pl_rng_double(&S->rng) + 1e-300)) {
            pl_sol_copy(&S->cur, &S->cand);
            fcur = f;
        }
        if (it - last_imp > len / S->restart_div && fcur < frun) {
            pl_sol_copy(&S->cur, &S->rbest);
            fcur = frun;
            last_imp = it;
        }
        if (S->req->progress) {
            int pct = (int)(100 * it / total);
            if (pct != S->last_pct) {
                S->last_pct = pct;
                S->req->progress(S->req->progress_ctx, pct, real_score(m, best));
            }
        }
    }
    out->iterations = it;
}

int pl_search(const pl_model_t *m, const planner_request_t *req, pl_sol_t *best,
              pl_search_out_t *out)
{
    srch_t S;
    memset(out, 0, sizeof(*out));
    int rc = srch_init(&S, m, req);
    if (rc) {
        srch_free(&S);
        return rc;
    }
    S.start_ms = now_ms();
    S.last_pct = -1;
    int64_t iters = req->max_iterations > 0 ? req->max_iterations : default_iterations(m);
    construct(&S, 0);
    pl_sol_copy(best, &S.cur);
    double fbest = objective(&S, best);
    run(&S, best, &fbest, 0, iters, iters, out);
    polish(&S, best);
    if (req->progress)
        req->progress(req->progress_ctx, 100, real_score(m, best));
    srch_free(&S);
    return 0;
}

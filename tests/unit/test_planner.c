/* tests/unit/test_planner.c -- planner solver, checker and TOPTW reader.
 *
 * Real instances are read from $TRAVLOC_DATA_DIR/toptw (default
 * data/toptw, relative to the repository root).  Hand-made cases use points
 * on a line (travel time = distance) through the travel callback.  No test
 * asserts on time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/checker.h"
#include "planner/planner.h"
#include "planner/toptw_io.h"

/* ---- helpers ---------------------------------------------------------- */

static const char *data_dir(void)
{
    const char *d = getenv("TRAVLOC_DATA_DIR");
    return d && *d ? d : "data";
}

static toptw_instance_t *read_instance(const char *set, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/toptw/%s/%s.txt", data_dir(), set, name);
    toptw_instance_t *in = NULL;
    int rc = toptw_read(path, &in);
    if (rc)
        fprintf(stderr, "cannot read %s (%d)\n", path, rc);
    assert_int_equal(rc, 0);
    return in;
}

/* Line world: location i at coordinate xs[i]; location 99 unreachable. */
typedef struct line {
    double xs[16];
} line_t;

static double line_travel(void *ctx, int a, int b)
{
    const line_t *l = ctx;
    if (a == 9 || b == 9)
        return INFINITY;
    return fabs(l->xs[a] - l->xs[b]);
}

typedef struct world {
    line_t line;
    planner_place_t places[8];
    planner_window_t win[8][3];
    planner_day_t days[3];
    planner_meal_t meals[2];
    planner_request_t req;
} world_t;

/* Depot at location 0 (x = 0); days [0, 100]. */
static void world_init(world_t *w, int n_days)
{
    memset(w, 0, sizeof(*w));
    for (int d = 0; d < n_days; d++)
        w->days[d] = (planner_day_t){.start = 0, .end = 100};
    w->req = (planner_request_t){.places = w->places, .days = w->days, .n_days = n_days,
                                 .n_locations = 10, .travel = line_travel,
                                 .travel_ctx = &w->line, .budget = -1, .seed = 1,
                                 .max_iterations = 300};
}

/* Add a place at coordinate x with one window (or none if open > close). */
static int add_place(world_t *w, double x, double score, double dur, double open, double close)
{
    int i = w->req.n_places++;
    w->line.xs[i + 1] = x;
    planner_place_t *p = &w->places[i];
    *p = (planner_place_t){.id = 100 + i, .loc = i + 1, .score = score, .duration = dur};
    if (open <= close) {
        w->win[i][0] = (planner_window_t){.day = -1, .open = open, .close = close};
        p->windows = w->win[i];
        p->n_windows = 1;
    }
    return i;
}

static planner_result_t *solve_ok(const planner_request_t *req)
{
    planner_result_t *res = NULL;
    assert_int_equal(planner_solve(req, &res), 0);
    assert_non_null(res);
    planner_check_report_t rep;
    int rc = planner_check(req, res, 1e-6, &rep);
    if (rc)
        fprintf(stderr, "check: %s\n", rep.msg);
    assert_int_equal(rc, 0);
    return res;
}

static bool visited(const planner_result_t *r, int place, int *day)
{
    for (int d = 0; d < r->n_days; d++)
        for (int k = 0; k < r->days[d].n_stops; k++)
            if (r->days[d].stops[k].place == place) {
                if (day)
                    *day = d;
                return true;
            }
    return false;
}

/* ---- real instances ---------------------------------------------------- */

static void check_real(const char *set, const char *name, int m, double bks)
{
    toptw_instance_t *in = read_instance(set, name);
    toptw_problem_t p;
    assert_int_equal(toptw_problem_build(in, m, TOPTW_ROUND_DOWN, &p), 0);
    p.req.seed = 42;
    p.req.max_iterations = 3000;
    planner_result_t *res = solve_ok(&p.req);
    /* Valid, not above the total, and within 10 % of the best known. */
    assert_true(res->total_score >= 0.90 * bks);
    double total = 0;
    for (int i = 1; i <= in->n; i++)
        total += in->score[i];
    assert_true(res->total_score <= total + 1e-9);
    assert_int_equal(res->iterations > 0 || res->n_unvisited == 0, 1);
    planner_result_free(res);
    toptw_problem_free(&p);
    toptw_free(in);
}

static void test_real_instances(void **state)
{
    (void)state;
    check_real("c_r_rc_100_100", "c101", 1, 320);
    check_real("c_r_rc_100_100", "r105", 2, 481);
    check_real("c_r_rc_100_100", "rc103", 3, 743);
    check_real("c_r_rc_200_100", "r205", 2, 1226);
    check_real("pr", "pr01", 2, 502);
    check_real("pr", "pr13", 1, 467);
}

static void test_reader(void **state)
{
    (void)state;
    toptw_instance_t *in = read_instance("c_r_rc_100_100", "c101");
    assert_string_equal(in->name, "c101");
    assert_int_equal(in->n, 100);
    assert_int_equal(in->decimals, 1);
    assert_true(in->close[0] == 1236);
    assert_true(in->open[1] == 912 && in->close[1] == 967 && in->score[1] == 10);
    /* (40,50) -> (45,68): sqrt(349) = 18.68.. truncated to 18.6 */
    assert_true(fabs(toptw_dist(in, 0, 1, TOPTW_ROUND_DOWN) - 18.6) < 1e-12);
    assert_true(fabs(toptw_dist(in, 0, 1, TOPTW_ROUND_NEAREST) - 18.7) < 1e-12);
    toptw_free(in);
    in = read_instance("pr", "pr01");         /* CRLF file, variable lists */
    assert_int_equal(in->n, 48);
    assert_int_equal(in->decimals, 2);
    toptw_free(in);
    toptw_instance_t *bad = NULL;
    assert_int_equal(toptw_read("/nonexistent/x.txt", &bad), TOPTW_EIO);
    assert_null(bad);
}

/* Write `text` to a temporary file and try to read it as an instance. */
static int read_text(const char *text)
{
    char path[] = "/tmp/test_planner_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    toptw_instance_t *in = NULL;
    int rc = toptw_read(path, &in);
    toptw_free(in);
    remove(path);
    return rc;
}

static void test_reader_malformed(void **state)
{
    (void)state;
    const char *head = "4 10 1 1\n0 200\n 0 0 0 0 0 0 0 0 100\n";
    char buf[256];
    assert_int_equal(read_text(""), TOPTW_EFORMAT);
    assert_int_equal(read_text("1 2 3\n"), TOPTW_EFORMAT);
    snprintf(buf, sizeof(buf), "%s", head);                      /* vertex missing */
    assert_int_equal(read_text(buf), TOPTW_EFORMAT);
    snprintf(buf, sizeof(buf), "%s 1 1 x 1 1 1 1 1 1 50\n", head); /* not a number */
    assert_int_equal(read_text(buf), TOPTW_EFORMAT);
    snprintf(buf, sizeof(buf), "%s 1 1 1 1 1 1 9 1 1 50\n", head); /* list too short */
    assert_int_equal(read_text(buf), TOPTW_EFORMAT);
    snprintf(buf, sizeof(buf), "%s 1 1 1 1 1 1 1 1 60 50\n", head); /* close < open */
    assert_int_equal(read_text(buf), TOPTW_EFORMAT);
    snprintf(buf, sizeof(buf), "%s 7 1 1 1 1 1 1 1 1 50\n", head); /* wrong id */
    assert_int_equal(read_text(buf), TOPTW_EFORMAT);
    /* CRLF, blank lines, no final newline: fine. */
    assert_int_equal(read_text("4 10 1 1 \r\n0 200\r\n\r\n 0 0 0 0 0 0 0 0 100\r\n"
                               " 1 3 4 1 5 1 2 1 2 1 50"), 0);
}

/* ---- hand-made cases ----------------------------------------------------- */

/* A (x=10, [10,10], dur 5, score 10) excludes both C (x=12, [12,13]) and
 * B (x=20, [20,22]); C then B fits.  One day: 10; two days: 18. */
static void test_tight_windows(void **state)
{
    (void)state;
    for (int days = 1; days <= 2; days++) {
        world_t w;
        world_init(&w, days);
        int a = add_place(&w, 10, 10, 5, 10, 10);
        int b = add_place(&w, 20, 4, 0, 20, 22);
        int c = add_place(&w, 12, 4, 0, 12, 13);
        planner_result_t *r = solve_ok(&w.req);
        assert_true(r->total_score == (days == 1 ? 10 : 18));
        assert_true(visited(r, a, NULL));
        assert_true(visited(r, b, NULL) == (days == 2));
        assert_true(visited(r, c, NULL) == (days == 2));
        planner_result_free(r);
    }
}

static void test_unreachable_and_single_day(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 1);
    int near = add_place(&w, 5, 1, 1, 1, 0);         /* always open */
    int late = add_place(&w, 50, 50, 0, 0, 1);       /* window over on arrival */
    add_place(&w, 0, 0, 0, 1, 0);                    /* filler at location 3 */
    int gone = add_place(&w, 0, 99, 0, 1, 0);        /* location 4 ... */
    w.places[gone].loc = 9;                          /* ... moved off the map */
    planner_result_t *r = solve_ok(&w.req);
    assert_true(visited(r, near, NULL));
    assert_false(visited(r, late, NULL));
    assert_false(visited(r, gone, NULL));
    assert_int_equal(r->n_days, 1);
    assert_true(r->total_score == 1);
    planner_result_free(r);
}

static void test_zero_budget(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 1);
    int free_p = add_place(&w, 5, 1, 0, 1, 0);
    int paid = add_place(&w, 6, 50, 0, 1, 0);
    w.places[paid].cost = 1500;
    w.req.budget = 0;
    planner_result_t *r = solve_ok(&w.req);
    assert_true(visited(r, free_p, NULL));
    assert_false(visited(r, paid, NULL));
    assert_true(r->total_cost == 0);
    planner_result_free(r);
    w.req.budget = 1500;                             /* now affordable */
    r = solve_ok(&w.req);
    assert_true(visited(r, paid, NULL) && r->total_cost == 1500);
    planner_result_free(r);
}

/* Mandatory M (score 1) excludes H (score 100): M must win. */
static void test_mandatory(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 1);
    int m = add_place(&w, 40, 1, 0, 40, 40);
    int h = add_place(&w, -40, 100, 0, 40, 45);
    w.places[m].mandatory = true;
    planner_result_t *r = solve_ok(&w.req);
    assert_true(visited(r, m, NULL));
    assert_false(visited(r, h, NULL));
    assert_true(r->constraints_met);
    assert_true(r->total_score == 1);
    planner_result_free(r);
    /* An impossible mandatory place: result returned, flagged, rejected. */
    w.places[h].mandatory = true;
    r = NULL;
    assert_int_equal(planner_solve(&w.req, &r), 0);
    assert_false(r->constraints_met);
    assert_int_equal(planner_check(&w.req, r, 1e-6, NULL), PLANNER_CHECK_EMANDATORY);
    planner_result_free(r);
}

static void test_meal_slot(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 2);
    add_place(&w, 10, 5, 10, 1, 0);
    add_place(&w, 20, 5, 10, 1, 0);
    int r1 = add_place(&w, 5, 0, 10, 1, 0);          /* restaurant, no score */
    int r2 = add_place(&w, 30, 1, 10, 0, 20);        /* restaurant, closes 20 */
    w.places[r1].tags = w.places[r2].tags = 1u << 3;
    w.meals[0] = (planner_meal_t){.day = 1, .from = 50, .to = 60, .tags = 1u << 3};
    w.req.meals = w.meals;
    w.req.n_meals = 1;
    planner_result_t *r = solve_ok(&w.req);
    assert_true(r->constraints_met);
    int day = -1, found = 0;
    assert_true(visited(r, r1, &day));
    assert_int_equal(day, 1);
    for (int k = 0; k < r->days[1].n_stops; k++) {
        const planner_stop_t *s = &r->days[1].stops[k];
        if (s->meal == 0) {
            found++;
            assert_int_equal(s->place, r1);
            assert_true(s->service_start >= 50 && s->service_start <= 60);
        }
    }
    assert_int_equal(found, 1);
    planner_result_free(r);
}

static void test_multiple_windows(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 2);
    int p = add_place(&w, 10, 3, 5, 0, 5);
    w.win[p][1] = (planner_window_t){.day = -1, .open = 30, .close = 40};
    w.places[p].n_windows = 2;
    int q = add_place(&w, 20, 3, 0, 1, 0);           /* only on day 1 */
    w.win[q][0] = (planner_window_t){.day = 1, .open = 0, .close = 100};
    w.places[q].windows = w.win[q];
    w.places[q].n_windows = 1;
    w.req.max_places_per_day = 1;
    planner_result_t *r = solve_ok(&w.req);
    int dq = -1, dp = -1;
    assert_true(visited(r, q, &dq) && dq == 1);
    assert_true(visited(r, p, &dp) && dp == 0);
    const planner_stop_t *s = &r->days[0].stops[0];
    assert_true(s->arrival == 10 && s->service_start == 30 && s->departure == 35);
    assert_true(r->days[0].end_arrival == 45);
    planner_result_free(r);
}

static void test_max_places_and_matrix(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 2);
    for (int i = 0; i < 5; i++)
        add_place(&w, 1 + i, 1 + i, 0, 1, 0);
    w.req.max_places_per_day = 2;
    planner_result_t *r = solve_ok(&w.req);
    assert_int_equal(r->days[0].n_stops, 2);
    assert_int_equal(r->days[1].n_stops, 2);
    assert_true(r->total_score == 5 + 4 + 3 + 2);
    /* Same request through a dense matrix gives the same plan. */
    double mx[100];
    for (int a = 0; a < 10; a++)
        for (int b = 0; b < 10; b++)
            mx[a * 10 + b] = line_travel(&w.line, a, b);
    planner_request_t q2 = w.req;
    q2.matrix = mx;
    q2.travel = NULL;
    planner_result_t *r2 = solve_ok(&q2);
    assert_true(r2->total_score == r->total_score);
    assert_int_equal(r2->n_unvisited, 1);
    planner_result_free(r);
    planner_result_free(r2);
}

/* ---- determinism, limits, cancel, progress ------------------------------- */

static void same_plan(const planner_result_t *a, const planner_result_t *b)
{
    assert_true(a->total_score == b->total_score);
    assert_int_equal(a->iterations, b->iterations);
    for (int d = 0; d < a->n_days; d++) {
        assert_int_equal(a->days[d].n_stops, b->days[d].n_stops);
        for (int k = 0; k < a->days[d].n_stops; k++) {
            assert_int_equal(a->days[d].stops[k].place, b->days[d].stops[k].place);
            assert_true(a->days[d].stops[k].service_start == b->days[d].stops[k].service_start);
        }
    }
}

static void test_determinism(void **state)
{
    (void)state;
    toptw_instance_t *in = read_instance("pr", "pr02");
    toptw_problem_t p;
    assert_int_equal(toptw_problem_build(in, 2, TOPTW_ROUND_DOWN, &p), 0);
    p.req.seed = 7;
    p.req.max_iterations = 1500;
    planner_result_t *a = solve_ok(&p.req), *b = solve_ok(&p.req);
    same_plan(a, b);
    planner_result_free(a);
    planner_result_free(b);
    toptw_problem_free(&p);
    toptw_free(in);
}

static void progress_cb(void *ctx, int pct, double best)
{
    int *calls = ctx;
    assert_true(pct >= 0 && pct <= 100 && best >= 0);
    (*calls)++;
}

static void test_limits_cancel_progress(void **state)
{
    (void)state;
    toptw_instance_t *in = read_instance("pr", "pr10");
    toptw_problem_t p;
    assert_int_equal(toptw_problem_build(in, 4, TOPTW_ROUND_DOWN, &p), 0);
    p.req.max_iterations = INT64_C(1) << 40;         /* only the clock stops it */
    p.req.time_limit_ms = 1;
    planner_result_t *r = solve_ok(&p.req);
    assert_true(r->iterations < p.req.max_iterations);
    assert_true(r->total_score > 0);
    planner_result_free(r);
    atomic_int cancel = 1;
    p.req.cancel = &cancel;
    p.req.time_limit_ms = 0;
    r = solve_ok(&p.req);
    assert_true(r->canceled);
    assert_int_equal(r->iterations, 0);
    planner_result_free(r);
    int calls = 0;
    p.req.cancel = NULL;
    p.req.max_iterations = 200;
    p.req.progress = progress_cb;
    p.req.progress_ctx = &calls;
    r = solve_ok(&p.req);
    assert_true(calls > 0);
    planner_result_free(r);
    toptw_problem_free(&p);
    toptw_free(in);
}

/* ---- checker rejects broken solutions ------------------------------------ */

static void test_checker_rejects(void **state)
{
    (void)state;
    toptw_instance_t *in = read_instance("c_r_rc_100_100", "c101");
    toptw_problem_t p;
    assert_int_equal(toptw_problem_build(in, 2, TOPTW_ROUND_DOWN, &p), 0);
    p.req.max_iterations = 500;
    planner_result_t *r = solve_ok(&p.req);
    planner_day_plan_t *d0 = &r->days[0];
    assert_true(d0->n_stops >= 3 && r->days[1].n_stops >= 1);
    planner_stop_t *s = &d0->stops[1], saved = *s;
    const planner_request_t *q = &p.req;

    s->service_start = q->places[s->place].windows[0].close + 1;
    s->departure = s->service_start + q->places[s->place].duration;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), PLANNER_CHECK_EWINDOW);
    *s = saved;
    s->arrival -= 1;                                  /* faster than travel */
    s->wait_start = s->arrival;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), PLANNER_CHECK_ETIME);
    *s = saved;
    s->place = r->days[1].stops[0].place;             /* duplicate */
    s->id = r->days[1].stops[0].id;
    int rc = planner_check(q, r, 1e-6, NULL);
    assert_true(rc != 0);
    *s = saved;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), 0);

    r->total_score += 10;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), PLANNER_CHECK_ESCORE);
    r->total_score -= 10;
    double e = d0->end_arrival;
    d0->end_arrival = q->days[0].end + 1;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), PLANNER_CHECK_EDAY);
    d0->end_arrival = e;
    d0->n_stops--;                                    /* drop the last stop */
    assert_true(planner_check(q, r, 1e-6, NULL) != 0);
    d0->n_stops++;
    r->n_unvisited--;
    assert_int_equal(planner_check(q, r, 1e-6, NULL), PLANNER_CHECK_EUNVISITED);
    r->n_unvisited++;

    /* Budget and places-per-day limits checked on a copy of the request. */
    planner_request_t q2 = *q;
    planner_place_t *pl = malloc(sizeof(*pl) * (size_t)q->n_places);
    memcpy(pl, q->places, sizeof(*pl) * (size_t)q->n_places);
    pl[s->place].cost = 10;
    q2.places = pl;
    q2.budget = 5;
    assert_int_equal(planner_check(&q2, r, 1e-6, NULL), PLANNER_CHECK_ESCORE);
    r->total_cost = 10;
    assert_int_equal(planner_check(&q2, r, 1e-6, NULL), PLANNER_CHECK_EBUDGET);
    r->total_cost = 0;
    q2.places = q->places;
    q2.budget = -1;
    q2.max_places_per_day = 1;
    assert_int_equal(planner_check(&q2, r, 1e-6, NULL), PLANNER_CHECK_EMAXPLACES);
    free(pl);
    assert_int_equal(planner_check(q, r, 1e-6, NULL), 0);
    planner_result_free(r);
    toptw_problem_free(&p);
    toptw_free(in);
}

/* ---- input validation ---------------------------------------------------- */

static void test_invalid_input(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, 1);
    int a = add_place(&w, 5, 1, 1, 0, 10);
    planner_result_t *r = (planner_result_t *)&w;   /* must be reset to NULL */
    assert_int_equal(planner_solve(NULL, &r), PLANNER_EINVAL);
    assert_null(r);
    assert_int_equal(planner_solve(&w.req, NULL), PLANNER_EINVAL);
#define EXPECT(code)                                               \
    do {                                                           \
        r = NULL;                                                  \
        assert_int_equal(planner_solve(&w.req, &r), (code));       \
        assert_null(r);                                            \
    } while (0)
    w.places[a].duration = -1;
    EXPECT(PLANNER_ENEG);
    w.places[a].duration = 1;
    w.win[a][0].close = -5;
    EXPECT(PLANNER_EWINDOW);
    w.win[a][0].close = 10;
    w.places[a].score = NAN;
    EXPECT(PLANNER_ENAN);
    w.places[a].score = 1;
    w.places[a].loc = 10;
    EXPECT(PLANNER_ERANGE);
    w.places[a].loc = 1;
    w.win[a][0].day = 3;
    EXPECT(PLANNER_ERANGE);
    w.win[a][0].day = -1;
    w.req.n_days = 0;
    EXPECT(PLANNER_ENODAYS);
    w.req.n_days = 1;
    w.days[0].end = -1;
    EXPECT(PLANNER_EWINDOW);
    w.days[0].end = INFINITY;
    EXPECT(PLANNER_ENAN);
    w.days[0].end = 100;
    w.req.travel = NULL;
    EXPECT(PLANNER_ENOTRAVEL);
    double mx[100] = {0};
    mx[1] = NAN;
    w.req.matrix = mx;
    EXPECT(PLANNER_ENAN);
    mx[1] = -3;
    EXPECT(PLANNER_ENEG);
    mx[1] = 5;
    w.req.n_places = PLANNER_MAX_PLACES + 1;
    EXPECT(PLANNER_ETOOBIG);
    w.req.n_places = 1;
    w.places[a].cost = INT64_MAX;
    EXPECT(PLANNER_ETOOBIG);
    w.places[a].cost = 0;
    w.places[a].score = 1e300;
    EXPECT(PLANNER_ETOOBIG);
    w.places[a].score = 1;
    w.req.n_places = 1;
    w.req.n_meals = 1;                               /* meals == NULL */
    EXPECT(PLANNER_EINVAL);
    w.req.n_meals = 0;
    r = solve_ok(&w.req);                            /* now valid */
    planner_result_free(r);
    assert_string_equal(planner_strerror(PLANNER_ENAN), "NaN or infinite number");
#undef EXPECT
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_reader_malformed),
        cmocka_unit_test(test_real_instances),
        cmocka_unit_test(test_tight_windows),
        cmocka_unit_test(test_unreachable_and_single_day),
        cmocka_unit_test(test_zero_budget),
        cmocka_unit_test(test_mandatory),
        cmocka_unit_test(test_meal_slot),
        cmocka_unit_test(test_multiple_windows),
        cmocka_unit_test(test_max_places_and_matrix),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_limits_cancel_progress),
        cmocka_unit_test(test_checker_rejects),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

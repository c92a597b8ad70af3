/* planner/bench.c -- TOPTW benchmark driver; see bench.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/bench.h"
#include "planner/checker.h"
#include "planner/planner.h"
#include "planner/toptw_io.h"

#define BENCH_MAX_ROWS 1000

static const char *const SETS[] = {"c_r_rc_100_100", "c_r_rc_200_100", "pr"};
#define N_SETS 3

typedef struct row {
    char name[64];
    int m, set;
    double bks, score, gap, ms, cpu_ms;
    bool limit_hit;
    int check;
} row_t;

typedef struct opts {
    const char *dir, *out, *only;
    uint64_t seed;
    int64_t time_limit_ms, iterations;
} opts_t;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int usage(void)
{
    fprintf(stderr, "usage: travloc bench-planner DIR [--seed N] [--time-limit-ms MS] "
                    "[--iterations N] [--out DIR] [--only NAME]\n");
    return 2;
}

static int parse_int(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < 0)
        return -1;
    *v = x;
    return 0;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.seed = 1, .time_limit_ms = 60000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int64_t v;
        bool has = i + 1 < argc;
        if (strcmp(a, "--seed") == 0 && has && parse_int(argv[i + 1], &v) == 0)
            o->seed = (uint64_t)v, i++;
        else if (strcmp(a, "--time-limit-ms") == 0 && has && parse_int(argv[i + 1], &v) == 0)
            o->time_limit_ms = v, i++;
        else if (strcmp(a, "--iterations") == 0 && has && parse_int(argv[i + 1], &v) == 0)
            o->iterations = v, i++;
        else if (strcmp(a, "--out") == 0 && has)
            o->out = argv[++i];
        else if (strcmp(a, "--only") == 0 && has)
            o->only = argv[++i];
        else if (a[0] != '-' && !o->dir)
            o->dir = a;
        else
            return -1;
    }
    return o->dir ? 0 : -1;
}

/* Read bks.csv rows (instance,m,bks,source) matching --only. */
static int read_bks(const opts_t *o, row_t *rows)
{
    char path[4096], line[1024];
    snprintf(path, sizeof(path), "%s/bks.csv", o->dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench-planner: cannot open %s\n", path);
        return -1;
    }
    int n = 0;
    while (fgets(line, sizeof(line), f) && n < BENCH_MAX_ROWS) {
        row_t r = {0};
        char name[64];
        if (sscanf(line, "%63[^,],%d,%lf", name, &r.m, &r.bks) != 3 || r.m < 1)
            continue;                   /* header or junk */
        if (o->only && strcmp(o->only, name) != 0)
            continue;
        snprintf(r.name, sizeof(r.name), "%s", name);
        rows[n++] = r;
    }
    fclose(f);
    return n;
}

static toptw_instance_t *load(const opts_t *o, const char *name, int *set)
{
    char path[4096];
    for (int s = 0; s < N_SETS; s++) {
        snprintf(path, sizeof(path), "%s/%s/%s.txt", o->dir, SETS[s], name);
        toptw_instance_t *in;
        if (toptw_read(path, &in) == 0) {
            *set = s;
            return in;
        }
    }
    return NULL;
}

static void write_solution(const opts_t *o, const row_t *r, const planner_result_t *res)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s_m%d.json", o->out, r->name, r->m);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench-planner: cannot write %s\n", path);
        return;
    }
    fprintf(f, "{\"instance\":\"%s\",\"m\":%d,\"seed\":%llu,\"score\":%.10g,\"bks\":%.10g,"
               "\"iterations\":%lld,\"timeMs\":%.1f,\"check\":%d,\"routes\":[",
            r->name, r->m, (unsigned long long)o->seed, res->total_score, r->bks,
            (long long)res->iterations, r->ms, r->check);
    for (int d = 0; d < res->n_days; d++) {
        const planner_day_plan_t *dp = &res->days[d];
        fprintf(f, "%s{\"start\":%.4f,\"end\":%.4f,\"stops\":[", d ? "," : "", dp->start,
                dp->end_arrival);
        for (int k = 0; k < dp->n_stops; k++) {
            const planner_stop_t *s = &dp->stops[k];
            fprintf(f, "%s{\"id\":%lld,\"arrival\":%.4f,\"start\":%.4f,\"departure\":%.4f}",
                    k ? "," : "", (long long)s->id, s->arrival, s->service_start, s->departure);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n");
    fclose(f);
}

static int run_row(const opts_t *o, const toptw_instance_t *in, row_t *r)
{
    toptw_problem_t p;
    if (toptw_problem_build(in, r->m, TOPTW_ROUND_DOWN, &p))
        return -1;
    p.req.seed = o->seed;
    p.req.time_limit_ms = o->time_limit_ms;
    p.req.max_iterations = o->iterations;
    planner_result_t *res = NULL;
    double t0 = now_ms(), c0 = cpu_ms();
    int rc = planner_solve(&p.req, &res);
    r->ms = now_ms() - t0;
    r->cpu_ms = cpu_ms() - c0;
    if (rc) {
        fprintf(stderr, "bench-planner: %s m=%d: %s\n", r->name, r->m, planner_strerror(rc));
        toptw_problem_free(&p);
        return -1;
    }
    planner_check_report_t rep;
    r->check = planner_check(&p.req, res, 1e-6, &rep);
    if (r->check)
        fprintf(stderr, "bench-planner: %s m=%d FAILS CHECK: %s (day %d stop %d)\n", r->name,
                r->m, rep.msg, rep.day, rep.stop);
    r->score = res->total_score;
    r->limit_hit = res->time_limit_hit;
    r->gap = r->bks > 0 ? 100.0 * (r->bks - r->score) / r->bks : 0;
    if (o->out)
        write_solution(o, r, res);
    planner_result_free(res);
    toptw_problem_free(&p);
    return 0;
}

static void print_table(const row_t *rows, int n, int set)
{
    printf("\n### %s\n\n| instance | m | bks | score | gap %% | time ms | cpu ms | note |\n"
           "|---|---:|---:|---:|---:|---:|---:|---|\n", SETS[set]);
    double g = 0, t = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        if (r->set != set)
            continue;
        printf("| %s | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %s%s%s |\n", r->name, r->m, r->bks,
               r->score, r->gap, r->ms, r->cpu_ms, r->score > r->bks + 1e-9 ? "ABOVE BKS " : "",
               r->limit_hit ? "TIME LIMIT " : "", r->check ? "CHECK FAILED" : "");
        g += r->gap;
        t += r->ms;
        k++;
    }
    if (k)
        printf("\n%s: %d rows, average gap %.3f %%, mean time %.0f ms\n", SETS[set], k, g / k, t / k);
}

static void print_totals(const row_t *rows, int n)
{
    double g = 0, gmax = 0, t = 0, tmax = 0, c = 0;
    int matched = 0, beaten = 0, failed = 0, limit = 0;
    for (int i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        g += r->gap;
        t += r->ms;
        c += r->cpu_ms;
        limit += r->limit_hit;
        if (r->gap > gmax)
            gmax = r->gap;
        if (r->ms > tmax)
            tmax = r->ms;
        matched += fabs(r->score - r->bks) < 1e-9;
        beaten += r->score > r->bks + 1e-9;
        failed += r->check != 0;
    }
    if (n == 0)
        return;
    printf("\n## Totals\n\nrows %d, average gap %.3f %%, max gap %.3f %%, mean time %.0f ms, "
           "max time %.0f ms, mean cpu %.0f ms, BKS matched %d, BKS beaten %d, "
           "time limit hit %d, checker failures %d\n",
           n, g / n, gmax, t / n, tmax, c / n, matched, beaten, limit, failed);
}

int planner_bench_main(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, &o))
        return usage();
    row_t *rows = calloc(BENCH_MAX_ROWS, sizeof(row_t));
    if (!rows)
        return 2;
    int n = read_bks(&o, rows), bad = 0;
    if (n <= 0) {
        free(rows);
        fprintf(stderr, "bench-planner: no rows to run\n");
        return 2;
    }
    toptw_instance_t *in = NULL;
    for (int i = 0; i < n; i++) {
        if (!in || strcmp(in->name, rows[i].name) != 0) {
            toptw_free(in);
            in = load(&o, rows[i].name, &rows[i].set);
            if (!in) {
                fprintf(stderr, "bench-planner: cannot read instance %s\n", rows[i].name);
                bad = 1;
                rows[i].check = -1;
                continue;
            }
        } else {
            rows[i].set = rows[i - 1].set;
        }
        if (run_row(&o, in, &rows[i]))
            rows[i].check = -1, bad = 1;
        fprintf(stderr, "%s m=%d bks=%.0f score=%.0f gap=%.2f%% %.0f ms\n", rows[i].name, rows[i].m,
                rows[i].bks, rows[i].score, rows[i].gap, rows[i].ms);
    }
    toptw_free(in);
    for (int s = 0; s < N_SETS; s++)
        print_table(rows, n, s);
    print_totals(rows, n);
    for (int i = 0; i < n; i++)
        bad |= rows[i].check != 0;
    free(rows);
    return bad ? 1 : 0;
}

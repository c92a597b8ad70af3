/* planner/toptw_io.c -- TOPTW instance reader and request builder.
 *
 * The files have CRLF or LF endings, leading spaces, trailing spaces, blank
 * lines and sometimes no final newline; vertex lines have a variable number
 * of tokens (a list of `a` entries).  We read line by line, skip blank
 * lines, and parse numbers with strtod, checking every token.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/toptw_io.h"

#define TOPTW_MAX_N 100000

/* Parse up to `max` numbers from `line` into v; returns the count or -1 on
 * a token that is not a number. */
static int parse_numbers(const char *line, double *v, int max)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            return n;
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x))
            return -1;
        if (n < max)
            v[n] = x;
        n++;
        p = end;
    }
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

void toptw_free(toptw_instance_t *in)
{
    if (!in)
        return;
    free(in->x);
    free(in->y);
    free(in->dur);
    free(in->score);
    free(in->open);
    free(in->close);
    free(in);
}

static void set_name(toptw_instance_t *in, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(in->name, sizeof(in->name), "%s", b);
    char *dot = strrchr(in->name, '.');
    if (dot && strcmp(dot, ".txt") == 0)
        *dot = 0;
    in->decimals = strncmp(in->name, "pr", 2) == 0 ? 2 : 1;
}

static int alloc_arrays(toptw_instance_t *in)
{
    size_t k = (size_t)in->n + 1;
    in->x = malloc(sizeof(double) * k);
    in->y = malloc(sizeof(double) * k);
    in->dur = malloc(sizeof(double) * k);
    in->score = malloc(sizeof(double) * k);
    in->open = malloc(sizeof(double) * k);
    in->close = malloc(sizeof(double) * k);
    return in->x && in->y && in->dur && in->score && in->open && in->close
               ? 0
               : TOPTW_ENOMEM;
}

/* Vertex line: i x y d S f a l_1..l_a O C */
static int parse_vertex(toptw_instance_t *in, int expect, const char *line)
{
    double v[64];
    int n = parse_numbers(line, v, 64);
    if (n < 9 || n > 64 || v[0] != expect)
        return TOPTW_EFORMAT;
    int a = (int)v[6];
    if (v[6] != a || a < 0 || n != 7 + a + 2)
        return TOPTW_EFORMAT;
    in->x[expect] = v[1];
    in->y[expect] = v[2];
    in->dur[expect] = v[3];
    in->score[expect] = v[4];
    in->open[expect] = v[7 + a];
    in->close[expect] = v[8 + a];
    if (v[3] < 0 || v[4] < 0 || v[8 + a] < v[7 + a])
        return TOPTW_EFORMAT;
    return 0;
}

static int read_lines(FILE *f, toptw_instance_t *in)
{
    char line[4096];
    int state = 0, vert = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        if (blank(line))
            continue;
        if (state == 0) {
            double h[8];
            int n = parse_numbers(line, h, 8);
            if (n != 4 || h[2] < 1 || h[2] > TOPTW_MAX_N)
                return TOPTW_EFORMAT;
            in->v = (int)h[1];
            in->n = (int)h[2];
            if ((rc = alloc_arrays(in)))
                return rc;
            state = 1;
        } else if (state == 1) {
            state = 2;                   /* "D Q": not relevant */
        } else if (vert <= in->n) {
            rc = parse_vertex(in, vert, line);
            vert++;
        } else {
            return TOPTW_EFORMAT;       /* extra non-blank line */
        }
    }
    if (rc)
        return rc;
    return state == 2 && vert == in->n + 1 ? 0 : TOPTW_EFORMAT;
}

int toptw_read(const char *path, toptw_instance_t **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return TOPTW_EIO;
    toptw_instance_t *in = calloc(1, sizeof(*in));
    if (!in) {
        fclose(f);
        return TOPTW_ENOMEM;
    }
    set_name(in, path);
    int rc = read_lines(f, in);
    if (rc == 0 && ferror(f))
        rc = TOPTW_EIO;
    fclose(f);
    if (rc) {
        toptw_free(in);
        return rc;
    }
    *out = in;
    return 0;
}

double toptw_dist(const toptw_instance_t *in, int i, int j, toptw_rounding_t mode)
{
    double dx = in->x[i] - in->x[j], dy = in->y[i] - in->y[j];
    double e = sqrt(dx * dx + dy * dy);
    double sc = in->decimals == 2 ? 100.0 : 10.0;
    switch (mode) {
    case TOPTW_ROUND_DOWN: return floor(e * sc + 1e-9) / sc;
    case TOPTW_ROUND_NEAREST: return floor(e * sc + 0.5) / sc;
    case TOPTW_ROUND_UP: return ceil(e * sc - 1e-9) / sc;
    default: return e;
    }
}

void toptw_problem_free(toptw_problem_t *p)
{
    free(p->places);
    free(p->windows);
    free(p->days);
    free(p->matrix);
    memset(p, 0, sizeof(*p));
}

int toptw_problem_build(const toptw_instance_t *in, int m, toptw_rounding_t mode,
                        toptw_problem_t *p)
{
    memset(p, 0, sizeof(*p));
    if (m < 1 || m > PLANNER_MAX_DAYS)
        return TOPTW_EFORMAT;
    int n = in->n, L = n + 1;
    p->places = calloc((size_t)n, sizeof(planner_place_t));
    p->windows = calloc((size_t)n, sizeof(planner_window_t));
    p->days = calloc((size_t)m, sizeof(planner_day_t));
    p->matrix = malloc(sizeof(double) * (size_t)L * (size_t)L);
    if (!p->places || !p->windows || !p->days || !p->matrix) {
        toptw_problem_free(p);
        return TOPTW_ENOMEM;
    }
    for (int i = 0; i < L; i++)
        for (int j = 0; j < L; j++)
            p->matrix[(size_t)i * L + j] = i == j ? 0 : toptw_dist(in, i, j, mode);
    for (int i = 1; i <= n; i++) {
        planner_window_t *w = &p->windows[i - 1];
        *w = (planner_window_t){.day = -1, .open = in->open[i], .close = in->close[i]};
        p->places[i - 1] = (planner_place_t){
            .id = i, .loc = i, .score = in->score[i], .duration = in->dur[i],
            .windows = w, .n_windows = 1};
    }
    for (int d = 0; d < m; d++)
        p->days[d] = (planner_day_t){.start = in->open[0], .end = in->close[0]};
    p->req = (planner_request_t){
        .places = p->places, .n_places = n, .days = p->days, .n_days = m,
        .n_locations = L, .matrix = p->matrix, .budget = -1};
    return 0;
}

/* planner/toptw_io.h -- reader for the standard TOPTW benchmark files.
 *
 * Reads one instance file (Solomon c/r/rc or Cordeau pr, format in
 * data/toptw/TOPTW_format.txt and SOURCE.md) into a toptw_instance_t, and
 * turns an instance plus a number of tours m into a planner_request_t with a
 * dense travel matrix (Euclidean distance rounded DOWN to 1 decimal for the
 * Solomon files and 2 decimals for the Cordeau files, as the published best
 * scores assume; other modes are available).  This is the only planner file
 * that does file I/O.
 *
 * Ownership: toptw_read() returns an instance the caller frees with
 * toptw_free(); toptw_problem_build() fills a toptw_problem_t whose arrays
 * (and the request pointing into them) the caller frees with
 * toptw_problem_free().  Vertex 0 is the depot; place i-1 is vertex i and
 * carries id = i, location = i.
 */
#ifndef TRAVLOC_TOPTW_IO_H
#define TRAVLOC_TOPTW_IO_H

#include "planner/planner.h"

enum {
    TOPTW_EIO = -101,     /* cannot open/read the file */
    TOPTW_EFORMAT = -102, /* malformed content */
    TOPTW_ENOMEM = -103,
};

typedef enum {
    TOPTW_ROUND_DOWN = 0, /* truncate (the benchmark convention) */
    TOPTW_ROUND_NEAREST,
    TOPTW_ROUND_UP,
    TOPTW_ROUND_NONE,     /* exact Euclidean distance */
} toptw_rounding_t;

typedef struct toptw_instance {
    char name[64];        /* file name without directory and ".txt" */
    int n;                /* customers; arrays have n + 1 entries */
    int v;                /* tours that can visit every customer */
    double *x, *y, *dur, *score, *open, *close;
    int decimals;         /* distance precision: 2 for pr*, else 1 */
} toptw_instance_t;

/* Read `path`.  Returns 0 and *out, or TOPTW_E*. */
int toptw_read(const char *path, toptw_instance_t **out);
void toptw_free(toptw_instance_t *in);

/* Travel distance i -> j under `mode` at the instance's precision. */
double toptw_dist(const toptw_instance_t *in, int i, int j, toptw_rounding_t mode);

typedef struct toptw_problem {
    planner_request_t req;      /* points into the arrays below */
    planner_place_t *places;
    planner_window_t *windows;
    planner_day_t *days;
    double *matrix;
} toptw_problem_t;

/* Build a request for `m` tours (days 0..m-1, each [0, Tmax] from and to
 * the depot).  Seed, limits and callbacks are left zero for the caller.
 * Returns 0 or TOPTW_ENOMEM / TOPTW_EFORMAT (m < 1). */
int toptw_problem_build(const toptw_instance_t *in, int m, toptw_rounding_t mode,
                        toptw_problem_t *p);
void toptw_problem_free(toptw_problem_t *p);

#endif /* TRAVLOC_TOPTW_IO_H */

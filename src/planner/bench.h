/* planner/bench.h -- `travloc bench-planner`: the TOPTW benchmark driver.
 *
 * planner_bench_main(argc, argv) with argv[0] = the sub-command name and
 *   DIR [--seed N] [--time-limit-ms MS] [--iterations N] [--out DIR] [--only NAME]
 * solves every (instance, m) row of DIR/bks.csv (instance files in
 * DIR/c_r_rc_100_100, DIR/c_r_rc_200_100 and DIR/pr), verifies each result
 * with planner_check(), prints one markdown table per instance set (instance,
 * m, BKS, score, gap %, time ms) and totals, flags scores above the BKS, and
 * writes each solution as DIR_OUT/<instance>_m<m>.json when --out is given.
 * Returns 0 if every solution passed the checker, 1 if one did not, 2 on
 * usage or input errors.  Prints to stdout (tables) and stderr (errors).
 */
#ifndef TRAVLOC_PLANNER_BENCH_H
#define TRAVLOC_PLANNER_BENCH_H

int planner_bench_main(int argc, char **argv);

#endif /* TRAVLOC_PLANNER_BENCH_H */

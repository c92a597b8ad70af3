-- Job queue throughput (issue 5). Every change of a job's state is a
-- non-HOT update (state is in the partial indexes' predicates), so each
-- one writes a new entry into every index whose predicate the new row
-- meets. jobs_by_state (state, queue, id) took one on enqueue, claim and
-- completion alike, ~15 % of the WAL per job, for admin lists only; the
-- states it served have their own partial indexes (pending: jobs_pending,
-- active: jobs_active, completed: jobs_completed) and the rare end states
-- get jobs_ended.
DROP INDEX IF EXISTS jobs_by_state;
CREATE INDEX jobs_ended ON jobs (queue, state, id) WHERE state IN ('failed', 'cancelled');

-- fillfactor: free room on each page so a claim and a completion can put
-- the row's new version on the same page (a smaller WAL record, one page
-- touched). Autovacuum: the worker vacuums the table itself while busy
-- (src/queue/worker_claim.c); these make autovacuum's own passes, between
-- bursts, start sooner and run unthrottled on this hot, small-row table.
ALTER TABLE jobs SET (fillfactor = 70,
                      autovacuum_vacuum_scale_factor = 0.02,
                      autovacuum_vacuum_threshold = 2000,
                      autovacuum_vacuum_insert_scale_factor = 0.05,
                      autovacuum_vacuum_cost_delay = 0,
                      autovacuum_analyze_scale_factor = 0.05);

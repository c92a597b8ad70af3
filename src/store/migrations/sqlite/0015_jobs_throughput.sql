-- Job queue throughput (issue 5): the PostgreSQL side drops jobs_by_state
-- and tunes the table's storage (fillfactor, autovacuum). SQLite keeps its
-- indexes (its planner has no statistics to pick partial indexes by itself
-- and already clears the throughput bar), so nothing changes here.
SELECT 1;

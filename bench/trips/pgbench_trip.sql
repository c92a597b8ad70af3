-- The statement GET /v1/trips/:id runs on PostgreSQL per request when its
-- rendered representation is cached (the steady state): ONE statement,
-- src/api/trips_read.c check_late_sql - the auth stage's session check
-- (sessions JOIN users, deferred to the handler: ROUTE_SESSION_LATE) plus
-- the caller's role on the trip, the trip's version (ETag) and its change
-- mark (max changes.seq). pgbench_trip_full.sql is the uncached read.
-- bench_trip_ids (filled by run.sh from the seed) maps 1..N to the seeded
-- trips, their owners and sessions; the lookups are primary-key
-- subselects inside the statement.
\set n random(1, 200)
SELECT u.role, u.status, s.last_used_at, b.role, t.version,
       (SELECT max(c.seq) FROM changes c WHERE c.trip_id = t.id)
  FROM sessions s JOIN users u ON u.id = s.user_id
  LEFT JOIN trip_buddies b ON b.trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
       AND b.user_id = s.user_id AND b.state = 'accepted' AND b.deleted_at IS NULL
  LEFT JOIN trips t ON t.id = b.trip_id AND t.deleted_at IS NULL
 WHERE s.id = (SELECT session_id FROM bench_trip_ids WHERE n = :n)
   AND s.user_id = (SELECT user_id FROM bench_trip_ids WHERE n = :n) AND s.revoked_at IS NULL;

-- The statements GET /v1/trips/:id runs on PostgreSQL, for pgbench: the
-- session check of the auth stage (src/http/middleware.c), then the one
-- statement of src/api/trips_read.c: the trip with the caller's role, its
-- destinations and its activities (UNION ALL, one round trip). bench_trip_ids (filled by run.sh from the
-- seed) maps 1..N to the seeded trips, their owners and sessions; the
-- lookups are primary-key subselects inside each statement.
\set n random(1, 200)
SELECT u.role, u.status, s.last_used_at FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.id = (SELECT session_id FROM bench_trip_ids WHERE n = :n)
   AND s.user_id = (SELECT user_id FROM bench_trip_ids WHERE n = :n) AND s.revoked_at IS NULL;
SELECT 0 AS k, NULL AS sk_t, CAST(NULL AS BIGINT) AS sk_i, t.id, t.owner_id, t.title,
       t.description, t.start_date, t.end_date, t.status, CAST(t.budget AS TEXT), t.currency,
       CAST(t.is_public AS TEXT), t.share_id, CAST(t.preferences AS TEXT), t.notes,
       CAST(t.version AS TEXT), CAST(t.created_at AS TEXT), CAST(t.updated_at AS TEXT),
       CAST(t.client_ts AS TEXT), t.client_tag, b.role
  FROM trips t JOIN trip_buddies b ON b.trip_id = t.id
 WHERE t.id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND b.user_id = (SELECT user_id FROM bench_trip_ids WHERE n = :n)
   AND b.state = 'accepted' AND b.deleted_at IS NULL AND t.deleted_at IS NULL
UNION ALL
SELECT 1, COALESCE(arrival, ''), NULL, id, trip_id, name, type, arrival, departure,
       CAST(lat AS TEXT), CAST(lng AS TEXT), address, notes, CAST(version AS TEXT),
       CAST(created_at AS TEXT), CAST(updated_at AS TEXT), NULL, NULL, NULL, NULL, NULL, NULL
  FROM destinations WHERE trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND deleted_at IS NULL
UNION ALL
SELECT 2, NULL, COALESCE(start_at, -1), id, trip_id, destination_id, name, type,
       CAST(start_at AS TEXT), CAST(end_at AS TEXT), CAST(cost AS TEXT), currency, status,
       notes, CAST(version AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT),
       NULL, NULL, NULL, NULL, NULL
  FROM activities WHERE trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND deleted_at IS NULL
 ORDER BY 1, 2, 3, 4;

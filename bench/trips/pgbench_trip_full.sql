-- The statements GET /v1/trips/:id runs on PostgreSQL when its rendered
-- representation is NOT cached (first read of a trip on a loop thread, or
-- after any change to it): the per-request statement of pgbench_trip.sql,
-- then the full read of src/api/trips_read.c (read_sql_pg: the trip with
-- the caller's role and change mark, its destinations and its activities,
-- UNION ALL, one round trip). Same bench_trip_ids lookups.
\set n random(1, 200)
SELECT u.role, u.status, s.last_used_at, b.role, t.version,
       (SELECT max(c.seq) FROM changes c WHERE c.trip_id = t.id)
  FROM sessions s JOIN users u ON u.id = s.user_id
  LEFT JOIN trip_buddies b ON b.trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
       AND b.user_id = s.user_id AND b.state = 'accepted' AND b.deleted_at IS NULL
  LEFT JOIN trips t ON t.id = b.trip_id AND t.deleted_at IS NULL
 WHERE s.id = (SELECT session_id FROM bench_trip_ids WHERE n = :n)
   AND s.user_id = (SELECT user_id FROM bench_trip_ids WHERE n = :n) AND s.revoked_at IS NULL;
SELECT 0 AS k, NULL AS sk_t, CAST(NULL AS BIGINT) AS sk_i, t.id, t.owner_id, t.title,
       t.description, t.start_date, t.end_date, t.status, CAST(t.budget AS TEXT), t.currency,
       CAST(t.is_public AS TEXT), t.share_id, CAST(t.preferences AS TEXT), t.notes,
       CAST(t.version AS TEXT), CAST(t.created_at AS TEXT), CAST(t.updated_at AS TEXT),
       CAST(t.client_ts AS TEXT), t.client_tag, b.role,
       CAST((SELECT max(c.seq) FROM changes c WHERE c.trip_id = t.id) AS TEXT)
  FROM trips t JOIN trip_buddies b ON b.trip_id = t.id
 WHERE t.id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND b.user_id = (SELECT user_id FROM bench_trip_ids WHERE n = :n)
   AND b.state = 'accepted' AND b.deleted_at IS NULL AND t.deleted_at IS NULL
UNION ALL
SELECT 1, COALESCE(arrival, ''), NULL, id, trip_id, name, type, arrival, departure,
       CAST(lat AS TEXT), CAST(lng AS TEXT), address, notes, CAST(version AS TEXT),
       CAST(created_at AS TEXT), CAST(updated_at AS TEXT), NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM destinations WHERE trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND deleted_at IS NULL
UNION ALL
SELECT 2, NULL, COALESCE(start_at, -1), id, trip_id, destination_id, name, type,
       CAST(start_at AS TEXT), CAST(end_at AS TEXT), CAST(cost AS TEXT), currency, status,
       notes, CAST(version AS TEXT), CAST(created_at AS TEXT), CAST(updated_at AS TEXT),
       NULL, NULL, NULL, NULL, NULL, NULL
  FROM activities WHERE trip_id = (SELECT trip_id FROM bench_trip_ids WHERE n = :n)
   AND deleted_at IS NULL
 ORDER BY 1, 2, 3, 4;

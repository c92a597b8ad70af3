-- Issue 7: the itinerary generator's links from generated activities to
-- places (planner_stops: which job wrote which activity for which place,
-- and why), and local events imported from iCalendar feeds (events).
CREATE TABLE planner_stops (
    job_id TEXT NOT NULL,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    place_id TEXT NOT NULL,
    day TEXT NOT NULL,                      -- 'YYYY-MM-DD'
    reasons TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
    created_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, activity_id)
);
CREATE INDEX planner_stops_trip ON planner_stops (trip_id);
CREATE INDEX planner_stops_activity ON planner_stops (activity_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,                    -- UUIDv7
    source TEXT NOT NULL,                   -- feed file name
    uid TEXT NOT NULL,                      -- iCalendar UID
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    url TEXT,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    starts_at BIGINT NOT NULL,              -- Unix ms
    ends_at BIGINT NOT NULL,
    all_day INTEGER NOT NULL DEFAULT 0,
    categories TEXT NOT NULL DEFAULT '[]',  -- JSON array
    updated_at BIGINT NOT NULL,
    UNIQUE (source, uid)
);
CREATE INDEX events_time ON events (starts_at, id);
CREATE INDEX events_pos ON events (lat, lng);

-- Trips (issue 4): trips, buddies, destinations, activities, day plans,
-- packing items, budget lines, expenses and their splits; the sync change
-- log; Idempotency-Key records; sync bookkeeping. Every entity row has
-- version, created_at, updated_at and a deleted_at tombstone. Dates are
-- 'YYYY-MM-DD' text, times Unix milliseconds, money integer minor units.
CREATE TABLE trips (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'PLANNING'
        CHECK (status IN ('PLANNING', 'ACTIVE', 'COMPLETED', 'CANCELLED')),
    budget BIGINT,
    currency TEXT,
    is_public INTEGER NOT NULL DEFAULT 0,
    share_id TEXT NOT NULL UNIQUE,
    preferences TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    client_ts BIGINT NOT NULL DEFAULT 0,     -- clientTimestamp of the last write (LWW)
    client_tag TEXT NOT NULL DEFAULT '',     -- tie-breaker of that write
    itinerary_version BIGINT NOT NULL DEFAULT 0, -- versions of the lists PUT whole
    packing_version BIGINT NOT NULL DEFAULT 0,
    budget_version BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX trips_owner_start ON trips (owner_id, start_date, id);

-- Text search: search_text (title, description, destination names) under
-- the 'simple' configuration, which like FTS5's unicode61 only lower-cases.
CREATE INDEX trips_search ON trips USING gin (to_tsvector('simple', search_text));

CREATE TABLE trip_buddies (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'declined')),
    invited_by TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX trip_buddies_trip ON trip_buddies (trip_id);
CREATE INDEX trip_buddies_user ON trip_buddies (user_id, state);
CREATE INDEX trip_buddies_email ON trip_buddies (email);

CREATE TABLE destinations (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'city',
    arrival TEXT,
    departure TEXT,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    address TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX destinations_trip ON destinations (trip_id, arrival);

CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    destination_id TEXT REFERENCES destinations (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'other',
    start_at BIGINT,
    end_at BIGINT,
    cost BIGINT,
    currency TEXT,
    status TEXT NOT NULL DEFAULT 'PLANNED'
        CHECK (status IN ('PLANNED', 'CONFIRMED', 'COMPLETED', 'CANCELLED')),
    notes TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX activities_trip ON activities (trip_id, start_at);

CREATE TABLE day_plans (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    activity_ids TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX day_plans_trip ON day_plans (trip_id, day);

CREATE TABLE packing_items (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'other',
    quantity INTEGER NOT NULL DEFAULT 1,
    packed INTEGER NOT NULL DEFAULT 0,
    assignee_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX packing_items_trip ON packing_items (trip_id, position);

CREATE TABLE budget_lines (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX budget_lines_trip ON budget_lines (trip_id);

CREATE TABLE expenses (
    id TEXT PRIMARY KEY,
    trip_id TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    category TEXT NOT NULL DEFAULT 'other',
    description TEXT NOT NULL DEFAULT '',
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    paid_by TEXT NOT NULL,
    spent_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX expenses_trip ON expenses (trip_id, spent_at, id);

CREATE TABLE expense_splits (
    expense_id TEXT NOT NULL REFERENCES expenses (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (expense_id, user_id)
);

-- The sync change log: one row per create/update/delete, written in the
-- same transaction as the change. seq is the pull cursor; writers take a
-- transaction-scoped advisory lock before taking a seq, so seqs become
-- visible in order (see src/trips/changes.c).
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    trip_id TEXT,
    user_id TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    version BIGINT NOT NULL,
    data TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX changes_trip ON changes (trip_id, seq);
CREATE INDEX changes_user ON changes (user_id, seq);
CREATE INDEX changes_entity ON changes (entity_id, version);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,     -- 0 while the first request runs
    headers TEXT NOT NULL DEFAULT '',
    content_type TEXT,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE sync_mutations (
    user_id TEXT NOT NULL,
    client_mutation_id TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_mutation_id)
);

CREATE TABLE sync_conflicts (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    client_mutation_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, entity, entity_id)
);

CREATE TABLE sync_devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    last_cursor BIGINT NOT NULL DEFAULT 0,
    last_pull_at BIGINT,
    last_push_at BIGINT,
    PRIMARY KEY (user_id, device_id)
);

-- Durable job queue (issue 5): jobs, per-queue settings, cron schedules.
-- States: waiting, delayed (run_at in the future), active (leased by a
-- worker until lease_until), completed, failed (dead letter), cancelled.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    priority INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled')),
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    stalls INTEGER NOT NULL DEFAULT 0,
    backoff_kind TEXT NOT NULL DEFAULT 'exponential' CHECK (backoff_kind IN ('fixed', 'exponential')),
    backoff_ms BIGINT NOT NULL DEFAULT 1000,
    timeout_ms BIGINT NOT NULL DEFAULT 0,
    dedupe_key TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    progress INTEGER NOT NULL DEFAULT 0,
    progress_message TEXT,
    result TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_pending ON jobs (queue, priority DESC, run_at, id) WHERE state IN ('waiting', 'delayed');
CREATE INDEX jobs_pending_any ON jobs (priority DESC, run_at, id) WHERE state IN ('waiting', 'delayed');
CREATE INDEX jobs_active ON jobs (queue, lease_until) WHERE state = 'active';
CREATE INDEX jobs_by_state ON jobs (state, queue, id);
CREATE INDEX jobs_completed ON jobs (queue, finished_at) WHERE state = 'completed';
CREATE UNIQUE INDEX jobs_dedupe ON jobs (queue, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('waiting', 'delayed', 'active');

CREATE TABLE job_queues (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    concurrency INTEGER NOT NULL DEFAULT 0,
    rate_max INTEGER NOT NULL DEFAULT 0,
    rate_interval_ms BIGINT NOT NULL DEFAULT 1000,
    rate_window BIGINT NOT NULL DEFAULT 0,
    rate_count INTEGER NOT NULL DEFAULT 0,
    keep_completed_ms BIGINT NOT NULL DEFAULT 86400000,
    keep_completed_count INTEGER NOT NULL DEFAULT 10000,
    updated_at BIGINT NOT NULL
);

CREATE TABLE job_schedules (
    name TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    cron TEXT NOT NULL,
    tz TEXT NOT NULL DEFAULT 'UTC',
    missed TEXT NOT NULL DEFAULT 'run_once' CHECK (missed IN ('run_once', 'skip')),
    priority INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    enabled INTEGER NOT NULL DEFAULT 1,
    next_run_at BIGINT NOT NULL,
    last_run_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX job_schedules_due ON job_schedules (next_run_at) WHERE enabled = 1;

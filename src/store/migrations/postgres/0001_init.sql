-- Foundation: a key/value table for server state (signing key ids,
-- schema facts) that later migrations and features can rely on.
CREATE TABLE server_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO server_state (key, value, updated_at) VALUES ('created', 'foundation', 0);

-- Sync of a user's own entities (issue 4): versions of the entities that
-- have no version column of their own (the emergency-contact list, which
-- is replaced whole), for push's baseVersion checks and last-write-wins.
CREATE TABLE user_sync_versions (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, entity)
);

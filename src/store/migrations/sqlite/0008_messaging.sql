-- Messaging (issue 8): conversations, their members (and, for every
-- conversation type, each participant's delivered/read position), and
-- messages. A conversation's messages are numbered by seq (1, 2, …,
-- dense, allocated from conversations.last_seq inside the sending
-- transaction). Trip conversations take their members live from
-- trip_buddies; their rows here only hold read positions. Times are Unix
-- milliseconds.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('direct', 'group', 'trip', 'booking')),
    name TEXT NOT NULL DEFAULT '',
    direct_key TEXT UNIQUE,          -- "<lower id>:<higher id>" for direct
    trip_id TEXT UNIQUE REFERENCES trips (id) ON DELETE CASCADE,
    booking_id TEXT,
    created_by TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_activity BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_activity ON conversations (last_activity, id);

CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member', 'reader')),
    delivered_seq BIGINT NOT NULL DEFAULT 0,
    read_seq BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    left_at BIGINT,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id, left_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('text', 'location', 'booking', 'media')),
    body TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    label TEXT,
    booking_id TEXT,
    media_name TEXT,
    media_type TEXT,
    media_size BIGINT,
    client_message_id TEXT,
    translations TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, sender_id, client_message_id)
);
CREATE INDEX messages_media ON messages (conversation_id, type, seq);

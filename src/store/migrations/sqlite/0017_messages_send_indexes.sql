-- Fewer index pages per message sent (issue 8 fan-out benchmark): the
-- clientMessageId uniqueness and the media listing index only hold the
-- rows they are for. Most messages carry no clientMessageId and are not
-- media, so a send no longer writes a leaf of either index. Uniqueness is
-- unchanged (NULL client ids never conflicted). SQLite cannot drop a table
-- constraint, so the table is rebuilt (nothing references messages).
CREATE TABLE messages_new (
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
    UNIQUE (conversation_id, seq)
);
INSERT INTO messages_new (id, conversation_id, seq, sender_id, type, body, lat, lng, label,
                          booking_id, media_name, media_type, media_size, client_message_id,
                          translations, created_at)
    SELECT id, conversation_id, seq, sender_id, type, body, lat, lng, label, booking_id,
           media_name, media_type, media_size, client_message_id, translations, created_at
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_client ON messages (conversation_id, sender_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
CREATE INDEX messages_media ON messages (conversation_id, seq) WHERE type = 'media';

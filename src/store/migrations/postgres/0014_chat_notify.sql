-- Chat notifications to offline members (issues 5 and 8): per member and
-- conversation, the mute switch and the collapse state of chat
-- notifications. muted = 1 with muted_until NULL mutes until unmuted;
-- with a time, until then. notified_at / notified_seq: the last chat
-- notification sent to this member for this conversation (Unix ms, the
-- message seq it announced). Rows exist only for members who muted or
-- were notified.
CREATE TABLE conversation_notify (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted INTEGER NOT NULL DEFAULT 0,
    muted_until BIGINT,
    notified_at BIGINT NOT NULL DEFAULT 0,
    notified_seq BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

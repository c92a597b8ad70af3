-- Notifications (issue 5): push devices, per-user preferences, in-app
-- notifications, and delivery tracking per channel/device and per attempt.
CREATE TABLE notification_devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    provider TEXT NOT NULL CHECK (provider IN ('fcm', 'apns', 'webpush')),
    token TEXT NOT NULL,            -- FCM/APNs token, or the Web Push endpoint
    p256dh TEXT,                    -- Web Push: subscription keys (base64url)
    auth TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    deactivated_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider, token)
);
CREATE INDEX notification_devices_user ON notification_devices (user_id, id);

CREATE TABLE notification_prefs (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    prefs TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    topic TEXT,
    in_app INTEGER NOT NULL DEFAULT 1,
    read_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, in_app, id);

CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('push', 'email', 'sms', 'inApp')),
    device_id TEXT,
    job_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    not_before BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notification_deliveries_n ON notification_deliveries (notification_id);

CREATE TABLE notification_attempts (
    delivery_id TEXT NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    status INTEGER,
    at BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- REPORT_GENERATION: a user's GDPR export built in the background.
CREATE TABLE user_reports (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'failed')),
    document TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX user_reports_user ON user_reports (user_id, id);

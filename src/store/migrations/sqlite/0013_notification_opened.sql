-- Delivery tracking gains "opened": the app reports that the user opened a
-- push (or the in-app notification); kept as a time, not a state, so a
-- delivery stays "delivered" and "opened" at once.
ALTER TABLE notification_deliveries ADD COLUMN opened_at BIGINT;

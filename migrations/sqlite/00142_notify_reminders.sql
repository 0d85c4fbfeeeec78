-- +goose Up
-- Reminders already scheduled (提醒): one row per deadline and kind of
-- reminder (notice 42's 3-day reminder, the leader's digest of 2026-11-03).
-- The scheduler inserts the key and its outbox rows in one transaction; a
-- second instance or a restart hits the primary key and adds nothing.
CREATE TABLE notify_reminders (
  reminder_key TEXT     NOT NULL PRIMARY KEY,
  created_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE notify_reminders;

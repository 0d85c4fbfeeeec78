-- +goose Up
-- The inspector who holds a case (承办人): set and changed by
-- ledger.AssignCase, each change an event on the case's timeline.
ALTER TABLE cases ADD COLUMN assignee_id INTEGER NULL REFERENCES users(id);

-- +goose Down
ALTER TABLE cases DROP COLUMN assignee_id;

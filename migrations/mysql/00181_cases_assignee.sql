-- +goose Up
-- The inspector who holds a case (承办人): set and changed by
-- ledger.AssignCase, each change an event on the case's timeline.
ALTER TABLE cases ADD COLUMN assignee_id BIGINT NULL, ADD CONSTRAINT cases_assignee_fk FOREIGN KEY (assignee_id) REFERENCES users(id);

-- +goose Down
ALTER TABLE cases DROP FOREIGN KEY cases_assignee_fk, DROP COLUMN assignee_id;

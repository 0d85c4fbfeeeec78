-- +goose Up
-- The inspector who holds a complaint in triage (分派待受理的举报件), set by
-- ledger.AssignComplaint while it is received.
ALTER TABLE complaints ADD COLUMN assignee_id INTEGER NULL REFERENCES users(id);

-- +goose Down
ALTER TABLE complaints DROP COLUMN assignee_id;

-- +goose Up
-- Monthly bulletin (internal/bulletin): notices whose deadline falls in a month.
CREATE INDEX notices_deadline ON notices (deadline, status, case_id, unit_id);

-- +goose Down
DROP INDEX notices_deadline ON notices;

-- +goose Up
-- Monthly bulletin (internal/bulletin): cases open past their due date, by town and unit, read from the index alone.
CREATE INDEX cases_open_due ON cases (status, due_at, town_id, unit_id);

-- +goose Down
DROP INDEX cases_open_due ON cases;

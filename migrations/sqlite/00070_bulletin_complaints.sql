-- +goose Up
-- Monthly bulletin (internal/bulletin): the month's complaints by town, channel, type and status, read from the index alone.
CREATE INDEX complaints_bulletin ON complaints (received_at, town_id, channel, status, categories, case_id);

-- +goose Down
DROP INDEX complaints_bulletin;

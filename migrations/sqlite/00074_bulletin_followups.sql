-- +goose Up
-- Monthly bulletin (internal/bulletin): "not solved" requests made in a month.
CREATE INDEX followup_requests_created ON followup_requests (created_at, complaint_id);

-- +goose Down
DROP INDEX followup_requests_created;

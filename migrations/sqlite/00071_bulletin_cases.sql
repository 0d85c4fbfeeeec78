-- +goose Up
-- Monthly bulletin (internal/bulletin): cases verified in a month.
CREATE INDEX cases_verified ON cases (verified_at, status, verification, town_id, unit_id);

-- +goose Down
DROP INDEX cases_verified;

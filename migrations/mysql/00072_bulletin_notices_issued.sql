-- +goose Up
-- Monthly bulletin (internal/bulletin): notices issued in a month.
CREATE INDEX notices_issued ON notices (issued_at, case_id, unit_id);

-- +goose Down
DROP INDEX notices_issued ON notices;

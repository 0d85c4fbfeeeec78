-- +goose Up
-- Monthly bulletin (internal/bulletin): cases concluded in a month, for the public statistics.
CREATE INDEX cases_concluded ON cases (concluded_at, due_at, opened_at, status);

-- +goose Down
DROP INDEX cases_concluded;

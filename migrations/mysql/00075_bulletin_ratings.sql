-- +goose Up
-- Monthly bulletin (internal/bulletin): ratings given in a month.
CREATE INDEX ratings_created ON ratings (created_at, complaint_id, rating);

-- +goose Down
DROP INDEX ratings_created ON ratings;

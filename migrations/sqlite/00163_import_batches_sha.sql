-- +goose Up
-- A file imported again is recognised by its SHA-256 before its rows are read.
CREATE INDEX import_batches_sha ON import_batches (sha256);

-- +goose Down
DROP INDEX import_batches_sha;

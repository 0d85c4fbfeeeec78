-- +goose Up
-- Rows older than the ledger (stale), counted per batch like the other outcomes.
ALTER TABLE import_batches ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE import_batches DROP COLUMN stale;

-- +goose Up
-- Every hotline ticket already in the ledger keeps the version it holds now
-- as its first known version (the batch it came from was not recorded).
INSERT INTO ticket_versions (complaint_id, hash, batch_id, row_no, source_updated_at, created_at)
SELECT id, source_hash, NULL, 0, NULL, updated_at FROM complaints WHERE channel = 'hotline' AND source_hash <> '';

-- +goose Down
DELETE FROM ticket_versions WHERE batch_id IS NULL;

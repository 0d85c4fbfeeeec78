-- +goose Up
-- Rejected rows hold callers' names and phones: their cells and value are
-- sealed with the data key (raw_enc), raw and value stay empty, raw_hash is an
-- HMAC, and a fixed or expired row keeps nothing but its hash and reason. Rows
-- written before are sealed by the application (hotline.SealRejects), which
-- needs the key.
ALTER TABLE import_rejects ADD COLUMN raw_enc TEXT NULL;

-- +goose Down
ALTER TABLE import_rejects DROP COLUMN raw_enc;

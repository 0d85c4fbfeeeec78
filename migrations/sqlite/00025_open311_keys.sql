-- +goose Up
-- Open311 GeoReport v2 partner keys (合作应用接口密钥): one row per issued key.
-- Only the SHA-256 of a key is stored; the key itself is printed once by
-- `ecoreport open311 add-key NAME`. A partner may hold several live keys
-- (rotation); revoking sets revoked_at and keeps the row for the record.
CREATE TABLE open311_keys (
  id         INTEGER  PRIMARY KEY,
  name       TEXT     NOT NULL,
  key_hash   TEXT     NOT NULL UNIQUE,
  created_at DATETIME NOT NULL,
  revoked_at DATETIME NULL
);
CREATE INDEX open311_keys_name ON open311_keys (name, revoked_at);

-- +goose Down
DROP TABLE open311_keys;

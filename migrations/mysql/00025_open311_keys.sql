-- +goose Up
-- Open311 GeoReport v2 partner keys (合作应用接口密钥): one row per issued key.
-- Only the SHA-256 of a key is stored; the key itself is printed once by
-- `ecoreport open311 add-key NAME`. A partner may hold several live keys
-- (rotation); revoking sets revoked_at and keeps the row for the record.
CREATE TABLE open311_keys (
  id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name       VARCHAR(64)  NOT NULL,
  key_hash   CHAR(64)     NOT NULL UNIQUE,
  created_at DATETIME(6)  NOT NULL,
  revoked_at DATETIME(6)  NULL,
  KEY open311_keys_name (name, revoked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE open311_keys;

-- +goose Up
-- Photos kept for a report form that was sent back (保留的照片), so that a
-- resident never chooses them twice. token_hash is the SHA-256 (hex) of the
-- random token in the form's hidden field: a leaked table opens nothing. The
-- file is uploads/STORED_NAME, already sanitised; filing moves the name into
-- attachments in the filing's transaction. A row is written before its file,
-- so a process killed in between leaves a row that expires, never a file
-- nothing points at. swept marks rows whose file the sweep is removing.
CREATE TABLE held_photos (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash  CHAR(64)     NOT NULL,
  seq         INT          NOT NULL,
  stored_name VARCHAR(64)  NOT NULL UNIQUE,
  mime        VARCHAR(32)  NOT NULL,
  size_bytes  BIGINT       NOT NULL,
  width       INT          NOT NULL,
  height      INT          NOT NULL,
  swept       BOOLEAN      NOT NULL DEFAULT FALSE,
  created_at  DATETIME(6)  NOT NULL,
  expires_at  DATETIME(6)  NOT NULL,
  UNIQUE KEY held_photos_token (token_hash, seq),
  KEY held_photos_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE held_photos;

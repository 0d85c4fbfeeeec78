-- +goose Up
-- Photos kept for a report form that was sent back (保留的照片), so that a
-- resident never chooses them twice. token_hash is the SHA-256 (hex) of the
-- random token in the form's hidden field: a leaked table opens nothing. The
-- file is uploads/STORED_NAME, already sanitised; filing moves the name into
-- attachments in the filing's transaction. A row is written before its file,
-- so a process killed in between leaves a row that expires, never a file
-- nothing points at. swept marks rows whose file the sweep is removing.
CREATE TABLE held_photos (
  id          INTEGER  PRIMARY KEY,
  token_hash  TEXT     NOT NULL,
  seq         INTEGER  NOT NULL,
  stored_name TEXT     NOT NULL UNIQUE,
  mime        TEXT     NOT NULL,
  size_bytes  INTEGER  NOT NULL,
  width       INTEGER  NOT NULL,
  height      INTEGER  NOT NULL,
  swept       INTEGER  NOT NULL DEFAULT 0,
  created_at  DATETIME NOT NULL,
  expires_at  DATETIME NOT NULL,
  UNIQUE (token_hash, seq)
);
CREATE INDEX held_photos_expires ON held_photos (expires_at);

-- +goose Down
DROP TABLE held_photos;

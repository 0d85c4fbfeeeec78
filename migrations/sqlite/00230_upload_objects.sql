-- +goose Up
-- Uploaded files kept in the database (--uploads db, package
-- internal/upload): one row per file, its bytes in upload_chunks. name is
-- the key the portal and the back office store in attachments, case_photos
-- and held_photos (stored_name); sha256 (hex) is checked on every read.
CREATE TABLE upload_objects (
  name       TEXT     NOT NULL PRIMARY KEY,
  size_bytes INTEGER  NOT NULL,
  sha256     TEXT     NOT NULL,
  chunks     INTEGER  NOT NULL,
  created_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE upload_objects;

-- +goose Up
-- Uploaded files kept in the database (--uploads db, package
-- internal/upload): one row per file, its bytes in upload_chunks. name is
-- the key the portal and the back office store in attachments, case_photos
-- and held_photos (stored_name), compared byte for byte (ascii_bin);
-- sha256 (hex) is checked on every read.
CREATE TABLE upload_objects (
  name       VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  size_bytes BIGINT       NOT NULL,
  sha256     CHAR(64)     NOT NULL,
  chunks     INT          NOT NULL,
  created_at DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE upload_objects;

-- +goose Up
-- The bytes of an uploaded file kept in the database, in chunks of at most
-- 1 MiB (seq 0, 1, …), so that no statement comes near max_allowed_packet
-- (16 MiB by default on MariaDB 10.11) nor a Galera write set's limit, and
-- a file is streamed, not one huge value. LONGBLOB leaves room to change
-- the chunk size without a migration.
CREATE TABLE upload_chunks (
  name VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seq  INT          NOT NULL,
  data LONGBLOB     NOT NULL,
  PRIMARY KEY (name, seq),
  CONSTRAINT upload_chunks_object FOREIGN KEY (name) REFERENCES upload_objects (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE upload_chunks;

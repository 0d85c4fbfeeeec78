-- +goose Up
-- The bytes of an uploaded file kept in the database, in chunks of at most
-- 1 MiB (seq 0, 1, …), so that no statement comes near MariaDB's
-- max_allowed_packet and a file is streamed, not one huge value.
CREATE TABLE upload_chunks (
  name TEXT    NOT NULL REFERENCES upload_objects(name),
  seq  INTEGER NOT NULL,
  data BLOB    NOT NULL,
  PRIMARY KEY (name, seq)
);

-- +goose Down
DROP TABLE upload_chunks;

-- +goose Up
-- Versions of hotline tickets (工单版本): every version a ticket was imported
-- in, by the hash of its normalised fields, with the batch and row it came
-- from and the export's own update time (更新时间) when the file had one. A
-- row equal to an earlier version is older than the ledger (stale) and
-- changes nothing.
CREATE TABLE ticket_versions (
  id                INTEGER  PRIMARY KEY,
  complaint_id      INTEGER  NOT NULL REFERENCES complaints(id),
  hash              TEXT     NOT NULL,
  batch_id          INTEGER  NULL REFERENCES import_batches(id),
  row_no            INTEGER  NOT NULL DEFAULT 0,
  source_updated_at DATETIME NULL,
  created_at        DATETIME NOT NULL,
  UNIQUE (complaint_id, hash)
);

-- +goose Down
DROP TABLE ticket_versions;

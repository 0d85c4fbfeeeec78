-- +goose Up
-- Versions of hotline tickets (工单版本): every version a ticket was imported
-- in, by the hash of its normalised fields, with the batch and row it came
-- from and the export's own update time (更新时间) when the file had one. A
-- row equal to an earlier version is older than the ledger (stale) and
-- changes nothing.
CREATE TABLE ticket_versions (
  id                BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id      BIGINT      NOT NULL,
  hash              CHAR(64)    NOT NULL,
  batch_id          BIGINT      NULL,
  row_no            BIGINT      NOT NULL DEFAULT 0,
  source_updated_at DATETIME(6) NULL,
  created_at        DATETIME(6) NOT NULL,
  UNIQUE KEY ticket_versions_hash (complaint_id, hash),
  CONSTRAINT ticket_versions_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT ticket_versions_batch_fk FOREIGN KEY (batch_id) REFERENCES import_batches(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE ticket_versions;

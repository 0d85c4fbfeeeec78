-- +goose Up
-- Hotline imports (热线工单导入): one batch per file or push request, with its
-- receipt counts, and the rejected rows kept in quarantine (待修正) with their
-- raw cells until an operator fixes them.
CREATE TABLE import_batches (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  source       VARCHAR(16)  NOT NULL,
  file_name    VARCHAR(255) NOT NULL,
  sha256       CHAR(64)     NOT NULL DEFAULT '',
  status       VARCHAR(16)  NOT NULL,
  imported     BIGINT       NOT NULL DEFAULT 0,
  updated      BIGINT       NOT NULL DEFAULT 0,
  unchanged    BIGINT       NOT NULL DEFAULT 0,
  rejected     BIGINT       NOT NULL DEFAULT 0,
  warnings     BIGINT       NOT NULL DEFAULT 0,
  error        TEXT         NOT NULL,
  operator     VARCHAR(64)  NOT NULL,
  started_at   DATETIME(6)  NOT NULL,
  finished_at  DATETIME(6)  NULL,
  KEY import_batches_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE import_rejects (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  batch_id     BIGINT       NOT NULL,
  row_no       BIGINT       NOT NULL,
  ticket_no    VARCHAR(255) NOT NULL DEFAULT '',
  column_name  VARCHAR(255) NOT NULL DEFAULT '',
  value        TEXT         NOT NULL,
  reason       TEXT         NOT NULL,
  raw          MEDIUMTEXT   NOT NULL,
  raw_hash     CHAR(64)     NOT NULL DEFAULT '',
  status       VARCHAR(16)  NOT NULL DEFAULT 'pending',
  fixed_at     DATETIME(6)  NULL,
  fixed_by     VARCHAR(64)  NOT NULL DEFAULT '',
  complaint_id BIGINT       NULL,
  KEY import_rejects_batch (batch_id, row_no),
  KEY import_rejects_status (status, id),
  KEY import_rejects_raw (raw_hash),
  CONSTRAINT import_rejects_batch_fk FOREIGN KEY (batch_id) REFERENCES import_batches(id),
  CONSTRAINT import_rejects_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE import_rejects;
DROP TABLE import_batches;

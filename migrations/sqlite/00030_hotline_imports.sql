-- +goose Up
-- Hotline imports (热线工单导入): one batch per file or push request, with its
-- receipt counts, and the rejected rows kept in quarantine (待修正) with their
-- raw cells until an operator fixes them.
CREATE TABLE import_batches (
  id           INTEGER  PRIMARY KEY,
  source       TEXT     NOT NULL,
  file_name    TEXT     NOT NULL,
  sha256       TEXT     NOT NULL DEFAULT '',
  status       TEXT     NOT NULL,
  imported     INTEGER  NOT NULL DEFAULT 0,
  updated      INTEGER  NOT NULL DEFAULT 0,
  unchanged    INTEGER  NOT NULL DEFAULT 0,
  rejected     INTEGER  NOT NULL DEFAULT 0,
  warnings     INTEGER  NOT NULL DEFAULT 0,
  error        TEXT     NOT NULL DEFAULT '',
  operator     TEXT     NOT NULL,
  started_at   DATETIME NOT NULL,
  finished_at  DATETIME NULL
);
CREATE INDEX import_batches_started ON import_batches (started_at);

CREATE TABLE import_rejects (
  id           INTEGER  PRIMARY KEY,
  batch_id     INTEGER  NOT NULL REFERENCES import_batches(id),
  row_no       INTEGER  NOT NULL,
  ticket_no    TEXT     NOT NULL DEFAULT '',
  column_name  TEXT     NOT NULL DEFAULT '',
  value        TEXT     NOT NULL DEFAULT '',
  reason       TEXT     NOT NULL,
  raw          TEXT     NOT NULL,
  raw_hash     TEXT     NOT NULL DEFAULT '',
  status       TEXT     NOT NULL DEFAULT 'pending',
  fixed_at     DATETIME NULL,
  fixed_by     TEXT     NOT NULL DEFAULT '',
  complaint_id INTEGER  NULL REFERENCES complaints(id)
);
CREATE INDEX import_rejects_batch ON import_rejects (batch_id, row_no);
CREATE INDEX import_rejects_status ON import_rejects (status, id);
CREATE INDEX import_rejects_raw ON import_rejects (raw_hash);

-- +goose Down
DROP TABLE import_rejects;
DROP TABLE import_batches;

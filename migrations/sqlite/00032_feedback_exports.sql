-- +goose Up
-- Feedback exports to the hotline (回音导出): when each ran and what it covered,
-- so that --since-last knows where the previous one stopped.
CREATE TABLE feedback_exports (
  id          INTEGER  PRIMARY KEY,
  mode        TEXT     NOT NULL,
  from_at     DATETIME NULL,
  to_at       DATETIME NOT NULL,
  format      TEXT     NOT NULL,
  row_count   INTEGER  NOT NULL DEFAULT 0,
  operator    TEXT     NOT NULL,
  exported_at DATETIME NOT NULL
);
CREATE INDEX feedback_exports_mode ON feedback_exports (mode, to_at);

-- +goose Down
DROP TABLE feedback_exports;

-- +goose Up
-- Feedback exports to the hotline (回音导出): when each ran and what it covered,
-- so that --since-last knows where the previous one stopped.
CREATE TABLE feedback_exports (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mode        VARCHAR(16)  NOT NULL,
  from_at     DATETIME(6)  NULL,
  to_at       DATETIME(6)  NOT NULL,
  format      VARCHAR(16)  NOT NULL,
  row_count   BIGINT       NOT NULL DEFAULT 0,
  operator    VARCHAR(64)  NOT NULL,
  exported_at DATETIME(6)  NOT NULL,
  KEY feedback_exports_mode (mode, to_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE feedback_exports;

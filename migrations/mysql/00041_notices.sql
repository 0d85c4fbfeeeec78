-- +goose Up
-- Rectification notices (整改通知书), numbered per year without gaps
-- (石环督整〔YYYY〕N号): notice_counters holds the last number of each year and
-- is advanced in the transaction that inserts the notice.
CREATE TABLE notices (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id      BIGINT       NOT NULL,
  year         INT          NOT NULL,
  number       INT          NOT NULL,
  unit_id      BIGINT       NOT NULL,
  requirements TEXT         NOT NULL,
  deadline     DATETIME(6)  NOT NULL,
  copied_to    VARCHAR(1000) NOT NULL DEFAULT '',
  issued_by    BIGINT       NULL,
  issued_at    DATETIME(6)  NOT NULL,
  status       VARCHAR(16)  NOT NULL,
  UNIQUE KEY notices_number (year, number),
  KEY notices_case (case_id, id),
  KEY notices_unit (unit_id, issued_at),
  CONSTRAINT notices_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT notices_unit_fk FOREIGN KEY (unit_id) REFERENCES units(id),
  CONSTRAINT notices_user_fk FOREIGN KEY (issued_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE notice_counters (
  year        INT NOT NULL PRIMARY KEY,
  last_number INT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE notice_counters;
DROP TABLE notices;

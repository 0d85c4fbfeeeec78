-- +goose Up
-- Inspection modules (internal/inspection): inspection tasks (例行督查/专项巡查)
-- and their findings (each finding is a ledger case with source 'inspection'),
-- admonition interviews (约谈) and clue referrals (移送线索).
CREATE TABLE inspection_tasks (
  id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind       VARCHAR(16)  NOT NULL,
  theme      VARCHAR(400) NOT NULL,
  area       TEXT         NOT NULL,
  team       TEXT         NOT NULL,
  start_on   DATETIME(6)  NOT NULL,
  end_on     DATETIME(6)  NOT NULL,
  status     VARCHAR(16)  NOT NULL,
  created_by BIGINT       NULL,
  created_at DATETIME(6)  NOT NULL,
  updated_at DATETIME(6)  NOT NULL,
  KEY inspection_tasks_start (start_on),
  CONSTRAINT inspection_tasks_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE inspection_findings (
  id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  task_id     BIGINT      NOT NULL,
  case_id     BIGINT      NOT NULL,
  description TEXT        NOT NULL,
  created_by  BIGINT      NULL,
  created_at  DATETIME(6) NOT NULL,
  UNIQUE KEY inspection_findings_case (case_id),
  KEY inspection_findings_task (task_id, id),
  CONSTRAINT inspection_findings_task_fk FOREIGN KEY (task_id) REFERENCES inspection_tasks(id),
  CONSTRAINT inspection_findings_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT inspection_findings_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- interviews: the monthly bulletin reads this table; keep its columns.
CREATE TABLE interviews (
  id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  unit_id            BIGINT       NOT NULL,
  held_on            DATETIME(6)  NOT NULL,
  leader             VARCHAR(200) NOT NULL DEFAULT '',
  problems           TEXT         NOT NULL,
  case_ids           VARCHAR(1000) NOT NULL DEFAULT '',
  report_due_on      DATETIME(6)  NOT NULL,
  report_received_on DATETIME(6)  NULL,
  created_by         BIGINT       NULL,
  created_at         DATETIME(6)  NOT NULL,
  KEY interviews_unit (unit_id, held_on),
  KEY interviews_held (held_on),
  CONSTRAINT interviews_unit_fk FOREIGN KEY (unit_id) REFERENCES units(id),
  CONSTRAINT interviews_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE referrals (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id     BIGINT       NOT NULL,
  recipient   VARCHAR(16)  NOT NULL,
  referred_on DATETIME(6)  NOT NULL,
  reference   VARCHAR(200) NOT NULL DEFAULT '',
  outcome     TEXT         NOT NULL,
  created_by  BIGINT       NULL,
  created_at  DATETIME(6)  NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  KEY referrals_case (case_id, id),
  KEY referrals_referred (referred_on),
  CONSTRAINT referrals_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT referrals_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE referrals;
DROP TABLE interviews;
DROP TABLE inspection_findings;
DROP TABLE inspection_tasks;

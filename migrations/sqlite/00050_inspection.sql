-- +goose Up
-- Inspection modules (internal/inspection): inspection tasks (例行督查/专项巡查)
-- and their findings (each finding is a ledger case with source 'inspection'),
-- admonition interviews (约谈) and clue referrals (移送线索).
CREATE TABLE inspection_tasks (
  id         INTEGER  PRIMARY KEY,
  kind       TEXT     NOT NULL,
  theme      TEXT     NOT NULL,
  area       TEXT     NOT NULL DEFAULT '',
  team       TEXT     NOT NULL DEFAULT '',
  start_on   DATETIME NOT NULL,
  end_on     DATETIME NOT NULL,
  status     TEXT     NOT NULL,
  created_by INTEGER  NULL REFERENCES users(id),
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX inspection_tasks_start ON inspection_tasks (start_on);

CREATE TABLE inspection_findings (
  id          INTEGER  PRIMARY KEY,
  task_id     INTEGER  NOT NULL REFERENCES inspection_tasks(id),
  case_id     INTEGER  NOT NULL UNIQUE REFERENCES cases(id),
  description TEXT     NOT NULL,
  created_by  INTEGER  NULL REFERENCES users(id),
  created_at  DATETIME NOT NULL
);
CREATE INDEX inspection_findings_task ON inspection_findings (task_id, id);

-- interviews: the monthly bulletin reads this table; keep its columns.
CREATE TABLE interviews (
  id                 INTEGER  PRIMARY KEY,
  unit_id            INTEGER  NOT NULL REFERENCES units(id),
  held_on            DATETIME NOT NULL,
  leader             TEXT     NOT NULL DEFAULT '',
  problems           TEXT     NOT NULL DEFAULT '',
  case_ids           TEXT     NOT NULL DEFAULT '',
  report_due_on      DATETIME NOT NULL,
  report_received_on DATETIME NULL,
  created_by         INTEGER  NULL REFERENCES users(id),
  created_at         DATETIME NOT NULL
);
CREATE INDEX interviews_unit ON interviews (unit_id, held_on);
CREATE INDEX interviews_held ON interviews (held_on);

CREATE TABLE referrals (
  id          INTEGER  PRIMARY KEY,
  case_id     INTEGER  NOT NULL REFERENCES cases(id),
  recipient   TEXT     NOT NULL,
  referred_on DATETIME NOT NULL,
  reference   TEXT     NOT NULL DEFAULT '',
  outcome     TEXT     NOT NULL DEFAULT '',
  created_by  INTEGER  NULL REFERENCES users(id),
  created_at  DATETIME NOT NULL,
  updated_at  DATETIME NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id, id);
CREATE INDEX referrals_referred ON referrals (referred_on);

-- +goose Down
DROP TABLE referrals;
DROP TABLE interviews;
DROP TABLE inspection_findings;
DROP TABLE inspection_tasks;

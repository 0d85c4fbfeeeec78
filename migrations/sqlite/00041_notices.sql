-- +goose Up
-- Rectification notices (整改通知书), numbered per year without gaps
-- (石环督整〔YYYY〕N号): notice_counters holds the last number of each year and
-- is advanced in the transaction that inserts the notice.
CREATE TABLE notices (
  id           INTEGER  PRIMARY KEY,
  case_id      INTEGER  NOT NULL REFERENCES cases(id),
  year         INTEGER  NOT NULL,
  number       INTEGER  NOT NULL,
  unit_id      INTEGER  NOT NULL REFERENCES units(id),
  requirements TEXT     NOT NULL,
  deadline     DATETIME NOT NULL,
  copied_to    TEXT     NOT NULL DEFAULT '',
  issued_by    INTEGER  NULL REFERENCES users(id),
  issued_at    DATETIME NOT NULL,
  status       TEXT     NOT NULL,
  UNIQUE (year, number)
);
CREATE INDEX notices_case ON notices (case_id, id);
CREATE INDEX notices_unit ON notices (unit_id, issued_at);

CREATE TABLE notice_counters (
  year        INTEGER PRIMARY KEY,
  last_number INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE notice_counters;
DROP TABLE notices;

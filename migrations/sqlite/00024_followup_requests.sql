-- +goose Up
-- "Problem not solved / came back" requests (问题未解决/反弹) a reporter makes
-- after a reply; staff must answer them (status open → answered).
CREATE TABLE followup_requests (
  id           INTEGER  PRIMARY KEY,
  complaint_id INTEGER  NOT NULL REFERENCES complaints(id),
  kind         TEXT     NOT NULL,
  body         TEXT     NOT NULL DEFAULT '',
  status       TEXT     NOT NULL DEFAULT 'open',
  answer       TEXT     NOT NULL DEFAULT '',
  answered_by  INTEGER  NULL REFERENCES users(id),
  answered_at  DATETIME NULL,
  created_at   DATETIME NOT NULL
);
CREATE INDEX followup_requests_complaint ON followup_requests (complaint_id, id);
CREATE INDEX followup_requests_status ON followup_requests (status, created_at);

-- +goose Down
DROP TABLE followup_requests;

-- +goose Up
-- "Problem not solved / came back" requests (问题未解决/反弹) a reporter makes
-- after a reply; staff must answer them (status open → answered).
CREATE TABLE followup_requests (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT      NOT NULL,
  kind         VARCHAR(16) NOT NULL,
  body         TEXT        NOT NULL,
  status       VARCHAR(16) NOT NULL DEFAULT 'open',
  answer       TEXT        NOT NULL,
  answered_by  BIGINT      NULL,
  answered_at  DATETIME(6) NULL,
  created_at   DATETIME(6) NOT NULL,
  KEY followup_requests_complaint (complaint_id, id),
  KEY followup_requests_status (status, created_at),
  CONSTRAINT followup_requests_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT followup_requests_user_fk FOREIGN KEY (answered_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE followup_requests;

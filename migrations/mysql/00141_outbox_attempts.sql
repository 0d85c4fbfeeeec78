-- +goose Up
-- Each delivery attempt of an outbox row (发送记录): when, how it ended, what
-- the provider answered. The admin page shows them under a failed message.
CREATE TABLE outbox_attempts (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  outbox_id    BIGINT       NOT NULL,
  attempt      INT          NOT NULL,
  started_at   DATETIME(6)  NOT NULL,
  finished_at  DATETIME(6)  NOT NULL,
  outcome      VARCHAR(16)  NOT NULL,
  detail       TEXT         NOT NULL,
  provider_ref VARCHAR(128) NOT NULL DEFAULT '',
  KEY outbox_attempts_row (outbox_id, id),
  CONSTRAINT outbox_attempts_fk FOREIGN KEY (outbox_id) REFERENCES outbox(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE outbox_attempts;

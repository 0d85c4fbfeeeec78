-- +goose Up
-- Each delivery attempt of an outbox row (发送记录): when, how it ended, what
-- the provider answered. The admin page shows them under a failed message.
CREATE TABLE outbox_attempts (
  id           INTEGER  PRIMARY KEY,
  outbox_id    INTEGER  NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  attempt      INTEGER  NOT NULL,
  started_at   DATETIME NOT NULL,
  finished_at  DATETIME NOT NULL,
  outcome      TEXT     NOT NULL,
  detail       TEXT     NOT NULL DEFAULT '',
  provider_ref TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id, id);

-- +goose Down
DROP TABLE outbox_attempts;

-- +goose Up
-- The outbox (消息发件箱): every message a state change owes somebody, written
-- in the transaction of the change, delivered by the worker in serve.
-- msg_key is unique: one row per (event or deadline, rule, recipient), so a
-- repeated scheduler run or a second instance adds nothing. A worker claims a
-- row with one conditional UPDATE (claim_token, claimed_until: a lease); a
-- crash mid-send leaves the lease to expire and the row is sent again.
-- recipient names who (complaint:12, user:5, unit:3, client:2, webhook),
-- never a phone or an address: those are looked up when it is sent.
CREATE TABLE outbox (
  id              INTEGER  PRIMARY KEY,
  msg_key         TEXT     NOT NULL UNIQUE,
  rule            TEXT     NOT NULL,
  channel         TEXT     NOT NULL,
  recipient       TEXT     NOT NULL,
  recipient_label TEXT     NOT NULL DEFAULT '',
  subject         TEXT     NOT NULL DEFAULT '',
  body            TEXT     NOT NULL,
  complaint_id    INTEGER  NULL,
  case_id         INTEGER  NULL,
  status          TEXT     NOT NULL,
  attempts        INTEGER  NOT NULL DEFAULT 0,
  next_at         DATETIME NOT NULL,
  claim_token     TEXT     NULL,
  claimed_until   DATETIME NULL,
  last_error      TEXT     NOT NULL DEFAULT '',
  provider_ref    TEXT     NOT NULL DEFAULT '',
  created_at      DATETIME NOT NULL,
  sent_at         DATETIME NULL,
  updated_at      DATETIME NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_at);
CREATE INDEX outbox_recipient ON outbox (recipient, status);
CREATE INDEX outbox_created ON outbox (created_at);

-- +goose Down
DROP TABLE outbox;

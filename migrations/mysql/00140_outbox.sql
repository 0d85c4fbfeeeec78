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
  id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  msg_key         VARCHAR(191) NOT NULL UNIQUE,
  rule            VARCHAR(64)  NOT NULL,
  channel         VARCHAR(16)  NOT NULL,
  recipient       VARCHAR(64)  NOT NULL,
  recipient_label VARCHAR(200) NOT NULL DEFAULT '',
  subject         VARCHAR(400) NOT NULL DEFAULT '',
  body            MEDIUMTEXT   NOT NULL,
  complaint_id    BIGINT       NULL,
  case_id         BIGINT       NULL,
  status          VARCHAR(16)  NOT NULL,
  attempts        INT          NOT NULL DEFAULT 0,
  next_at         DATETIME(6)  NOT NULL,
  claim_token     CHAR(32)     NULL,
  claimed_until   DATETIME(6)  NULL,
  last_error      TEXT         NOT NULL,
  provider_ref    VARCHAR(128) NOT NULL DEFAULT '',
  created_at      DATETIME(6)  NOT NULL,
  sent_at         DATETIME(6)  NULL,
  updated_at      DATETIME(6)  NOT NULL,
  KEY outbox_due (status, next_at),
  KEY outbox_recipient (recipient, status),
  KEY outbox_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE outbox;

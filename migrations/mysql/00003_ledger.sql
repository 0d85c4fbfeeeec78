-- +goose Up
-- The issue ledger (问题台账): cases, the complaints that feed them, and the
-- timeline events every transition writes. HMACs and hashes are ASCII hex:
-- an ascii column keeps their index keys a quarter of utf8mb4's size.
CREATE TABLE cases (
  id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  status            VARCHAR(16)  NOT NULL,
  source            VARCHAR(16)  NOT NULL,
  source_detail     VARCHAR(255) NOT NULL DEFAULT '',
  title             VARCHAR(255) NOT NULL,
  categories        VARCHAR(128) NOT NULL DEFAULT '',
  town_id           BIGINT       NULL,
  unit_id           BIGINT       NULL,
  subject           VARCHAR(255) NOT NULL DEFAULT '',
  verification      VARCHAR(16)  NOT NULL DEFAULT 'pending',
  verification_note TEXT         NOT NULL,
  public_reply      TEXT         NOT NULL,
  opened_at         DATETIME(6)  NOT NULL,
  due_at            DATETIME(6)  NOT NULL,
  extended          BOOLEAN      NOT NULL DEFAULT FALSE,
  extension_reason  VARCHAR(1000) NOT NULL DEFAULT '',
  verified_at       DATETIME(6)  NULL,
  concluded_at      DATETIME(6)  NULL,
  closed_at         DATETIME(6)  NULL,
  revisit_due_at    DATETIME(6)  NULL,
  merged_into_id    BIGINT       NULL,
  created_by        BIGINT       NULL,
  updated_at        DATETIME(6)  NOT NULL,
  KEY cases_status_due (status, due_at),
  KEY cases_town (town_id, opened_at),
  KEY cases_unit (unit_id, opened_at),
  CONSTRAINT cases_town_fk FOREIGN KEY (town_id) REFERENCES units(id),
  CONSTRAINT cases_unit_fk FOREIGN KEY (unit_id) REFERENCES units(id),
  CONSTRAINT cases_merged_fk FOREIGN KEY (merged_into_id) REFERENCES cases(id),
  CONSTRAINT cases_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE complaints (
  id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tracking_mac      CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL UNIQUE,
  channel           VARCHAR(16)  NOT NULL,
  status            VARCHAR(16)  NOT NULL,
  source_ref        VARCHAR(64)  NULL,
  lookup_mac        CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NULL,
  categories        VARCHAR(128) NOT NULL DEFAULT '',
  category_text     VARCHAR(255) NOT NULL DEFAULT '',
  town_id           BIGINT       NULL,
  town_text         VARCHAR(255) NOT NULL DEFAULT '',
  address           VARCHAR(500) NOT NULL DEFAULT '',
  subject           VARCHAR(255) NOT NULL DEFAULT '',
  description       TEXT         NOT NULL,
  occurred_text     VARCHAR(255) NOT NULL DEFAULT '',
  identity          VARCHAR(16)  NOT NULL,
  contact_enc       TEXT         NULL,
  contact_erased_at DATETIME(6)  NULL,
  wants_reward      BOOLEAN      NOT NULL DEFAULT FALSE,
  case_id           BIGINT       NULL,
  refuse_reason     VARCHAR(32)  NOT NULL DEFAULT '',
  received_at       DATETIME(6)  NOT NULL,
  decide_due_at     DATETIME(6)  NOT NULL,
  reply_due_at      DATETIME(6)  NULL,
  extra             MEDIUMTEXT   NOT NULL,
  warnings          TEXT         NOT NULL,
  source_hash       CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  created_by        BIGINT       NULL,
  updated_at        DATETIME(6)  NOT NULL,
  UNIQUE KEY complaints_source (channel, source_ref),
  KEY complaints_status_received (status, received_at),
  KEY complaints_case (case_id),
  KEY complaints_lookup (lookup_mac),
  KEY complaints_received (received_at),
  CONSTRAINT complaints_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT complaints_town_fk FOREIGN KEY (town_id) REFERENCES units(id),
  CONSTRAINT complaints_user_fk FOREIGN KEY (created_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE events (
  id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id       BIGINT       NULL,
  complaint_id  BIGINT       NULL,
  kind          VARCHAR(32)  NOT NULL,
  from_status   VARCHAR(16)  NOT NULL DEFAULT '',
  to_status     VARCHAR(16)  NOT NULL DEFAULT '',
  actor_id      BIGINT       NULL,
  actor         VARCHAR(64)  NOT NULL,
  public_note   TEXT         NOT NULL,
  internal_note TEXT         NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  KEY events_case (case_id, id),
  KEY events_complaint (complaint_id, id),
  CONSTRAINT events_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT events_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT events_user_fk FOREIGN KEY (actor_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE events;
DROP TABLE complaints;
DROP TABLE cases;

-- +goose Up
-- The issue ledger (问题台账): cases, the complaints that feed them, and the
-- timeline events every transition writes.
CREATE TABLE cases (
  id                INTEGER  PRIMARY KEY,
  status            TEXT     NOT NULL,
  source            TEXT     NOT NULL,
  source_detail     TEXT     NOT NULL DEFAULT '',
  title             TEXT     NOT NULL,
  categories        TEXT     NOT NULL DEFAULT '',
  town_id           INTEGER  NULL REFERENCES units(id),
  unit_id           INTEGER  NULL REFERENCES units(id),
  subject           TEXT     NOT NULL DEFAULT '',
  verification      TEXT     NOT NULL DEFAULT 'pending',
  verification_note TEXT     NOT NULL DEFAULT '',
  public_reply      TEXT     NOT NULL DEFAULT '',
  opened_at         DATETIME NOT NULL,
  due_at            DATETIME NOT NULL,
  extended          INTEGER  NOT NULL DEFAULT 0,
  extension_reason  TEXT     NOT NULL DEFAULT '',
  verified_at       DATETIME NULL,
  concluded_at      DATETIME NULL,
  closed_at         DATETIME NULL,
  revisit_due_at    DATETIME NULL,
  merged_into_id    INTEGER  NULL REFERENCES cases(id),
  created_by        INTEGER  NULL REFERENCES users(id),
  updated_at        DATETIME NOT NULL
);
CREATE INDEX cases_status_due ON cases (status, due_at);
CREATE INDEX cases_town ON cases (town_id, opened_at);
CREATE INDEX cases_unit ON cases (unit_id, opened_at);

CREATE TABLE complaints (
  id                INTEGER  PRIMARY KEY,
  tracking_mac      TEXT     NOT NULL UNIQUE,
  channel           TEXT     NOT NULL,
  status            TEXT     NOT NULL,
  source_ref        TEXT     NULL,
  lookup_mac        TEXT     NULL,
  categories        TEXT     NOT NULL DEFAULT '',
  category_text     TEXT     NOT NULL DEFAULT '',
  town_id           INTEGER  NULL REFERENCES units(id),
  town_text         TEXT     NOT NULL DEFAULT '',
  address           TEXT     NOT NULL DEFAULT '',
  subject           TEXT     NOT NULL DEFAULT '',
  description       TEXT     NOT NULL,
  occurred_text     TEXT     NOT NULL DEFAULT '',
  identity          TEXT     NOT NULL,
  contact_enc       TEXT     NULL,
  contact_erased_at DATETIME NULL,
  wants_reward      INTEGER  NOT NULL DEFAULT 0,
  case_id           INTEGER  NULL REFERENCES cases(id),
  refuse_reason     TEXT     NOT NULL DEFAULT '',
  received_at       DATETIME NOT NULL,
  decide_due_at     DATETIME NOT NULL,
  reply_due_at      DATETIME NULL,
  extra             TEXT     NOT NULL DEFAULT '',
  warnings          TEXT     NOT NULL DEFAULT '',
  source_hash       TEXT     NOT NULL DEFAULT '',
  created_by        INTEGER  NULL REFERENCES users(id),
  updated_at        DATETIME NOT NULL,
  UNIQUE (channel, source_ref)
);
CREATE INDEX complaints_status_received ON complaints (status, received_at);
CREATE INDEX complaints_case ON complaints (case_id);
CREATE INDEX complaints_lookup ON complaints (lookup_mac);
CREATE INDEX complaints_received ON complaints (received_at);

CREATE TABLE events (
  id            INTEGER  PRIMARY KEY,
  case_id       INTEGER  NULL REFERENCES cases(id),
  complaint_id  INTEGER  NULL REFERENCES complaints(id),
  kind          TEXT     NOT NULL,
  from_status   TEXT     NOT NULL DEFAULT '',
  to_status     TEXT     NOT NULL DEFAULT '',
  actor_id      INTEGER  NULL REFERENCES users(id),
  actor         TEXT     NOT NULL,
  public_note   TEXT     NOT NULL DEFAULT '',
  internal_note TEXT     NOT NULL DEFAULT '',
  created_at    DATETIME NOT NULL
);
CREATE INDEX events_case ON events (case_id, id);
CREATE INDEX events_complaint ON events (complaint_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE complaints;
DROP TABLE cases;

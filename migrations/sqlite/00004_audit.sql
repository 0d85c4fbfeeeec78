-- +goose Up
-- Append-only, hash-chained audit log. Rows are written unsealed (seq, hash
-- NULL) inside the transaction that does the work; a sealer chains them in
-- order afterwards, so no request waits on a global lock.
CREATE TABLE audit_log (
  id          INTEGER  PRIMARY KEY,
  seq         INTEGER  NULL UNIQUE,
  at          DATETIME NOT NULL,
  actor       TEXT     NOT NULL,
  action      TEXT     NOT NULL,
  object_type TEXT     NOT NULL DEFAULT '',
  object_id   TEXT     NOT NULL DEFAULT '',
  detail      TEXT     NOT NULL DEFAULT '',
  prev_hash   TEXT     NULL,
  hash        TEXT     NULL
);
CREATE INDEX audit_unsealed ON audit_log (seq, id);

-- Captcha challenges, shared by every instance.
CREATE TABLE captchas (
  id         TEXT     PRIMARY KEY,
  digits     TEXT     NOT NULL,
  expires_at DATETIME NOT NULL
);
CREATE INDEX captchas_expires ON captchas (expires_at);

-- +goose Down
DROP TABLE captchas;
DROP TABLE audit_log;

-- +goose Up
-- Staff accounts. Roles are listed in security.md; unit_id only for role unit.
CREATE TABLE users (
  id              INTEGER  PRIMARY KEY,
  username        TEXT     NOT NULL UNIQUE,
  display_name    TEXT     NOT NULL DEFAULT '',
  role            TEXT     NOT NULL,
  unit_id         INTEGER  NULL REFERENCES units(id),
  password_hash   TEXT     NOT NULL,
  active          INTEGER  NOT NULL DEFAULT 1,
  totp_secret     TEXT     NULL,
  failed_logins   INTEGER  NOT NULL DEFAULT 0,
  locked_until    DATETIME NULL,
  created_at      DATETIME NOT NULL,
  updated_at      DATETIME NOT NULL
);

-- +goose Down
DROP TABLE users;

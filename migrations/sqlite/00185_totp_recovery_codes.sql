-- +goose Up
-- TOTP recovery codes (两步验证恢复码): shown once, kept only as their HMAC,
-- each good for one login when the phone is lost.
CREATE TABLE totp_recovery_codes (
  id         INTEGER  PRIMARY KEY,
  user_id    INTEGER  NOT NULL REFERENCES users(id),
  code_mac   TEXT     NOT NULL,
  created_at DATETIME NOT NULL,
  used_at    DATETIME NULL,
  UNIQUE (user_id, code_mac)
);

-- +goose Down
DROP TABLE totp_recovery_codes;

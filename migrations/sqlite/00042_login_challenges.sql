-- +goose Up
-- Second-factor logins in progress (TOTP): the password was right, the
-- six-digit code is still to come. id is the SHA-256 (hex) of the random
-- token in a short-lived cookie; attempts counts wrong codes.
CREATE TABLE login_challenges (
  id         TEXT     PRIMARY KEY,
  user_id    INTEGER  NOT NULL REFERENCES users(id),
  attempts   INTEGER  NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges (user_id);

-- +goose Down
DROP TABLE login_challenges;

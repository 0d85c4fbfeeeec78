-- +goose Up
-- Second-factor logins in progress (TOTP): the password was right, the
-- six-digit code is still to come. id is the SHA-256 (hex) of the random
-- token in a short-lived cookie; attempts counts wrong codes.
CREATE TABLE login_challenges (
  id         CHAR(64)    NOT NULL PRIMARY KEY,
  user_id    BIGINT      NOT NULL,
  attempts   INT         NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  KEY login_challenges_user (user_id),
  CONSTRAINT login_challenges_user_fk FOREIGN KEY (user_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE login_challenges;

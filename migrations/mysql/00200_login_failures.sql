-- +goose Up
-- Failed staff logins counted per key, shared by every instance: the typed
-- username (whether or not such an account exists, so the counts reveal
-- none), the client, or a logged-in user re-entering a password. id is the
-- HMAC of scope and value under the data key, never a name or address.
-- An account key asks for a captcha after a few failures; a client key
-- makes the client wait ever longer (wait_until); nothing locks an account.
CREATE TABLE login_failures (
  id         CHAR(64)    NOT NULL PRIMARY KEY,
  failures   INT         NOT NULL DEFAULT 0,
  last_at    DATETIME(6) NOT NULL,
  wait_until DATETIME(6) NULL,
  KEY login_failures_last (last_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE login_failures;

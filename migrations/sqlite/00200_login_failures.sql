-- +goose Up
-- Failed staff logins counted per key, shared by every instance: the typed
-- username (whether or not such an account exists, so the counts reveal
-- none), the client, or a logged-in user re-entering a password. id is the
-- HMAC of scope and value under the data key, never a name or address.
-- An account key asks for a captcha after a few failures; a client key
-- makes the client wait ever longer (wait_until); nothing locks an account.
CREATE TABLE login_failures (
  id         TEXT     PRIMARY KEY,
  failures   INTEGER  NOT NULL DEFAULT 0,
  last_at    DATETIME NOT NULL,
  wait_until DATETIME NULL
);
CREATE INDEX login_failures_last ON login_failures (last_at);

-- +goose Down
DROP TABLE login_failures;

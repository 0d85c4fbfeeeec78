-- +goose Up
-- Staff sessions of the back office, shared by every instance. id is the
-- SHA-256 (hex) of the random token in the cookie: a leaked table opens no
-- session. csrf is the token every form of the session carries.
CREATE TABLE sessions (
  id           TEXT     PRIMARY KEY,
  user_id      INTEGER  NOT NULL REFERENCES users(id),
  csrf         TEXT     NOT NULL,
  created_at   DATETIME NOT NULL,
  last_seen_at DATETIME NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;

-- +goose Up
-- Staff sessions of the back office, shared by every instance. id is the
-- SHA-256 (hex) of the random token in the cookie: a leaked table opens no
-- session. csrf is the token every form of the session carries.
CREATE TABLE sessions (
  id           CHAR(64)     NOT NULL PRIMARY KEY,
  user_id      BIGINT       NOT NULL,
  csrf         CHAR(64)     NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  last_seen_at DATETIME(6)  NOT NULL,
  KEY sessions_user (user_id),
  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sessions;

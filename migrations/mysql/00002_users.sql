-- +goose Up
-- Staff accounts. Roles are listed in security.md; unit_id only for role unit.
CREATE TABLE users (
  id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username        VARCHAR(64)  NOT NULL UNIQUE,
  display_name    VARCHAR(64)  NOT NULL DEFAULT '',
  role            VARCHAR(32)  NOT NULL,
  unit_id         BIGINT       NULL,
  password_hash   VARCHAR(255) NOT NULL,
  active          BOOLEAN      NOT NULL DEFAULT TRUE,
  totp_secret     VARCHAR(255) NULL,
  failed_logins   INT          NOT NULL DEFAULT 0,
  locked_until    DATETIME(6)  NULL,
  created_at      DATETIME(6)  NOT NULL,
  updated_at      DATETIME(6)  NOT NULL,
  CONSTRAINT users_unit_fk FOREIGN KEY (unit_id) REFERENCES units(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE users;

-- +goose Up
-- TOTP recovery codes (两步验证恢复码): shown once, kept only as their HMAC,
-- each good for one login when the phone is lost.
CREATE TABLE totp_recovery_codes (
  id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id    BIGINT      NOT NULL,
  code_mac   VARCHAR(64) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6) NOT NULL,
  used_at    DATETIME(6) NULL,
  UNIQUE KEY totp_recovery_user_code (user_id, code_mac),
  CONSTRAINT totp_recovery_user_fk FOREIGN KEY (user_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE totp_recovery_codes;

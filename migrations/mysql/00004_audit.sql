-- +goose Up
-- Append-only, hash-chained audit log. Rows are written unsealed (seq, hash
-- NULL) inside the transaction that does the work; a sealer chains them in
-- order afterwards, so no request waits on a global lock.
CREATE TABLE audit_log (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seq         BIGINT       NULL UNIQUE,
  at          DATETIME(6)  NOT NULL,
  actor       VARCHAR(64)  NOT NULL,
  action      VARCHAR(64)  NOT NULL,
  object_type VARCHAR(32)  NOT NULL DEFAULT '',
  object_id   VARCHAR(64)  NOT NULL DEFAULT '',
  detail      TEXT         NOT NULL,
  prev_hash   CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NULL,
  hash        CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NULL,
  KEY audit_unsealed (seq, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Captcha challenges, shared by every instance.
CREATE TABLE captchas (
  id         VARCHAR(40)  NOT NULL PRIMARY KEY,
  digits     VARCHAR(16)  NOT NULL,
  expires_at DATETIME(6)  NOT NULL,
  KEY captchas_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE captchas;
DROP TABLE audit_log;

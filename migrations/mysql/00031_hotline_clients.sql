-- +goose Up
-- Hotline systems allowed to push tickets (推送客户端): the shared HMAC secret is
-- stored sealed (AES-GCM with the data key), because checking a signature needs
-- the secret itself. Seen signatures are kept for the 5-minute window so that
-- a replay is refused by every instance.
CREATE TABLE hotline_clients (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name        VARCHAR(64)  NOT NULL UNIQUE,
  secret_enc  TEXT         NOT NULL,
  created_at  DATETIME(6)  NOT NULL,
  disabled_at DATETIME(6)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE hotline_signatures (
  signature   CHAR(64)     NOT NULL PRIMARY KEY,
  client      VARCHAR(64)  NOT NULL,
  seen_at     DATETIME(6)  NOT NULL,
  KEY hotline_signatures_seen (seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE hotline_signatures;
DROP TABLE hotline_clients;

-- +goose Up
-- Hotline systems allowed to push tickets (推送客户端): the shared HMAC secret is
-- stored sealed (AES-GCM with the data key), because checking a signature needs
-- the secret itself. Seen signatures are kept for the 5-minute window so that
-- a replay is refused by every instance.
CREATE TABLE hotline_clients (
  id          INTEGER  PRIMARY KEY,
  name        TEXT     NOT NULL UNIQUE,
  secret_enc  TEXT     NOT NULL,
  created_at  DATETIME NOT NULL,
  disabled_at DATETIME NULL
);

CREATE TABLE hotline_signatures (
  signature   TEXT     NOT NULL PRIMARY KEY,
  client      TEXT     NOT NULL,
  seen_at     DATETIME NOT NULL
);
CREATE INDEX hotline_signatures_seen ON hotline_signatures (seen_at);

-- +goose Down
DROP TABLE hotline_signatures;
DROP TABLE hotline_clients;

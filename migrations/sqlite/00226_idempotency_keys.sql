-- +goose Up
-- Idempotency keys (幂等键) of filings: a client's Idempotency-Key header,
-- or the report form's hidden key, kept for a day with the answer its
-- filing got, so that a retry files nothing and gets that answer again.
-- id is the HMAC of the surface (and partner) and the key under the data
-- key, never the key itself; body_hash is the SHA-256 of the request;
-- answer is sealed with the data key (it holds the tracking code). The row
-- is written in the filing's transaction: a concurrent request with the
-- same key waits on it, then finds it.
CREATE TABLE idempotency_keys (
  id         TEXT     PRIMARY KEY,
  body_hash  TEXT     NOT NULL,
  answer     TEXT     NOT NULL,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;

-- +goose Up
-- Receipts (回执) waiting to be shown: a filing answers with a redirect to
-- the receipt page, which finds its receipt by a random token in a cookie,
-- so a refresh shows the same code instead of sending the form again. id is
-- a SHA-256 (hex) of the token and sealed the tracking code encrypted under
-- a key derived from the token, which is stored nowhere: the table alone
-- reveals no code. Rows live for minutes and are deleted when they expire.
CREATE TABLE receipts (
  id           TEXT     PRIMARY KEY,
  complaint_id INTEGER  NOT NULL REFERENCES complaints(id),
  sealed       TEXT     NOT NULL,
  created_at   DATETIME NOT NULL,
  expires_at   DATETIME NOT NULL
);
CREATE INDEX receipts_expires ON receipts (expires_at);

-- +goose Down
DROP TABLE receipts;

-- +goose Up
-- Receipts (回执) waiting to be shown: a filing answers with a redirect to
-- the receipt page, which finds its receipt by a random token in a cookie,
-- so a refresh shows the same code instead of sending the form again. id is
-- a SHA-256 (hex) of the token and sealed the tracking code encrypted under
-- a key derived from the token, which is stored nowhere: the table alone
-- reveals no code. Rows live for minutes and are deleted when they expire.
CREATE TABLE receipts (
  id           CHAR(64)     NOT NULL PRIMARY KEY,
  complaint_id BIGINT       NOT NULL,
  sealed       VARCHAR(255) NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  expires_at   DATETIME(6)  NOT NULL,
  KEY receipts_expires (expires_at),
  CONSTRAINT receipts_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE receipts;

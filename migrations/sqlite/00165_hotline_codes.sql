-- +goose Up
-- The tracking code (查询码) of each hotline ticket, sealed with the data key:
-- a caller cannot see the receipt, so the hotline operator reads the code out
-- from the feedback export (回音); every reading is audited. Codes of other
-- channels are kept only as their HMAC (complaints.tracking_mac).
CREATE TABLE hotline_codes (
  complaint_id INTEGER  NOT NULL PRIMARY KEY REFERENCES complaints(id),
  code_enc     TEXT     NOT NULL,
  created_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE hotline_codes;

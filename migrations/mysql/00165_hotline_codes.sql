-- +goose Up
-- The tracking code (查询码) of each hotline ticket, sealed with the data key:
-- a caller cannot see the receipt, so the hotline operator reads the code out
-- from the feedback export (回音); every reading is audited. Codes of other
-- channels are kept only as their HMAC (complaints.tracking_mac).
CREATE TABLE hotline_codes (
  complaint_id BIGINT      NOT NULL PRIMARY KEY,
  code_enc     TEXT        NOT NULL,
  created_at   DATETIME(6) NOT NULL,
  CONSTRAINT hotline_codes_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE hotline_codes;

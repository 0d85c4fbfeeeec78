-- +goose Up
-- Photos attached to a complaint when filing or with an addition. Files live
-- under the data directory (uploads/STORED_NAME), re-encoded without metadata;
-- the stored name is random and never derived from what the client sent.
CREATE TABLE attachments (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT       NOT NULL,
  addition_id  BIGINT       NULL,
  stored_name  VARCHAR(64)  NOT NULL UNIQUE,
  mime         VARCHAR(32)  NOT NULL,
  size_bytes   BIGINT       NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  KEY attachments_complaint (complaint_id, id),
  CONSTRAINT attachments_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT attachments_addition_fk FOREIGN KEY (addition_id) REFERENCES complaint_additions(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE attachments;

-- +goose Up
-- Information a resident adds to a complaint through the tracking page (补充材料).
CREATE TABLE complaint_additions (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT      NOT NULL,
  body         TEXT        NOT NULL,
  created_at   DATETIME(6) NOT NULL,
  KEY complaint_additions_complaint (complaint_id, id),
  CONSTRAINT complaint_additions_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE complaint_additions;

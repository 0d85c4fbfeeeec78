-- +goose Up
-- The reporter's rating of the outcome (满意/基本满意/不满意), once per complaint.
CREATE TABLE ratings (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT      NOT NULL UNIQUE,
  rating       VARCHAR(16) NOT NULL,
  comment      TEXT        NOT NULL,
  created_at   DATETIME(6) NOT NULL,
  CONSTRAINT ratings_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE ratings;

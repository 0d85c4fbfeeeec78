-- +goose Up
-- Photos staff and units add to a case (佐证照片): the inspectors' on-site
-- photos (kind onsite, from verification or an inspection finding) and the
-- photos a responsible unit sends with its rectification report (before,
-- after; notice_id names the notice answered). Files live beside the
-- residents' photos (uploads/STORED_NAME), re-encoded without metadata,
-- under random names.
CREATE TABLE case_photos (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id     BIGINT       NOT NULL,
  notice_id   BIGINT       NULL,
  kind        VARCHAR(16)  NOT NULL,
  stored_name VARCHAR(64)  NOT NULL UNIQUE,
  mime        VARCHAR(32)  NOT NULL,
  size_bytes  BIGINT       NOT NULL,
  uploaded_by BIGINT       NULL,
  created_at  DATETIME(6)  NOT NULL,
  KEY case_photos_case (case_id, id),
  CONSTRAINT case_photos_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT case_photos_notice_fk FOREIGN KEY (notice_id) REFERENCES notices(id),
  CONSTRAINT case_photos_user_fk FOREIGN KEY (uploaded_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE case_photos;

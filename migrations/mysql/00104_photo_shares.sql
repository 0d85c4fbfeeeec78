-- +goose Up
-- The photos an inspector shares with the responsible unit of a case
-- (提供给责任单位的照片): a resident's photo (source resident, photo_id an
-- attachments id) or an on-site photo (source case, a case_photos id). A
-- unit user sees a photo only through a row here for the photo's current
-- case, and only while its unit has a notice on that case.
CREATE TABLE photo_shares (
  id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id   BIGINT       NOT NULL,
  source    VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  photo_id  BIGINT       NOT NULL,
  shared_by BIGINT       NULL,
  shared_at DATETIME(6)  NOT NULL,
  UNIQUE KEY photo_shares_photo (case_id, source, photo_id),
  CONSTRAINT photo_shares_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT photo_shares_user_fk FOREIGN KEY (shared_by) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE photo_shares;

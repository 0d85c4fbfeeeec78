-- +goose Up
-- The photos an inspector shares with the responsible unit of a case
-- (提供给责任单位的照片): a resident's photo (source resident, photo_id an
-- attachments id) or an on-site photo (source case, a case_photos id). A
-- unit user sees a photo only through a row here for the photo's current
-- case, and only while its unit has a notice on that case.
CREATE TABLE photo_shares (
  id        INTEGER  PRIMARY KEY,
  case_id   INTEGER  NOT NULL REFERENCES cases(id),
  source    TEXT     NOT NULL,
  photo_id  INTEGER  NOT NULL,
  shared_by INTEGER  NULL REFERENCES users(id),
  shared_at DATETIME NOT NULL,
  UNIQUE (case_id, source, photo_id)
);

-- +goose Down
DROP TABLE photo_shares;

-- +goose Up
-- Photos staff and units add to a case (佐证照片): the inspectors' on-site
-- photos (kind onsite, from verification or an inspection finding) and the
-- photos a responsible unit sends with its rectification report (before,
-- after; notice_id names the notice answered). Files live beside the
-- residents' photos (uploads/STORED_NAME), re-encoded without metadata,
-- under random names.
CREATE TABLE case_photos (
  id          INTEGER  PRIMARY KEY,
  case_id     INTEGER  NOT NULL REFERENCES cases(id),
  notice_id   INTEGER  NULL REFERENCES notices(id),
  kind        TEXT     NOT NULL,
  stored_name TEXT     NOT NULL UNIQUE,
  mime        TEXT     NOT NULL,
  size_bytes  INTEGER  NOT NULL,
  uploaded_by INTEGER  NULL REFERENCES users(id),
  created_at  DATETIME NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id, id);

-- +goose Down
DROP TABLE case_photos;

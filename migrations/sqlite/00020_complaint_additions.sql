-- +goose Up
-- Information a resident adds to a complaint through the tracking page (补充材料).
CREATE TABLE complaint_additions (
  id           INTEGER  PRIMARY KEY,
  complaint_id INTEGER  NOT NULL REFERENCES complaints(id),
  body         TEXT     NOT NULL DEFAULT '',
  created_at   DATETIME NOT NULL
);
CREATE INDEX complaint_additions_complaint ON complaint_additions (complaint_id, id);

-- +goose Down
DROP TABLE complaint_additions;

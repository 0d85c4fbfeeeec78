-- +goose Up
-- The reporter's rating of the outcome (满意/基本满意/不满意), once per complaint.
CREATE TABLE ratings (
  id           INTEGER  PRIMARY KEY,
  complaint_id INTEGER  NOT NULL UNIQUE REFERENCES complaints(id),
  rating       TEXT     NOT NULL,
  comment      TEXT     NOT NULL DEFAULT '',
  created_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE ratings;

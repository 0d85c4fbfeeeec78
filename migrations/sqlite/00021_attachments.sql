-- +goose Up
-- Photos attached to a complaint when filing or with an addition. Files live
-- under the data directory (uploads/STORED_NAME), re-encoded without metadata;
-- the stored name is random and never derived from what the client sent.
CREATE TABLE attachments (
  id           INTEGER  PRIMARY KEY,
  complaint_id INTEGER  NOT NULL REFERENCES complaints(id),
  addition_id  INTEGER  NULL REFERENCES complaint_additions(id),
  stored_name  TEXT     NOT NULL UNIQUE,
  mime         TEXT     NOT NULL,
  size_bytes   INTEGER  NOT NULL,
  created_at   DATETIME NOT NULL
);
CREATE INDEX attachments_complaint ON attachments (complaint_id, id);

-- +goose Down
DROP TABLE attachments;

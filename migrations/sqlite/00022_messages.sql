-- +goose Up
-- Two-way messages between staff and the (anonymous) reporter of a complaint:
-- direction 'staff' is a question or note from the task force, 'resident' an
-- answer given with the tracking code. author_id is set for staff only.
CREATE TABLE messages (
  id           INTEGER  PRIMARY KEY,
  complaint_id INTEGER  NOT NULL REFERENCES complaints(id),
  direction    TEXT     NOT NULL,
  body         TEXT     NOT NULL,
  reply_to_id  INTEGER  NULL REFERENCES messages(id),
  author_id    INTEGER  NULL REFERENCES users(id),
  created_at   DATETIME NOT NULL,
  read_at      DATETIME NULL
);
CREATE INDEX messages_complaint ON messages (complaint_id, id);

-- +goose Down
DROP TABLE messages;

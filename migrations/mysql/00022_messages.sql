-- +goose Up
-- Two-way messages between staff and the (anonymous) reporter of a complaint:
-- direction 'staff' is a question or note from the task force, 'resident' an
-- answer given with the tracking code. author_id is set for staff only.
CREATE TABLE messages (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  complaint_id BIGINT      NOT NULL,
  direction    VARCHAR(16) NOT NULL,
  body         TEXT        NOT NULL,
  reply_to_id  BIGINT      NULL,
  author_id    BIGINT      NULL,
  created_at   DATETIME(6) NOT NULL,
  read_at      DATETIME(6) NULL,
  KEY messages_complaint (complaint_id, id),
  CONSTRAINT messages_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT messages_reply_fk FOREIGN KEY (reply_to_id) REFERENCES messages(id),
  CONSTRAINT messages_author_fk FOREIGN KEY (author_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE messages;

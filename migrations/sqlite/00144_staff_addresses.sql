-- +goose Up
-- Staff e-mail addresses for notifications (工作人员通知邮箱), kept apart from
-- the accounts: only the outbox reads them. A unit hears through its users.
CREATE TABLE staff_addresses (
  user_id    INTEGER  NOT NULL PRIMARY KEY REFERENCES users(id),
  email      TEXT     NOT NULL,
  updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE staff_addresses;

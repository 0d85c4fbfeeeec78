-- +goose Up
-- Staff e-mail addresses for notifications (工作人员通知邮箱), kept apart from
-- the accounts: only the outbox reads them. A unit hears through its users.
CREATE TABLE staff_addresses (
  user_id    BIGINT       NOT NULL PRIMARY KEY,
  email      VARCHAR(254) NOT NULL,
  updated_at DATETIME(6)  NOT NULL,
  CONSTRAINT staff_addresses_user_fk FOREIGN KEY (user_id) REFERENCES users(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE staff_addresses;

-- +goose Up
-- Failed hotline ticket lookups (工单编号 + 手机号后四位) per ticket, shared by
-- every instance: after ten in a day the ticket's lookup is locked and the
-- caller needs the tracking code. ticket_key is the HMAC of the ticket number
-- as typed, normalised, so that no ticket number is stored.
CREATE TABLE ticket_lookups (
  ticket_key   CHAR(64)    NOT NULL PRIMARY KEY,
  failures     BIGINT      NOT NULL DEFAULT 0,
  window_start DATETIME(6) NOT NULL,
  KEY ticket_lookups_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE ticket_lookups;

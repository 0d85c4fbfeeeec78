-- +goose Up
-- Failed hotline ticket lookups (工单编号 + 手机号后四位) per ticket, shared by
-- every instance: after ten in a day the ticket's lookup is locked and the
-- caller needs the tracking code. ticket_key is the HMAC of the ticket number
-- as typed, normalised, so that no ticket number is stored.
CREATE TABLE ticket_lookups (
  ticket_key   TEXT     NOT NULL PRIMARY KEY,
  failures     INTEGER  NOT NULL DEFAULT 0,
  window_start DATETIME NOT NULL
);
CREATE INDEX ticket_lookups_window ON ticket_lookups (window_start);

-- +goose Down
DROP TABLE ticket_lookups;

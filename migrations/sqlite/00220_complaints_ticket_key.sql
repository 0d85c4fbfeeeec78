-- +goose Up
-- The duplicate-ticket key without a value every ticketless filing shares
-- (see the MySQL migration: a Galera node certifies by unique-key values).
-- SQLite has no such problem; the same column and key keep the engines'
-- schemas alike. The table's inline UNIQUE (channel, source_ref) stays: it
-- cannot be dropped without rebuilding the table, and it lets NULLs repeat.
ALTER TABLE complaints ADD COLUMN source_channel TEXT
  GENERATED ALWAYS AS (CASE WHEN source_ref IS NULL THEN NULL ELSE channel END) VIRTUAL;
CREATE UNIQUE INDEX complaints_ticket ON complaints (source_channel, source_ref);

-- +goose Down
DROP INDEX complaints_ticket;
ALTER TABLE complaints DROP COLUMN source_channel;

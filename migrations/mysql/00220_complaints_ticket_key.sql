-- +goose Up
-- The duplicate-ticket key without a value every ticketless filing shares.
-- UNIQUE (channel, source_ref) held ('web', NULL) for every web and API
-- complaint: InnoDB lets the NULLs repeat, but a Galera node certifies a
-- write by its unique-key values and skips a key only when all of its parts
-- are NULL, so two such filings on two nodes conflicted (error 1213).
-- source_channel is the channel only when there is a ticket number, so the
-- key is all NULL for a ticketless complaint and the guarantee is unchanged
-- for tickets. The old index stays, not unique, for lookups by ticket.
ALTER TABLE complaints
  ADD COLUMN source_channel VARCHAR(16) AS (IF(source_ref IS NULL, NULL, channel)) STORED,
  ADD UNIQUE KEY complaints_ticket (source_channel, source_ref),
  DROP KEY complaints_source,
  ADD KEY complaints_source (channel, source_ref);

-- +goose Down
ALTER TABLE complaints
  DROP KEY complaints_source,
  ADD UNIQUE KEY complaints_source (channel, source_ref),
  DROP KEY complaints_ticket,
  DROP COLUMN source_channel;

-- +goose Up
-- What a case is about, in full (description, address: the notice quotes
-- them and the unit works from them, where the title is a short summary),
-- why it last went back to the unit (reopen_reason, shown to the unit), and
-- the public reply a reopening withdrew (superseded_reply and when): once
-- the problem came back, the old answer no longer stands on any tracking page
-- or in Open311, but it stays on record. One ALTER: one DDL statement.
ALTER TABLE cases
  ADD COLUMN description         TEXT          NOT NULL,
  ADD COLUMN address             VARCHAR(1000) NOT NULL DEFAULT '',
  ADD COLUMN reopen_reason       TEXT          NOT NULL,
  ADD COLUMN superseded_reply    TEXT          NOT NULL,
  ADD COLUMN reply_superseded_at DATETIME(6)   NULL;

-- +goose Down
ALTER TABLE cases DROP COLUMN reply_superseded_at, DROP COLUMN superseded_reply, DROP COLUMN reopen_reason,
  DROP COLUMN address, DROP COLUMN description;

-- +goose Up
-- What a case is about, in full (description, address: the notice quotes
-- them and the unit works from them, where the title is a short summary),
-- why it last went back to the unit (reopen_reason, shown to the unit), and
-- the public reply a reopening withdrew (superseded_reply and when): once
-- the problem came back, the old answer no longer stands on any tracking page
-- or in Open311, but it stays on record.
ALTER TABLE cases ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN reopen_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN superseded_reply TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN reply_superseded_at DATETIME NULL;

-- +goose Down
ALTER TABLE cases DROP COLUMN reply_superseded_at;
ALTER TABLE cases DROP COLUMN superseded_reply;
ALTER TABLE cases DROP COLUMN reopen_reason;
ALTER TABLE cases DROP COLUMN address;
ALTER TABLE cases DROP COLUMN description;

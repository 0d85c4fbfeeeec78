-- +goose Up
-- The prefix of a notice's number (石环督整〔2026〕12号), kept with each
-- notice: a county configures its own, and a number once printed never
-- changes. Notices issued before this migration are Shiquan County's.
ALTER TABLE notices ADD COLUMN prefix VARCHAR(32) NOT NULL DEFAULT '石环督整';

-- +goose Down
ALTER TABLE notices DROP COLUMN prefix;

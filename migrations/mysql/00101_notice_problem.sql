-- +goose Up
-- The problem as the notice states it (问题描述): the inspector's own words
-- at issue time, the case's description by default. A notice is a document:
-- what it said stays as it was sent.
ALTER TABLE notices ADD COLUMN problem TEXT NOT NULL;

-- +goose Down
ALTER TABLE notices DROP COLUMN problem;

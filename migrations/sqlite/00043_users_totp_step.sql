-- +goose Up
-- The time step of the last TOTP code a user logged in with: a code is
-- accepted once (no replay within its 30-second window).
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_last_step;

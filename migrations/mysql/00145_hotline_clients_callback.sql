-- +goose Up
-- Where a hotline system wants its results pushed back (回调地址): one signed
-- callback per public state change of each of its tickets, through the outbox.
-- Empty: the system pulls (GET /api/hotline/v1/tickets/…) or takes the file.
ALTER TABLE hotline_clients ADD COLUMN callback_url VARCHAR(1000) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE hotline_clients DROP COLUMN callback_url;

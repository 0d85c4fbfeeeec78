-- +goose Up
-- 我的问题 and the inbox's assignment filter: complaints by holder and status.
CREATE INDEX complaints_assignee ON complaints (assignee_id, status, received_at);

-- +goose Down
DROP INDEX complaints_assignee;

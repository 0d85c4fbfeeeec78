-- +goose Up
-- 我的问题: the cases one inspector holds, nearest deadline first.
CREATE INDEX cases_assignee ON cases (assignee_id, due_at);

-- +goose Down
DROP INDEX cases_assignee;

-- +goose Up
-- The year's reward budget (年度奖励预算), in fen. committed = approved and not
-- yet paid; paid = paid out. Approval is one conditional UPDATE on this row;
-- the CHECK is a second line of defence that the budget is never exceeded.
CREATE TABLE reward_budgets (
  year          INT          NOT NULL PRIMARY KEY,
  total_fen     BIGINT       NOT NULL,
  committed_fen BIGINT       NOT NULL DEFAULT 0,
  paid_fen      BIGINT       NOT NULL DEFAULT 0,
  updated_at    DATETIME(6)  NOT NULL,
  CONSTRAINT reward_budgets_sane CHECK (committed_fen >= 0 AND paid_fen >= 0 AND committed_fen + paid_fen <= total_fen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE reward_budgets;

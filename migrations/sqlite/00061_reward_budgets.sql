-- +goose Up
-- The year's reward budget (年度奖励预算), in fen. committed = approved and not
-- yet paid; paid = paid out. Approval is one conditional UPDATE on this row;
-- the CHECK is a second line of defence that the budget is never exceeded.
CREATE TABLE reward_budgets (
  year          INTEGER  NOT NULL PRIMARY KEY,
  total_fen     INTEGER  NOT NULL,
  committed_fen INTEGER  NOT NULL DEFAULT 0,
  paid_fen      INTEGER  NOT NULL DEFAULT 0,
  updated_at    DATETIME NOT NULL,
  CHECK (committed_fen >= 0 AND paid_fen >= 0 AND committed_fen + paid_fen <= total_fen)
);

-- +goose Down
DROP TABLE reward_budgets;

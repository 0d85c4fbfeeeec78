package reward

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Level is a reward level (奖励等级) with its amount range in fen, both ends
// included. The three levels are seeded by migration; an admin edits ranges.
type Level struct {
	Code      string `db:"code"`
	Name      string `db:"name"`
	MinFen    int64  `db:"min_fen"`
	MaxFen    int64  `db:"max_fen"`
	SortOrder int    `db:"sort_order"`
}

// Contains reports whether amount (fen) lies within the level.
func (l *Level) Contains(fen int64) bool { return fen >= l.MinFen && fen <= l.MaxFen }

// MaxAmountFen bounds the levels an admin may set (1,000,000 yuan): a guard
// against a slip of the keyboard, not a rule; the rules are the levels.
const MaxAmountFen = 100_000_000

// Levels lists the levels in order.
func (s *Service) Levels(ctx context.Context) ([]Level, error) {
	var ls []Level
	if err := s.DB.SelectContext(ctx, &ls, `SELECT code, name, min_fen, max_fen, sort_order FROM reward_levels ORDER BY sort_order, code`); err != nil {
		return nil, db.Classify(fmt.Errorf("reward: levels: %w", err))
	}
	return ls, nil
}

func levelTx(ctx context.Context, tx *sqlx.Tx, code string) (*Level, error) {
	var l Level
	if err := tx.GetContext(ctx, &l, `SELECT code, name, min_fen, max_fen, sort_order FROM reward_levels WHERE code = ?`, code); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.Invalid(map[string]string{"level": "请选择奖励等级"})
		}
		return nil, err
	}
	return &l, nil
}

// SetLevel changes a level's range (fen, both ends included). Admin only (the
// edge checks the role); audited with the old and new range. EINVALID for an
// unknown level or a bad range.
func (s *Service) SetLevel(ctx context.Context, code string, minFen, maxFen int64, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	if minFen <= 0 || maxFen < minFen || maxFen > MaxAmountFen {
		return apperr.Invalid(map[string]string{"range": "金额范围无效：下限须大于0且不高于上限"})
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := levelTx(ctx, tx, code)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reward_levels SET min_fen = ?, max_fen = ? WHERE code = ?`, minFen, maxFen, code); err != nil {
			return fmt.Errorf("reward: set level %s: %w", code, err)
		}
		return audit.Append(ctx, tx, s.now(), by.Name, "reward.level_set", "reward_level", code, map[string]any{
			"from": []int64{old.MinFen, old.MaxFen}, "to": []int64{minFen, maxFen}})
	})
}

// Budget is a year's reward budget (年度奖励预算) in fen. Committed is approved
// and not yet paid out; Left = Total - Committed - Paid.
type Budget struct {
	Year         int   `db:"year"`
	TotalFen     int64 `db:"total_fen"`
	CommittedFen int64 `db:"committed_fen"`
	PaidFen      int64 `db:"paid_fen"`
	LeftFen      int64 `db:"-"`
}

// Budget returns a year's budget. ENOTFOUND when none is set.
func (s *Service) Budget(ctx context.Context, year int) (*Budget, error) {
	var b Budget
	if err := s.DB.GetContext(ctx, &b, `SELECT year, total_fen, committed_fen, paid_fen FROM reward_budgets WHERE year = ?`, year); err != nil {
		return nil, db.Classify(db.NotFound(err, fmt.Sprintf("%d年度奖励预算尚未设置", year)))
	}
	b.LeftFen = b.TotalFen - b.CommittedFen - b.PaidFen
	return &b, nil
}

// SetBudget sets a year's total (fen). Admin only (the edge checks the role);
// audited. EINVALID when the total is negative or below what is already
// committed and paid.
func (s *Service) SetBudget(ctx context.Context, year int, totalFen int64, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	if year < 2000 || year > 2200 {
		return apperr.Invalid(map[string]string{"year": "年度无效"})
	}
	if totalFen < 0 || totalFen > 1_000_000_000_000 {
		return apperr.Invalid(map[string]string{"total": "预算金额无效"})
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		var old Budget
		err := tx.GetContext(ctx, &old, s.DB.ForUpdate(`SELECT year, total_fen, committed_fen, paid_fen FROM reward_budgets WHERE year = ?`), year)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO reward_budgets (year, total_fen, committed_fen, paid_fen, updated_at) VALUES (?, ?, 0, 0, ?)`,
				year, totalFen, now); err != nil {
				return fmt.Errorf("reward: create budget %d: %w", year, err)
			}
		case err != nil:
			return fmt.Errorf("reward: budget %d: %w", year, err)
		default:
			// Conditional, so a concurrent approval cannot slip under a lowered total.
			res, err := tx.ExecContext(ctx, `UPDATE reward_budgets SET total_fen = ?, updated_at = ? WHERE year = ? AND committed_fen + paid_fen <= ?`,
				totalFen, now, year, totalFen)
			if err != nil {
				return fmt.Errorf("reward: set budget %d: %w", year, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.Invalid(map[string]string{"total": fmt.Sprintf("预算不能低于已批准和已发放的金额合计（%s元）", Yuan(old.CommittedFen+old.PaidFen))})
			}
		}
		return audit.Append(ctx, tx, now, by.Name, "reward.budget_set", "reward_budget", year, map[string]any{
			"from": old.TotalFen, "to": totalFen})
	})
}

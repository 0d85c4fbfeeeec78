package reward

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Text limits.
const (
	MaxBasis     = 1000
	MaxReason    = 500
	MaxReference = 64
)

func checkText(field, label, s string, max int) map[string]string {
	switch {
	case s == "":
		return map[string]string{field: "请填写" + label}
	case utf8.RuneCountInString(s) > max:
		return map[string]string{field: fmt.Sprintf("%s不能超过%d个字", label, max)}
	}
	if m := ledger.CheckText(s); m != "" {
		return map[string]string{field: m}
	}
	return nil
}

const proposeSQL = `UPDATE rewards SET status = 'proposed', level = ?, amount_fen = ?, basis = ?, proposed_by = ?, proposed_at = ?, updated_at = ?
 WHERE id = ? AND status = ?`

// Propose (拟定) sets a reward's level, amount (fen) and basis: eligible →
// proposed, or a proposed reward revised before approval (the reviser becomes
// the proposer). EINVALID for an unknown level, an amount outside the level or
// a missing basis; ECONFLICT when the reward is in another status; ENOTFOUND.
func (s *Service) Propose(ctx context.Context, id int64, level string, amountFen int64, basis string, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	basis = strings.TrimSpace(basis)
	if f := checkText("basis", "奖励依据", basis, MaxBasis); f != nil {
		return apperr.Invalid(f)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lock(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if r.Status != Eligible && r.Status != Proposed {
			return conflict(r, "拟定")
		}
		l, err := levelTx(ctx, tx, level)
		if err != nil {
			return err
		}
		if !l.Contains(amountFen) {
			return apperr.Invalid(map[string]string{"amount": fmt.Sprintf("“%s”等级的奖励金额应在%s元至%s元之间", l.Name, Yuan(l.MinFen), Yuan(l.MaxFen))})
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, proposeSQL, l.Code, amountFen, basis, by.UserID, now, now, r.ID, r.Status)
		if err != nil {
			return fmt.Errorf("reward: propose %d: %w", id, err)
		}
		if err := affected(res, r, "拟定"); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, by.Name, "reward.proposed", "reward", r.ID, map[string]any{
			"from": r.Status, "level": l.Code, "amount_fen": amountFen})
	})
}

const (
	approveSQL = `UPDATE rewards SET status = 'approved', approved_by = ?, approved_at = ?, claim_deadline = ?, budget_year = ?, updated_at = ?
 WHERE id = ? AND status = 'proposed' AND proposed_by = ? AND proposed_by <> ? AND amount_fen = ?`
	// commitSQL is the one conditional update that keeps approvals within
	// the budget: it commits only if what is left covers the amount.
	commitSQL = `UPDATE reward_budgets SET committed_fen = committed_fen + ?, updated_at = ?
 WHERE year = ? AND total_fen - committed_fen - paid_fen >= ?`
)

// Approve moves a proposed reward to approved and commits its amount against
// the budget of the current year, in one transaction: the reward's
// conditional status update and one conditional budget update. The claim
// window starts now. Returns EFORBIDDEN if the approver proposed it, ECONFLICT
// if the reward is no longer proposed, EINVALID if the amount is now outside
// its level, EBUDGET if the year's remaining budget is too small (or no
// budget is set), ENOTFOUND.
func (s *Service) Approve(ctx context.Context, id int64, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lock(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if r.Status != Proposed {
			return conflict(r, "批准")
		}
		if r.ProposedBy.Int64 == by.UserID {
			return apperr.Errorf(apperr.EFORBIDDEN, "审批人不能是拟定人：奖励 %s 须由另一位审批人批准", r.Ref())
		}
		l, err := levelTx(ctx, tx, r.Level.String)
		if err != nil {
			return err
		}
		if !l.Contains(r.AmountFen) {
			return apperr.Invalid(map[string]string{"amount": fmt.Sprintf("拟定金额%s元已不在“%s”等级范围（%s–%s元）内，请重新拟定",
				Yuan(r.AmountFen), l.Name, Yuan(l.MinFen), Yuan(l.MaxFen))})
		}
		now := s.now()
		year := s.Year(now)
		deadline := ledger.DueDate(now, s.window(), s.loc())
		res, err := tx.ExecContext(ctx, approveSQL, by.UserID, now, deadline, year, now, r.ID, r.ProposedBy.Int64, by.UserID, r.AmountFen)
		if err != nil {
			return fmt.Errorf("reward: approve %d: %w", id, err)
		}
		if err := affected(res, r, "批准"); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, commitSQL, r.AmountFen, now, year, r.AmountFen)
		if err != nil {
			return fmt.Errorf("reward: approve %d: commit budget: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return s.budgetShort(ctx, tx, year, r.AmountFen)
		}
		if err := audit.Append(ctx, tx, now, by.Name, "reward.approved", "reward", r.ID, map[string]any{
			"amount_fen": r.AmountFen, "year": year}); err != nil {
			return err
		}
		return s.note(ctx, tx, r, "reward.approved", by,
			fmt.Sprintf("您的举报奖励已批准，金额%s元。请在%s前通过本页填写领取信息，逾期视为放弃。",
				Yuan(r.AmountFen), deadline.In(s.loc()).Format("2006年1月2日")), "")
	})
}

// budgetShort explains an EBUDGET.
func (s *Service) budgetShort(ctx context.Context, tx *sqlx.Tx, year int, need int64) error {
	var b Budget
	if err := tx.GetContext(ctx, &b, `SELECT year, total_fen, committed_fen, paid_fen FROM reward_budgets WHERE year = ?`, year); err != nil {
		return apperr.Errorf(apperr.EBUDGET, "%d年度奖励预算尚未设置，不能批准", year)
	}
	return apperr.Errorf(apperr.EBUDGET, "%d年度奖励预算余额不足：剩余%s元，本笔需%s元", year,
		Yuan(b.TotalFen-b.CommittedFen-b.PaidFen), Yuan(need))
}

const rejectSQL = `UPDATE rewards SET status = 'rejected', rejected_by = ?, rejected_at = ?, reject_reason = ?, updated_at = ?
 WHERE id = ? AND status = ?`

// Reject (不予奖励) declines an eligible or proposed reward with a reason the
// reporter reads on the tracking page. EINVALID without a reason, ECONFLICT
// in any other status, ENOTFOUND.
func (s *Service) Reject(ctx context.Context, id int64, reason string, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if f := checkText("reason", "不予奖励的理由", reason, MaxReason); f != nil {
		return apperr.Invalid(f)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lock(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if r.Status != Eligible && r.Status != Proposed {
			return conflict(r, "不予奖励")
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, rejectSQL, by.UserID, now, reason, now, r.ID, r.Status)
		if err != nil {
			return fmt.Errorf("reward: reject %d: %w", id, err)
		}
		if err := affected(res, r, "不予奖励"); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, by.Name, "reward.rejected", "reward", r.ID, map[string]any{"from": r.Status}); err != nil {
			return err
		}
		return s.note(ctx, tx, r, "reward.rejected", by, "经审核，您的举报不予奖励。理由："+reason, "")
	})
}

const (
	paySQL = `UPDATE rewards SET status = 'paid', paid_by = ?, paid_at = ?, paid_on = ?, pay_method = ?, pay_reference = ?, updated_at = ?
 WHERE id = ? AND status = 'claimed'`
	// moveToPaidSQL moves the amount from committed to paid on the year it
	// was committed against (which may be last year).
	moveToPaidSQL = `UPDATE reward_budgets SET committed_fen = committed_fen - ?, paid_fen = paid_fen + ?, updated_at = ?
 WHERE year = ? AND committed_fen >= ?`
)

// Pay records that finance paid a claimed reward (已发放): method, payment
// reference (凭证号) and the date paid. Exactly once: a second attempt, even
// a concurrent one, fails with ECONFLICT 该奖励已发放 and changes nothing.
// The amount moves from committed to paid in the same transaction. EINVALID
// for a bad method, reference or date; ECONFLICT when not claimed; ENOTFOUND.
func (s *Service) Pay(ctx context.Context, id int64, method Method, reference string, paidOn time.Time, by ledger.Actor) error {
	if err := staff(by); err != nil {
		return err
	}
	reference = strings.TrimSpace(reference)
	f := map[string]string{}
	if !method.Valid() {
		f["method"] = "请选择发放方式"
	}
	for k, v := range checkText("reference", "付款凭证号", reference, MaxReference) {
		f[k] = v
	}
	now := s.now()
	if paidOn.IsZero() {
		f["paid_on"] = "请填写发放日期"
	} else if paidOn.After(now.Add(24 * time.Hour)) {
		f["paid_on"] = "发放日期不能晚于今天"
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lock(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if r.Status != Claimed {
			return conflict(r, "发放")
		}
		if r.ApprovedAt.Valid && paidOn.Before(r.ApprovedAt.Time.Add(-24*time.Hour)) {
			return apperr.Invalid(map[string]string{"paid_on": "发放日期不能早于批准日期"})
		}
		res, err := tx.ExecContext(ctx, paySQL, by.UserID, now, db.UTC(paidOn), method, reference, now, r.ID)
		if err != nil {
			return fmt.Errorf("reward: pay %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "该奖励已发放")
		}
		res, err = tx.ExecContext(ctx, moveToPaidSQL, r.AmountFen, r.AmountFen, now, r.BudgetYear.Int64, r.AmountFen)
		if err != nil {
			return fmt.Errorf("reward: pay %d: budget: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("reward: pay %d: budget %d does not hold the committed amount", id, r.BudgetYear.Int64)
		}
		if err := audit.Append(ctx, tx, now, by.Name, "reward.paid", "reward", r.ID, map[string]any{
			"amount_fen": r.AmountFen, "method": method, "reference": reference, "paid_on": paidOn.In(s.loc()).Format("2006-01-02")}); err != nil {
			return err
		}
		return s.note(ctx, tx, r, "reward.paid", by, fmt.Sprintf("举报奖励%s元已发放（%s）。感谢您对生态环境保护的支持。", Yuan(r.AmountFen), method.Label()), "")
	})
}

const (
	expireSQL = `UPDATE rewards SET status = 'expired', expired_at = ?, updated_at = ? WHERE id = ? AND status = 'approved' AND claim_deadline < ?`
	// releaseSQL returns an expired amount to the year it was committed
	// against.
	releaseSQL = `UPDATE reward_budgets SET committed_fen = committed_fen - ?, updated_at = ? WHERE year = ? AND committed_fen >= ?`
)

// ExpireDue expires every approved reward whose claim window has passed and
// returns its amount to the budget (committed -= amount), one transaction per
// reward. Returns how many expired. Safe to run from several instances: the
// conditional update lets only one expire a reward.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.now()
	var ids []int64
	if err := s.DB.SelectContext(ctx, &ids, `SELECT id FROM rewards WHERE status = 'approved' AND claim_deadline < ? ORDER BY id`, now); err != nil {
		return 0, db.Classify(fmt.Errorf("reward: due for expiry: %w", err))
	}
	n := 0
	for _, id := range ids {
		done := false
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			r, err := s.lock(ctx, tx, "id = ?", id)
			if err != nil {
				return err
			}
			if r.Status != Approved || !r.ClaimDeadline.Valid || !r.ClaimDeadline.Time.Before(now) {
				return nil // claimed or expired meanwhile
			}
			res, err := tx.ExecContext(ctx, expireSQL, now, now, r.ID, now)
			if err != nil {
				return fmt.Errorf("reward: expire %d: %w", id, err)
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return nil
			}
			res, err = tx.ExecContext(ctx, releaseSQL, r.AmountFen, now, r.BudgetYear.Int64, r.AmountFen)
			if err != nil {
				return fmt.Errorf("reward: expire %d: budget: %w", id, err)
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				return fmt.Errorf("reward: expire %d: budget %d does not hold the committed amount", id, r.BudgetYear.Int64)
			}
			if err := audit.Append(ctx, tx, now, "system", "reward.expired", "reward", r.ID, map[string]any{
				"amount_fen": r.AmountFen, "year": r.BudgetYear.Int64}); err != nil {
				return err
			}
			done = true
			return s.note(ctx, tx, r, "reward.expired", ledger.System, "举报奖励申领期限已过，视为放弃领取。", "")
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

const eraseSQL = `UPDATE rewards SET claimant_enc = NULL, identity_erased_at = ?, updated_at = ? WHERE id = ? AND status = 'paid' AND claimant_enc IS NOT NULL`

// EraseDue erases the claimant's identity and payee details of rewards paid
// more than RetentionYears ago (by the date paid), keeping the amount, the
// dates and the payment reference. Returns how many were erased.
func (s *Service) EraseDue(ctx context.Context) (int, error) {
	now := s.now()
	cutoff := now.AddDate(-s.retention(), 0, 0)
	var ids []int64
	if err := s.DB.SelectContext(ctx, &ids, `SELECT id FROM rewards WHERE status = 'paid' AND claimant_enc IS NOT NULL AND paid_on < ? ORDER BY id`, cutoff); err != nil {
		return 0, db.Classify(fmt.Errorf("reward: due for erasure: %w", err))
	}
	n := 0
	for _, id := range ids {
		done := false
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, eraseSQL, now, now, id)
			if err != nil {
				return fmt.Errorf("reward: erase %d: %w", id, err)
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return nil
			}
			done = true
			return audit.Append(ctx, tx, now, "system", "reward.identity_erased", "reward", id, map[string]any{"retention_years": s.retention()})
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// Run runs ExpireDue and EraseDue now and then every interval until ctx
// ends: the background job for serve. `ecoreport reward expire` calls
// ExpireDue (and EraseDue) once.
func (s *Service) Run(ctx context.Context, every time.Duration, logf func(string, ...any)) {
	tick := func() {
		if n, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			logf("reward: expire: %v", err)
		} else if n > 0 {
			logf("reward: %d unclaimed rewards expired", n)
		}
		if n, err := s.EraseDue(ctx); err != nil && ctx.Err() == nil {
			logf("reward: erase: %v", err)
		} else if n > 0 {
			logf("reward: %d claimant identities erased", n)
		}
	}
	tick()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		}
	}
}

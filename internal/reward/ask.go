package reward

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// CanAsk reports whether the reporter of c may still ask for a reward
// after filing (申请举报奖励): not asked yet, and the complaint neither
// concluded nor refused (workflows.md: "or later, through the tracking page,
// before conclusion").
func CanAsk(c *ledger.Complaint) bool {
	return !c.WantsReward && !c.Status.Finished()
}

const askRewardSQL = `UPDATE complaints SET wants_reward = ?, updated_at = ?
 WHERE id = ? AND wants_reward = ? AND status IN ('received', 'accepted', 'investigating', 'rectifying')`

// Ask records that the reporter of complaint id, who did not ask for a
// reward when filing, asks for one now, with a timeline event the reporter
// sees. When the complaint's case was verified substantiated or partly
// already, the reward decision that verification made is made now (a
// reward record for the case if it has none yet). One conditional UPDATE,
// so two asks at once record one. ECONFLICT when the reporter asked already
// or the complaint is concluded or refused; ENOTFOUND for no complaint.
func (s *Service) Ask(ctx context.Context, id int64) error {
	return db.Classify(s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, askRewardSQL, true, now, id, false)
		if err != nil {
			return fmt.Errorf("reward: ask for complaint %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var cnt int
			if err := tx.GetContext(ctx, &cnt, `SELECT COUNT(*) FROM complaints WHERE id = ?`, id); err != nil {
				return err
			}
			if cnt == 0 {
				return apperr.Errorf(apperr.ENOTFOUND, "举报件不存在")
			}
			return apperr.Errorf(apperr.ECONFLICT, "已申请过举报奖励，或本件已办结，不能再申请")
		}
		var caseID sql.NullInt64
		if err := tx.GetContext(ctx, &caseID, `SELECT case_id FROM complaints WHERE id = ?`, id); err != nil {
			return err
		}
		if err := s.Ledger.NoteTx(ctx, tx, 0, id, "resident.reward_requested", ledger.Resident, ledger.EventInput{
			PublicNote: "您已申请举报奖励。问题经核查属实后，将在本页告知奖励审核结果。"}); err != nil {
			return err
		}
		if !caseID.Valid {
			return nil
		}
		c, err := s.Ledger.CaseTx(ctx, tx, caseID.Int64)
		if err != nil {
			return err
		}
		if c.Verification != ledger.Substantiated && c.Verification != ledger.Partly {
			return nil // decided when the case is verified
		}
		var decided int
		if err := tx.GetContext(ctx, &decided, `SELECT COUNT(*) FROM rewards WHERE case_id = ?`, c.ID); err != nil {
			return err
		}
		if decided == 0 {
			return s.createForCase(ctx, tx, c, c.Verification)
		}
		return s.Ledger.NoteTx(ctx, tx, c.ID, id, "reward.not_first", ledger.System, ledger.EventInput{
			PublicNote:   "本问题的举报奖励已给予更早提交的举报，您的举报不再重复奖励。感谢您的监督。",
			InternalNote: "举报奖励在申请前已归于本问题的另一件举报"})
	}))
}

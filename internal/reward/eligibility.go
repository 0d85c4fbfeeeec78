package reward

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Who is staff. complaints.created_by is set only when a logged-in staff user
// files a complaint in the back office (the portal files as "resident", the
// hotline importer as a named operator without a user id). Staff file visits
// (来访) and letters (来信) on behalf of a resident who came or wrote: those
// reporters are residents and stay eligible. In every other channel a
// complaint with created_by is staff writing down what they found themselves
// (a 书记民情账 entry, a web form filled in at the office): the authorities
// knew, so no reward. A hotline call typed in by hand by a logged-in operator
// would also count as staff; hotline tickets come in through the importer,
// which files without a user id.
func staffFiled(channel ledger.Channel, createdBy sql.NullInt64) bool {
	return createdBy.Valid && channel != ledger.ChannelVisit && channel != ledger.ChannelLetter
}

// knownSources are case sources that mean the authorities found the problem
// themselves (督查发现, 上级督察/审计反馈, 领导交办).
var knownSources = map[ledger.CaseSource]bool{
	ledger.SourceInspection: true, ledger.SourceSuperior: true, ledger.SourceLeader: true,
}

type candidate struct {
	ID          int64          `db:"id"`
	Channel     ledger.Channel `db:"channel"`
	CreatedBy   sql.NullInt64  `db:"created_by"`
	WantsReward bool           `db:"wants_reward"`
	ReceivedAt  time.Time      `db:"received_at"`
}

const caseComplaintsSQL = `SELECT id, channel, created_by, wants_reward, received_at FROM complaints
 WHERE case_id = ? AND status <> 'refused' ORDER BY received_at, id`

const insertRewardSQL = `INSERT INTO rewards (case_id, complaint_id, status, exclusion, basis, reject_reason, created_at, updated_at)
 VALUES (?, ?, ?, ?, '', '', ?, ?)`

// Hook returns the function to register in ledger.Service.OnVerified. When a
// case is verified substantiated or partly it creates, in the verification's
// transaction, one reward record for the case's earliest-received complaint
// whose reporter asked for a reward: eligible (待审核), or excluded with the
// reason when the case came from the authorities themselves or staff had
// reported it first. The other complaints that asked for a reward get a
// public note saying why they are not rewarded. Recording the verification
// again changes nothing (one reward per case).
func (s *Service) Hook() func(ctx context.Context, tx *sqlx.Tx, c *ledger.Case, result ledger.Verification, by ledger.Actor) error {
	return func(ctx context.Context, tx *sqlx.Tx, c *ledger.Case, result ledger.Verification, by ledger.Actor) error {
		if result != ledger.Substantiated && result != ledger.Partly {
			return nil
		}
		if err := s.createForCase(ctx, tx, c, result); err != nil {
			return fmt.Errorf("reward: case %d: %w", c.ID, err)
		}
		return nil
	}
}

func (s *Service) createForCase(ctx context.Context, tx *sqlx.Tx, c *ledger.Case, result ledger.Verification) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM rewards WHERE case_id = ?`, c.ID); err != nil {
		return err
	}
	if n > 0 {
		return nil // already decided when the case was first verified
	}
	var cs []candidate
	if err := tx.SelectContext(ctx, &cs, caseComplaintsSQL, c.ID); err != nil {
		return err
	}
	winner := -1
	for i := range cs {
		if cs[i].WantsReward {
			winner = i
			break
		}
	}
	if winner < 0 {
		return nil // nobody asked for a reward
	}
	w := cs[winner]
	status, exclusion := Eligible, Exclusion("")
	switch {
	case knownSources[c.Source]:
		exclusion = ExcludedKnown
	case staffFiled(w.Channel, w.CreatedBy):
		exclusion = ExcludedStaff
	default:
		// Staff who reported it earlier (even without asking for a reward)
		// mean the authorities knew before this reporter did.
		for _, x := range cs[:winner] {
			if staffFiled(x.Channel, x.CreatedBy) {
				exclusion = ExcludedKnown
			}
		}
	}
	if exclusion != "" {
		status = Excluded
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, insertRewardSQL, c.ID, w.ID, status, exclusion, now, now)
	if err != nil {
		if db.IsDuplicate(err) {
			return nil
		}
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	detail := map[string]any{"case": c.ID, "complaint": w.ID, "status": status}
	if exclusion != "" {
		detail["exclusion"] = exclusion
	}
	if err := audit.Append(ctx, tx, now, "system", "reward.created", "reward", id, detail); err != nil {
		return err
	}
	r := &Reward{ID: id, CaseID: c.ID, ComplaintID: w.ID}
	if exclusion != "" {
		if err := s.note(ctx, tx, r, "reward.excluded", ledger.System, exclusion.PublicNote(), "举报奖励：不符合条件（"+string(exclusion)+"）"); err != nil {
			return err
		}
	} else if err := s.note(ctx, tx, r, "reward.eligible", ledger.System,
		"您的举报经核查"+result.Label()+"，已列入举报奖励审核，结果将在本页告知。", "举报奖励：待审核 "+Ref(id)); err != nil {
		return err
	}
	for _, x := range cs[winner+1:] {
		if !x.WantsReward {
			continue
		}
		public := "本问题的举报奖励已给予更早提交的举报，您的举报不再重复奖励。感谢您的监督。"
		if exclusion != "" {
			public = ExcludedKnown.PublicNote()
		}
		if err := s.Ledger.NoteTx(ctx, tx, c.ID, x.ID, "reward.not_first", ledger.System,
			ledger.EventInput{PublicNote: public, InternalNote: "举报奖励归于最早的举报 " + ledger.ComplaintRef(w.ID)}); err != nil {
			return err
		}
	}
	return nil
}

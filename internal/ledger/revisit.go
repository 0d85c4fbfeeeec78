package ledger

// Revisits (回头看) of closed cases, and the reporters' "not solved / came
// back" requests (问题未解决/反弹) that staff must answer. Both can send a
// closed case back to the unit (重新整改) in the same transaction as the
// answer, so an answer is never recorded without its consequence.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Event kinds of this file.
const (
	KindRevisitHeld     = "case.revisit_held"
	KindFollowupAnswer  = "followup.answered"
	maxAnswerRunes      = 2000
	revisitHeldNote     = "回头看：整改成效巩固，问题未反弹。"
	revisitCameBackNote = "回头看发现问题反弹，已责成责任单位重新整改。"
)

// DueRevisits lists closed cases whose revisit date (revisit_due_at, set by
// Close) falls on or before asOf's calendar day, earliest first.
func (s *Service) DueRevisits(ctx context.Context, asOf time.Time) ([]Case, error) {
	var cs []Case
	err := s.DB.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM cases
		WHERE status = ? AND revisit_due_at IS NOT NULL AND revisit_due_at <= ? ORDER BY revisit_due_at, id LIMIT 1000`,
		Closed, DueDate(asOf, 0, s.Location))
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: due revisits: %w", err))
	}
	return cs, nil
}

// RecordRevisit records the revisit (回头看) of a closed case. holds (巩固)
// clears the revisit date and writes case.revisit_held; !holds (反弹)
// reopens the case (重新整改) with note as the reason, which is then
// required. ECONFLICT when the case is not closed or has no revisit pending,
// EINVALID when a came-back revisit has no reason, ENOTFOUND for no case.
func (s *Service) RecordRevisit(ctx context.Context, caseID int64, holds bool, note string, by Actor) error {
	note = strings.TrimSpace(note)
	if m := checkAnswer(note, "note"); m != nil {
		return m
	}
	if !holds && note == "" {
		return apperr.Invalid(map[string]string{"note": "问题反弹须填写情况说明"})
	}
	return s.withCase(ctx, caseID, func(tx *sqlx.Tx, c *Case) error {
		if c.Status != Closed || !c.RevisitDueAt.Valid {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，没有待开展的回头看", c.Ref(), c.Status.Label())
		}
		if !holds {
			return s.moveCase(ctx, tx, c, Reopened, "case.reopened", by,
				EventInput{PublicNote: revisitCameBackNote, InternalNote: "回头看：问题反弹。" + note},
				"closed_at = NULL, revisit_due_at = NULL")
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE cases SET revisit_due_at = NULL, updated_at = ? WHERE id = ? AND status = ? AND revisit_due_at IS NOT NULL`,
			now, c.ID, Closed)
		if err != nil {
			return fmt.Errorf("ledger: revisit case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被他人处理，请刷新后重试", c.Ref())
		}
		return s.event(ctx, tx, now, c.ID, 0, KindRevisitHeld, string(Closed), string(Closed), by,
			EventInput{PublicNote: revisitHeldNote, InternalNote: note})
	})
}

// Followup is a reporter's "not solved / came back" request (portal table
// followup_requests) with what staff need beside it.
type Followup struct {
	ID          int64          `db:"id"`
	ComplaintID int64          `db:"complaint_id"`
	Kind        string         `db:"kind"` // not_solved | came_back
	Body        string         `db:"body"`
	Status      string         `db:"status"` // open | answered
	Answer      string         `db:"answer"`
	AnsweredBy  sql.NullInt64  `db:"answered_by"`
	AnsweredAt  sql.NullTime   `db:"answered_at"`
	CreatedAt   time.Time      `db:"created_at"`
	CaseID      sql.NullInt64  `db:"case_id"`
	CaseStatus  sql.NullString `db:"case_status"`
}

// Follow-up kinds and statuses, as the portal writes them.
const (
	FollowupNotSolved = "not_solved"
	FollowupCameBack  = "came_back"
	FollowupOpen      = "open"
	FollowupAnswered  = "answered"
)

// Label is the kind's Chinese name.
func (f *Followup) Label() string {
	switch f.Kind {
	case FollowupNotSolved:
		return "问题未解决"
	case FollowupCameBack:
		return "问题又出现了"
	}
	return f.Kind
}

// Ref is the complaint's public reference.
func (f *Followup) Ref() string { return ComplaintRef(f.ComplaintID) }

// CanReopen reports whether answering may send the case back (only a closed
// case can be reopened).
func (f *Followup) CanReopen() bool {
	return f.CaseStatus.Valid && CaseStatus(f.CaseStatus.String) == Closed
}

const followupCols = `f.id, f.complaint_id, f.kind, f.body, f.status, f.answer, f.answered_by, f.answered_at, f.created_at,
 c.case_id, k.status AS case_status`

const followupFrom = ` FROM followup_requests f JOIN complaints c ON c.id = f.complaint_id LEFT JOIN cases k ON k.id = c.case_id`

// OpenFollowups lists the requests nobody has answered yet, oldest first.
func (s *Service) OpenFollowups(ctx context.Context) ([]Followup, error) {
	var fs []Followup
	if err := s.DB.SelectContext(ctx, &fs, `SELECT `+followupCols+followupFrom+` WHERE f.status = ? ORDER BY f.created_at, f.id LIMIT 1000`,
		FollowupOpen); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: open followups: %w", err))
	}
	return fs, nil
}

// FollowupsOfCase lists every request made on the complaints of a case.
func (s *Service) FollowupsOfCase(ctx context.Context, caseID int64) ([]Followup, error) {
	var fs []Followup
	if err := s.DB.SelectContext(ctx, &fs, `SELECT `+followupCols+followupFrom+` WHERE c.case_id = ? ORDER BY f.id`, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: followups of case %d: %w", caseID, err))
	}
	return fs, nil
}

// AnswerFollowup answers the open request of a complaint (the portal lets a
// complaint have one open request at a time) with a public answer the
// reporter reads on the tracking page: event followup.answered on the
// complaint, so reporters of the same case do not see each other's answers.
// With reopen, the complaint's closed case goes back to the unit (重新整改)
// in the same transaction. EINVALID for an empty answer, ECONFLICT when the
// complaint has no open request (none, or answered meanwhile) or when reopen
// is asked of a case that is not closed.
func (s *Service) AnswerFollowup(ctx context.Context, complaintID int64, answer string, reopen bool, by Actor) error {
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return apperr.Invalid(map[string]string{"answer": "请填写答复内容"})
	}
	if err := checkAnswer(answer, "answer"); err != nil {
		return err
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		q := s.DB.ForUpdate(`SELECT ` + followupCols + followupFrom + ` WHERE f.complaint_id = ? AND f.status = ? ORDER BY f.id LIMIT 1`)
		var f Followup
		if err := tx.GetContext(ctx, &f, q, complaintID, FollowupOpen); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 没有待答复的反映（可能已被他人答复）", ComplaintRef(complaintID))
			}
			return fmt.Errorf("ledger: open followup of %d: %w", complaintID, err)
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE followup_requests SET status = ?, answer = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status = ?`,
			FollowupAnswered, answer, by.userID(), now, f.ID, FollowupOpen)
		if err != nil {
			return fmt.Errorf("ledger: answer followup %d: %w", f.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "该反映已答复，请刷新后查看")
		}
		if err := s.event(ctx, tx, now, 0, f.ComplaintID, KindFollowupAnswer, "", "", by,
			EventInput{PublicNote: "工作人员答复您反映的“" + f.Label() + "”：" + answer}); err != nil {
			return fmt.Errorf("ledger: answer followup %d: %w", f.ID, err)
		}
		if !reopen {
			return nil
		}
		if !f.CaseID.Valid {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 尚未立案，无法重新整改", f.Ref())
		}
		c, err := s.caseQ(ctx, tx, f.CaseID.Int64, true)
		if err != nil {
			return err
		}
		if c.Status != Closed {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，只有已销号的问题才能重新整改", c.Ref(), c.Status.Label())
		}
		return s.moveCase(ctx, tx, c, Reopened, "case.reopened", by,
			EventInput{PublicNote: "问题需要继续整改。", InternalNote: "举报人反映" + f.Label() + "（" + f.Ref() + "）：" + f.Body},
			"closed_at = NULL, revisit_due_at = NULL")
	}))
}

func checkAnswer(s, field string) error {
	if m := CheckText(s); m != "" {
		return apperr.Invalid(map[string]string{field: m})
	}
	if utf8.RuneCountInString(s) > maxAnswerRunes {
		return apperr.Invalid(map[string]string{field: fmt.Sprintf("不能超过%d个字", maxAnswerRunes)})
	}
	return nil
}

package conversation

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
	"ecoreport/internal/ledger"
)

// Followup is a reporter's "not solved / came back" request (问题未解决 /
// 问题反弹, table followup_requests) with staff's answer and, for staff, the
// case it concerns.
type Followup struct {
	ID          int64          `db:"id"`
	ComplaintID int64          `db:"complaint_id"`
	Kind        string         `db:"kind"` // FollowupNotSolved | FollowupCameBack
	Body        string         `db:"body"`
	Status      string         `db:"status"` // FollowupOpen | FollowupAnswered
	Answer      string         `db:"answer"`
	AnsweredBy  sql.NullInt64  `db:"answered_by"`
	AnsweredAt  sql.NullTime   `db:"answered_at"`
	CreatedAt   time.Time      `db:"created_at"`
	CaseID      sql.NullInt64  `db:"case_id"`
	CaseStatus  sql.NullString `db:"case_status"`
}

// Follow-up kinds and statuses.
const (
	FollowupNotSolved = "not_solved"
	FollowupCameBack  = "came_back"
	FollowupOpen      = "open"
	FollowupAnswered  = "answered"
)

var followupLabels = map[string]string{FollowupNotSolved: "问题未解决", FollowupCameBack: "问题又出现了"}

// Label is the kind's Chinese name.
func (f *Followup) Label() string {
	if l, ok := followupLabels[f.Kind]; ok {
		return l
	}
	return f.Kind
}

// Ref is the complaint's public reference.
func (f *Followup) Ref() string { return ledger.ComplaintRef(f.ComplaintID) }

// CanReopen reports whether answering may send the case back (only a closed
// case can be reopened).
func (f *Followup) CanReopen() bool {
	return f.CaseStatus.Valid && ledger.CaseStatus(f.CaseStatus.String) == ledger.Closed
}

// ValidFollowupKind reports whether k is one of the two kinds.
func ValidFollowupKind(k string) bool { _, ok := followupLabels[k]; return ok }

// maxAnswerRunes bounds staff's answer.
const maxAnswerRunes = 2000

const followupCols = `f.id, f.complaint_id, f.kind, f.body, f.status, f.answer, f.answered_by, f.answered_at, f.created_at,
 c.case_id, k.status AS case_status`

const followupFrom = ` FROM followup_requests f JOIN complaints c ON c.id = f.complaint_id LEFT JOIN cases k ON k.id = c.case_id`

const (
	openFollowupSQL   = `SELECT COUNT(*) FROM followup_requests WHERE complaint_id = ? AND status = ?`
	insertFollowupSQL = `INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, ?, ?, ?, '', ?)`
	answerFollowupSQL = `UPDATE followup_requests SET status = ?, answer = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status = ?`
)

// CanFollowup reports whether a "not solved" request makes sense: a reply
// was given.
func CanFollowup(c *ledger.Complaint) bool { return CanRate(c) }

// Followups lists the requests of one complaint, oldest first.
func (s *Service) Followups(ctx context.Context, complaintID int64) ([]Followup, error) {
	var fs []Followup
	if err := s.DB.SelectContext(ctx, &fs, `SELECT `+followupCols+followupFrom+` WHERE f.complaint_id = ? ORDER BY f.id`, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: followups of %d: %w", complaintID, err))
	}
	return fs, nil
}

// OpenFollowups lists the requests nobody has answered yet, oldest first
// (at most 1,000).
func (s *Service) OpenFollowups(ctx context.Context) ([]Followup, error) {
	var fs []Followup
	if err := s.DB.SelectContext(ctx, &fs, `SELECT `+followupCols+followupFrom+` WHERE f.status = ? ORDER BY f.created_at, f.id LIMIT 1000`,
		FollowupOpen); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: open followups: %w", err))
	}
	return fs, nil
}

// FollowupsOfCase lists every request made on the complaints of a case.
func (s *Service) FollowupsOfCase(ctx context.Context, caseID int64) ([]Followup, error) {
	var fs []Followup
	if err := s.DB.SelectContext(ctx, &fs, `SELECT `+followupCols+followupFrom+` WHERE c.case_id = ? ORDER BY f.id`, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: followups of case %d: %w", caseID, err))
	}
	return fs, nil
}

// RequestFollowup stores the reporter's request (validated by the caller)
// with its event. ECONFLICT when no reply was given yet or a request of the
// complaint still waits for its answer; EINVALID for an unknown kind.
func (s *Service) RequestFollowup(ctx context.Context, c *ledger.Complaint, kind, body string) error {
	if !ValidFollowupKind(kind) {
		return apperr.Invalid(map[string]string{"kind": "请选择“问题未解决”或“问题又出现了”"})
	}
	if !CanFollowup(c) {
		return apperr.Errorf(apperr.ECONFLICT, "办结后才能反映问题未解决；办理期间如有新情况请使用“补充材料”")
	}
	at := s.now()
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, openFollowupSQL, c.ID, FollowupOpen); err != nil {
			return fmt.Errorf("conversation: open followups of %d: %w", c.ID, err)
		}
		if n > 0 {
			return apperr.Errorf(apperr.ECONFLICT, "您上次的反映尚在处理，请等待答复")
		}
		if _, err := tx.ExecContext(ctx, insertFollowupSQL, c.ID, kind, body, FollowupOpen, at); err != nil {
			return fmt.Errorf("conversation: followup of %d: %w", c.ID, err)
		}
		return s.residentEvent(ctx, tx, c.ID, KindFollowup, "举报人反映："+followupLabels[kind]+"，等待工作人员答复")
	}))
}

// AnswerFollowup answers the open request of a complaint (a complaint has
// one open request at a time) with a public answer the reporter reads on the
// tracking page: event followup.answered on the complaint, so reporters of
// the same case do not see each other's answers. With reopen, the
// complaint's closed case goes back to the unit (重新整改) in the same
// transaction. EINVALID for an empty or too long answer, ECONFLICT when the
// complaint has no open request (none, or answered meanwhile) or when reopen
// is asked of a case that is not closed.
func (s *Service) AnswerFollowup(ctx context.Context, complaintID int64, answer string, reopen bool, by ledger.Actor) error {
	answer = strings.TrimSpace(answer)
	switch {
	case answer == "":
		return apperr.Invalid(map[string]string{"answer": "请填写答复内容"})
	case ledger.CheckText(answer) != "":
		return apperr.Invalid(map[string]string{"answer": ledger.CheckText(answer)})
	case utf8.RuneCountInString(answer) > maxAnswerRunes:
		return apperr.Invalid(map[string]string{"answer": fmt.Sprintf("不能超过%d个字", maxAnswerRunes)})
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		q := s.DB.ForUpdate(`SELECT ` + followupCols + followupFrom + ` WHERE f.complaint_id = ? AND f.status = ? ORDER BY f.id LIMIT 1`)
		var f Followup
		if err := tx.GetContext(ctx, &f, q, complaintID, FollowupOpen); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 没有待答复的反映（可能已被他人答复）", ledger.ComplaintRef(complaintID))
			}
			return fmt.Errorf("conversation: open followup of %d: %w", complaintID, err)
		}
		var answeredBy any
		if by.UserID != 0 {
			answeredBy = by.UserID
		}
		res, err := tx.ExecContext(ctx, answerFollowupSQL, FollowupAnswered, answer, answeredBy, s.now(), f.ID, FollowupOpen)
		if err != nil {
			return fmt.Errorf("conversation: answer followup %d: %w", f.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "该反映已答复，请刷新后查看")
		}
		if err := s.Ledger.NoteTx(ctx, tx, 0, f.ComplaintID, KindFollowupAnswer, by,
			ledger.EventInput{PublicNote: "工作人员答复您反映的“" + f.Label() + "”：" + answer}); err != nil {
			return fmt.Errorf("conversation: answer followup %d: %w", f.ID, err)
		}
		if !reopen {
			return nil
		}
		if !f.CaseID.Valid {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 尚未立案，无法重新整改", f.Ref())
		}
		return s.Ledger.ReopenClosedTx(ctx, tx, f.CaseID.Int64, "举报人反映"+f.Label()+"，经核实需继续整改。", by,
			ledger.EventInput{PublicNote: "问题需要继续整改。", InternalNote: "举报人反映" + f.Label() + "（" + f.Ref() + "）：" + f.Body})
	}))
}

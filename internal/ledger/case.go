package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Case is one problem (问题), one line of the ledger.
type Case struct {
	ID               int64         `db:"id"`
	Status           CaseStatus    `db:"status"`
	Source           CaseSource    `db:"source"`
	SourceDetail     string        `db:"source_detail"`
	Title            string        `db:"title"`       // a short summary (问题概述)
	Description      string        `db:"description"` // the problem in full (问题描述), as the notice quotes it
	Address          string        `db:"address"`     // where, as the first reporter or the inspector gave it
	Categories       Categories    `db:"categories"`
	TownID           sql.NullInt64 `db:"town_id"`
	UnitID           sql.NullInt64 `db:"unit_id"` // responsible unit (责任单位)
	Subject          string        `db:"subject"`
	Verification     Verification  `db:"verification"`
	VerificationNote string        `db:"verification_note"`
	PublicReply      string        `db:"public_reply"` // the answer that stands; see Reply
	// SupersededReply is the answer a reopening withdrew (the problem came
	// back), kept on record; ReplySupersededAt says when.
	SupersededReply   string       `db:"superseded_reply"`
	ReplySupersededAt sql.NullTime `db:"reply_superseded_at"`
	// ReopenReason is why the case last went back to the unit (退回原因),
	// which the unit reads beside its notice.
	ReopenReason    string        `db:"reopen_reason"`
	OpenedAt        time.Time     `db:"opened_at"`
	DueAt           time.Time     `db:"due_at"` // conclude-by date, extended once
	Extended        bool          `db:"extended"`
	ExtensionReason string        `db:"extension_reason"`
	VerifiedAt      sql.NullTime  `db:"verified_at"`
	ConcludedAt     sql.NullTime  `db:"concluded_at"`
	ClosedAt        sql.NullTime  `db:"closed_at"`
	RevisitDueAt    sql.NullTime  `db:"revisit_due_at"`
	MergedIntoID    sql.NullInt64 `db:"merged_into_id"`
	CreatedBy       sql.NullInt64 `db:"created_by"`
	UpdatedAt       time.Time     `db:"updated_at"`
	AssigneeID      sql.NullInt64 `db:"assignee_id"` // the inspector who holds it (承办人)
}

// Ref is the case's public reference (问题编号).
func (c *Case) Ref() string { return CaseRef(c.ID) }

// CaseRef formats a case id as a public reference.
func CaseRef(id int64) string { return fmt.Sprintf("C%06d", id) }

// Overdue reports whether the case is past its deadline and not finished.
// Overdue is always derived, never stored.
func (c *Case) Overdue(now time.Time) bool {
	return !c.Status.Finished() && c.Status != Submitted && now.After(c.DueAt)
}

// DaysOverdue is how many whole days the case is past its deadline.
func (c *Case) DaysOverdue(now time.Time) int {
	if !c.Overdue(now) {
		return 0
	}
	return int(math.Ceil(now.Sub(c.DueAt).Hours() / 24))
}

const caseColumns = `id, status, source, source_detail, title, description, address, categories, town_id, unit_id, subject,
 verification, verification_note, public_reply, superseded_reply, reply_superseded_at, reopen_reason, opened_at, due_at,
 extended, extension_reason, verified_at, concluded_at, closed_at, revisit_due_at, merged_into_id, created_by, updated_at,
 assignee_id`

// Case returns one case. ENOTFOUND when there is none.
func (s *Service) Case(ctx context.Context, id int64) (*Case, error) {
	return s.caseQ(ctx, s.DB, id, false)
}

func (s *Service) caseQ(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (*Case, error) {
	var c Case
	query := `SELECT ` + caseColumns + ` FROM cases WHERE id = ?`
	if forUpdate {
		query = s.DB.ForUpdate(query)
	}
	if err := sqlx.GetContext(ctx, q, &c, query, id); err != nil {
		return nil, db.Classify(db.NotFound(err, fmt.Sprintf("问题 %s 不存在", CaseRef(id))))
	}
	return &c, nil
}

// CaseTx returns one case inside tx, locked for the rest of it where the
// engine locks rows. ENOTFOUND when there is none.
func (s *Service) CaseTx(ctx context.Context, tx *sqlx.Tx, id int64) (*Case, error) {
	return s.caseQ(ctx, tx, id, true)
}

// CaseOf returns the case a complaint belongs to, ENOTFOUND when it has none.
func (s *Service) CaseOf(ctx context.Context, c *Complaint) (*Case, error) {
	if !c.CaseID.Valid {
		return nil, &apperr.Error{Code: apperr.ENOTFOUND, Message: "尚未立案"}
	}
	return s.Case(ctx, c.CaseID.Int64)
}

// NewCase opens a case by hand (inspection findings, superior feedback,
// leaders' instructions).
type NewCase struct {
	Source       CaseSource
	SourceDetail string
	Title        string
	Description  string // the problem in full; Title when empty
	Address      string
	Categories   Categories
	TownID       int64
	Subject      string
}

// Validate names every bad field in Chinese.
func (n *NewCase) Validate() error {
	f := map[string]string{}
	switch n.Source {
	case SourceComplaint, SourceInspection, SourceSuperior, SourceLeader:
	default:
		f["source"] = "问题来源无效"
	}
	if t := strings.TrimSpace(n.Title); t == "" {
		f["title"] = "请填写问题概述"
	} else if utf8.RuneCountInString(t) > 200 {
		f["title"] = "问题概述不能超过200个字"
	} else if m := CheckText(t); m != "" {
		f["title"] = m
	}
	if d := strings.TrimSpace(n.Description); utf8.RuneCountInString(d) > MaxDescription*2 {
		f["description"] = fmt.Sprintf("问题描述不能超过%d个字", MaxDescription*2)
	} else if m := CheckText(d); m != "" {
		f["description"] = m
	}
	if a := strings.TrimSpace(n.Address); utf8.RuneCountInString(a) > MaxShortText*2 {
		f["address"] = fmt.Sprintf("地址不能超过%d个字", MaxShortText*2)
	} else if m := CheckText(a); m != "" {
		f["address"] = m
	}
	for _, c := range n.Categories {
		if !c.Valid() {
			f["categories"] = "污染类型无效"
		}
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

const insertCaseSQL = `INSERT INTO cases (status, source, source_detail, title, description, address, categories, town_id, subject,
 verification, verification_note, public_reply, superseded_reply, reopen_reason, opened_at, due_at, extension_reason, created_by, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '', '', '', '', ?, ?, '', ?, ?)`

// OpenCaseTx opens a case in tx and writes its event, its audit entry and
// its terms in the search index.
func (s *Service) OpenCaseTx(ctx context.Context, tx *sqlx.Tx, in NewCase, by Actor) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	now := s.now()
	if in.Categories == nil {
		in.Categories = Categories{}
	}
	due := DueDate(now, s.Limits.ConcludeDays, s.Location)
	desc := strings.TrimSpace(in.Description)
	if desc == "" {
		desc = strings.TrimSpace(in.Title)
	}
	res, err := tx.ExecContext(ctx, insertCaseSQL, Open, in.Source, in.SourceDetail, strings.TrimSpace(in.Title), desc,
		strings.TrimSpace(in.Address), in.Categories, nullID(in.TownID), in.Subject, now, due, by.userID(), now)
	if err != nil {
		return 0, fmt.Errorf("ledger: open case: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("ledger: open case: %w", err)
	}
	if err := s.event(ctx, tx, now, id, 0, "case.opened", "", string(Open), by, EventInput{}); err != nil {
		return 0, fmt.Errorf("ledger: open case: %w", err)
	}
	text := caseText{ID: id, Title: strings.TrimSpace(in.Title), Subject: in.Subject, SourceDetail: in.SourceDetail,
		Description: desc, Address: strings.TrimSpace(in.Address)}
	if err := indexTx(ctx, tx, SearchCases, []int64{id}, [][]int64{text.terms()}); err != nil {
		return 0, fmt.Errorf("ledger: open case: %w", err)
	}
	return id, nil
}

// OpenCase opens a case in its own transaction.
func (s *Service) OpenCase(ctx context.Context, in NewCase, by Actor) (int64, error) {
	var id int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = s.OpenCaseTx(ctx, tx, in, by)
		return err
	})
	return id, db.Classify(err)
}

// moveCase is the one place a case changes status: conditional update, the
// complaints follow, one event and one audit entry, all in tx. set adds
// columns to the update ("col = ?" with args).
func (s *Service) moveCase(ctx context.Context, tx *sqlx.Tx, c *Case, to CaseStatus, kind string, by Actor, in EventInput, set string, args ...any) error {
	if !CanMoveCase(c.Status, to) {
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，不能转为“%s”", c.Ref(), c.Status.Label(), to.Label())
	}
	now := s.now()
	q := `UPDATE cases SET status = ?, updated_at = ?`
	if set != "" {
		q += ", " + set
	}
	q += ` WHERE id = ? AND status = ?`
	full := append([]any{to, now}, args...)
	full = append(full, c.ID, c.Status)
	res, err := tx.ExecContext(ctx, q, full...)
	if err != nil {
		return fmt.Errorf("ledger: case %d to %s: %w", c.ID, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被他人处理，请刷新后重试", c.Ref())
	}
	if to != Merged {
		if _, err := tx.ExecContext(ctx, `UPDATE complaints SET status = ?, updated_at = ? WHERE case_id = ? AND status <> ?`,
			ComplaintStatusFor(to), now, c.ID, Refused); err != nil {
			return fmt.Errorf("ledger: case %d complaints follow: %w", c.ID, err)
		}
	}
	if err := s.event(ctx, tx, now, c.ID, 0, kind, string(c.Status), string(to), by, in); err != nil {
		return fmt.Errorf("ledger: case %d event: %w", c.ID, err)
	}
	c.Status = to
	return nil
}

// withCase loads a case in a transaction and runs fn on it.
func (s *Service) withCase(ctx context.Context, id int64, fn func(tx *sqlx.Tx, c *Case) error, opts ...db.TxOption) error {
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.caseQ(ctx, tx, id, true)
		if err != nil {
			return err
		}
		return fn(tx, c)
	}, opts...))
}

// StartVerification moves an open case to verifying (核查中). ECONFLICT when
// the case is not open.
func (s *Service) StartVerification(ctx context.Context, id int64, by Actor, in EventInput) error {
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		if in.PublicNote == "" {
			in.PublicNote = "已安排工作人员现场核查。"
		}
		return s.moveCase(ctx, tx, c, Verifying, "case.verifying", by, in, "")
	})
}

// RecordVerification records the on-site result of a verifying case. An
// unsubstantiated result concludes it (dismissed) with the public reply;
// substantiated or partly keeps it verifying until a notice assigns it.
// EINVALID for a bad result or missing reply, ECONFLICT when not verifying.
func (s *Service) RecordVerification(ctx context.Context, id int64, result Verification, publicReply string, by Actor, in EventInput) error {
	if !result.Valid() || result == Pending {
		return apperr.Invalid(map[string]string{"verification": "请选择核查结论"})
	}
	publicReply = strings.TrimSpace(publicReply)
	if result == Unsubstantiated && publicReply == "" {
		return apperr.Invalid(map[string]string{"public_reply": "不属实办结须填写答复内容"})
	}
	if m := CheckText(publicReply); m != "" {
		return apperr.Invalid(map[string]string{"public_reply": m})
	}
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		if c.Status != Verifying {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，不能记录核查结论", c.Ref(), c.Status.Label())
		}
		now := s.now()
		if in.PublicNote == "" {
			in.PublicNote = "核查结论：" + result.Label() + "。" + publicReply
		}
		if result == Unsubstantiated {
			return s.moveCase(ctx, tx, c, Dismissed, "case.dismissed", by, in,
				"verification = ?, public_reply = ?, verified_at = ?, concluded_at = ?", result, publicReply, now, now)
		}
		res, err := tx.ExecContext(ctx, `UPDATE cases SET verification = ?, public_reply = ?, verified_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			result, publicReply, now, now, c.ID, Verifying)
		if err != nil {
			return fmt.Errorf("ledger: verify case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被他人处理，请刷新后重试", c.Ref())
		}
		c.Verification, c.PublicReply = result, publicReply
		for _, hook := range s.OnVerified {
			if err := hook(ctx, tx, c, result, by); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, now, c.ID, 0, "case.verified", string(Verifying), string(Verifying), by, in)
	})
}

// AssignTx moves a verified case (substantiated or partly) to assigned
// (已交办) with its responsible unit; the rectification notice is written by
// the caller in the same tx. ECONFLICT when not verifying or not verified.
func (s *Service) AssignTx(ctx context.Context, tx *sqlx.Tx, c *Case, unitID int64, by Actor, in EventInput) error {
	if c.Status == Verifying && c.Verification != Substantiated && c.Verification != Partly {
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 尚未核实属实，不能交办整改", c.Ref())
	}
	if unitID == 0 {
		return apperr.Invalid(map[string]string{"unit_id": "请选择责任单位"})
	}
	if in.PublicNote == "" {
		in.PublicNote = "问题经核查" + c.Verification.Label() + "，已交责任单位限期整改。"
	}
	return s.moveCase(ctx, tx, c, Assigned, "case.assigned", by, in, "unit_id = ?", unitID)
}

// Assign is AssignTx in its own transaction.
func (s *Service) Assign(ctx context.Context, id, unitID int64, by Actor, in EventInput) error {
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error { return s.AssignTx(ctx, tx, c, unitID, by, in) })
}

// SubmitRectification records that the unit reports the rectification done
// (assigned or reopened → submitted, 待验收).
func (s *Service) SubmitRectification(ctx context.Context, id int64, by Actor, in EventInput) error {
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		if in.PublicNote == "" {
			in.PublicNote = "责任单位已报告整改完成，待验收。"
		}
		return s.moveCase(ctx, tx, c, Submitted, "case.submitted", by, in, "")
	})
}

// Close accepts the rectification and strikes the case off (验收销号), sets
// the revisit date and gives the public reply.
func (s *Service) Close(ctx context.Context, id int64, publicReply string, by Actor, in EventInput) error {
	publicReply = strings.TrimSpace(publicReply)
	if publicReply == "" {
		return apperr.Invalid(map[string]string{"public_reply": "销号须填写答复内容"})
	}
	if m := CheckText(publicReply); m != "" {
		return apperr.Invalid(map[string]string{"public_reply": m})
	}
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		now := s.now()
		if in.PublicNote == "" {
			in.PublicNote = "整改已验收，问题销号。" + publicReply
		}
		return s.moveCase(ctx, tx, c, Closed, "case.closed", by, in,
			"public_reply = ?, closed_at = ?, concluded_at = COALESCE(concluded_at, ?), revisit_due_at = ?",
			publicReply, now, now, DueDate(now, s.Limits.RevisitDays, s.Location))
	})
}

// Reopen sends a case back to the unit (重新整改): acceptance failed
// (submitted), or a closed case's problem is there again. A reason is
// required; the unit reads it beside its notice. Reopening a closed case
// withdraws its public reply and gives it a new deadline (see reopenTx).
// ECONFLICT when the case is neither submitted nor closed.
func (s *Service) Reopen(ctx context.Context, id int64, reason string, by Actor, in EventInput) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Invalid(map[string]string{"reason": "请填写退回原因"})
	}
	if m := checkAnswer(reason, "reason"); m != nil {
		return m
	}
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		if in.InternalNote == "" {
			in.InternalNote = reason
		}
		if in.PublicNote == "" {
			in.PublicNote = "问题需要继续整改。"
		}
		return s.reopenTx(ctx, tx, c, reason, by, in)
	})
}

// ReopenClosedTx sends a closed case back to the unit (重新整改) in the
// caller's transaction, which records why (a reporter's "not solved"
// answered by staff); reason is what the unit reads. Only a closed case can
// go back: ECONFLICT otherwise, ENOTFOUND for no case.
func (s *Service) ReopenClosedTx(ctx context.Context, tx *sqlx.Tx, caseID int64, reason string, by Actor, in EventInput) error {
	c, err := s.caseQ(ctx, tx, caseID, true)
	if err != nil {
		return err
	}
	if c.Status != Closed {
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，只有已销号的问题才能重新整改", c.Ref(), c.Status.Label())
	}
	return s.reopenTx(ctx, tx, c, reason, by, in)
}

// Extend extends the conclusion deadline once, with a reason. ECONFLICT on a
// second extension or a finished case.
func (s *Service) Extend(ctx context.Context, id int64, reason string, by Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Invalid(map[string]string{"reason": "请填写延期理由"})
	}
	return s.withCase(ctx, id, func(tx *sqlx.Tx, c *Case) error {
		if c.Extended {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已延期过一次，不能再次延期", c.Ref())
		}
		if c.Status.Finished() {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已办结，无需延期", c.Ref())
		}
		now := s.now()
		due := DueDate(c.DueAt, s.Limits.ExtensionDays, s.Location)
		res, err := tx.ExecContext(ctx, `UPDATE cases SET due_at = ?, extended = ?, extension_reason = ?, updated_at = ? WHERE id = ? AND extended = ?`,
			due, true, reason, now, c.ID, false)
		if err != nil {
			return fmt.Errorf("ledger: extend case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已延期过一次，不能再次延期", c.Ref())
		}
		return s.event(ctx, tx, now, c.ID, 0, "case.extended", string(c.Status), string(c.Status), by,
			EventInput{PublicNote: "办理期限延长至" + due.In(s.Location).Format("2006年1月2日") + "。", InternalNote: reason})
	})
}

// Merge merges case from into case into (合并重复问题): from's complaints now
// follow into, whose repeat count grows; from ends as merged. Only an
// unfinished case takes a merge (see takeInto): a closed one is refused
// unless MergeReopening is chosen. EINVALID for a merge into itself,
// ENOTFOUND for either case missing, ECONFLICT when from cannot be merged
// (not open or verifying) or into is finished.
func (s *Service) Merge(ctx context.Context, from, into int64, by Actor) error {
	return s.merge(ctx, from, into, false, by)
}

// MergeReopening merges case from into the closed case into and reopens it
// (重新整改) in the same transaction: the problem came back. ECONFLICT when
// into is not closed; otherwise as Merge.
func (s *Service) MergeReopening(ctx context.Context, from, into int64, by Actor) error {
	return s.merge(ctx, from, into, true, by)
}

func (s *Service) merge(ctx context.Context, from, into int64, reopen bool, by Actor) error {
	if from == into {
		return apperr.Invalid(map[string]string{"into": "不能合并到自身"})
	}
	return s.withCase(ctx, from, func(tx *sqlx.Tx, c *Case) error {
		target, err := s.caseQ(ctx, tx, into, true)
		if err != nil {
			return err
		}
		if !CanMoveCase(c.Status, Merged) {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，不能再合并", c.Ref(), c.Status.Label())
		}
		if err := s.takeInto(ctx, tx, target, reopen, "合并 "+c.Ref(), by); err != nil {
			return err
		}
		if err := s.moveCase(ctx, tx, c, Merged, "case.merged", by,
			EventInput{InternalNote: "并入 " + target.Ref()}, "merged_into_id = ?", target.ID); err != nil {
			return err
		}
		// One conditional statement moves every complaint of c, and only
		// while the target is what was checked: fewer rows than c holds
		// means it changed under us.
		var holds int64
		if err := tx.GetContext(ctx, &holds, `SELECT COUNT(*) FROM complaints WHERE case_id = ? AND status <> ?`, c.ID, Refused); err != nil {
			return fmt.Errorf("ledger: merge %d: %w", c.ID, err)
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE complaints SET case_id = ?, status = ?, updated_at = ? WHERE case_id = ? AND status <> ?`+caseIs,
			target.ID, ComplaintStatusFor(target.Status), now, c.ID, Refused, target.ID, target.Status)
		if err != nil {
			return fmt.Errorf("ledger: merge %d into %d: %w", c.ID, target.ID, err)
		}
		if n, _ := res.RowsAffected(); n != holds {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被他人处理，请刷新后重试", target.Ref())
		}
		return s.event(ctx, tx, now, target.ID, 0, "case.merged_in", string(target.Status), string(target.Status), by,
			EventInput{InternalNote: "合并 " + c.Ref()})
	})
}

// RepeatCount is how many complaints beyond the first a case has (群众反复投诉).
func (s *Service) RepeatCount(ctx context.Context, caseID int64) (int, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM complaints WHERE case_id = ?`, caseID); err != nil {
		return 0, db.Classify(fmt.Errorf("ledger: repeat count %d: %w", caseID, err))
	}
	if n > 0 {
		n--
	}
	return n, nil
}

package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// NoticeStatus is where a rectification notice stands. What happens after the
// unit's report (accepted, sent back) is the case's status; a notice only
// records whether the unit answered it and whether a newer one replaced it.
type NoticeStatus string

// Notice statuses.
const (
	NoticeIssued     NoticeStatus = "issued"     // 已下达
	NoticeReported   NoticeStatus = "reported"   // 已报整改
	NoticeSuperseded NoticeStatus = "superseded" // 已重新下达
)

var noticeLabels = map[NoticeStatus]string{
	NoticeIssued: "已下达", NoticeReported: "已报整改", NoticeSuperseded: "已重新下达",
}

// Label is the status's Chinese name.
func (s NoticeStatus) Label() string { return noticeLabels[s] }

// DefaultCopiedTo is the copied-to list the county policy asks for (抄送).
var DefaultCopiedTo = []string{"县委、县政府分管领导", "县纪委监委", "县考核办"}

// Notice is a rectification notice (整改通知书) sent to a responsible unit.
// Numbers run per year without gaps: 石环督整〔2026〕12号, the prefix the
// county's (Service.NoticePrefix).
type Notice struct {
	ID           int64         `db:"id"`
	CaseID       int64         `db:"case_id"`
	Year         int           `db:"year"`
	Number       int           `db:"number"`
	UnitID       int64         `db:"unit_id"`
	Problem      string        `db:"problem"` // the problem as the notice states it, in full (问题描述)
	Requirements string        `db:"requirements"`
	Deadline     time.Time     `db:"deadline"` // end of the deadline day, UTC
	CopiedTo     string        `db:"copied_to"`
	IssuedBy     sql.NullInt64 `db:"issued_by"`
	IssuedAt     time.Time     `db:"issued_at"`
	Status       NoticeStatus  `db:"status"`
	// Prefix begins the notice's number (石环督整): the county's, as
	// configured when the notice was issued, kept with it so that a
	// number, once printed, never changes.
	Prefix string `db:"prefix"`
}

// Ref is the notice's official number, e.g. 石环督整〔2026〕12号.
func (n *Notice) Ref() string { return NoticeRef(n.Prefix, n.Year, n.Number) }

// DefaultNoticePrefix is Shiquan County's (石环督整).
const DefaultNoticePrefix = "石环督整"

// NoticeRef formats a notice number: prefix〔year〕number号.
func NoticeRef(prefix string, year, number int) string {
	if prefix == "" {
		prefix = DefaultNoticePrefix
	}
	return fmt.Sprintf("%s〔%d〕%d号", prefix, year, number)
}

// Overdue reports whether the unit is late (整改超期): the notice is the
// case's current one (not superseded), its deadline has passed and the case
// still waits for the unit (assigned, or sent back). Derived, never stored.
func (n *Notice) Overdue(caseStatus CaseStatus, now time.Time) bool {
	return n.Status != NoticeSuperseded && (caseStatus == Assigned || caseStatus == Reopened) && now.After(n.Deadline)
}

// DaysOverdue is how many days (started) the notice is past its deadline.
func (n *Notice) DaysOverdue(caseStatus CaseStatus, now time.Time) int {
	if !n.Overdue(caseStatus, now) {
		return 0
	}
	return int(math.Ceil(now.Sub(n.Deadline).Hours() / 24))
}

// CopiedToList splits the stored copied-to list (one recipient a line).
func (n *Notice) CopiedToList() []string {
	var out []string
	for _, s := range strings.Split(n.CopiedTo, "\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// NewNotice is what it takes to issue a notice.
type NewNotice struct {
	CaseID       int64
	UnitID       int64
	Problem      string // the problem in full as the notice states it; the case's description when empty
	Requirements string
	Deadline     time.Time // any time on the deadline day; stored as that day's end
	CopiedTo     []string  // DefaultCopiedTo when empty
}

// Validate names every bad field in Chinese.
func (n *NewNotice) Validate(now time.Time) error {
	f := map[string]string{}
	if n.UnitID == 0 {
		f["unit_id"] = "请选择责任单位"
	}
	if p := strings.TrimSpace(n.Problem); utf8.RuneCountInString(p) > maxNoticeText {
		f["problem"] = fmt.Sprintf("问题描述不能超过%d个字", maxNoticeText)
	} else if m := CheckText(p); m != "" {
		f["problem"] = m
	}
	req := strings.TrimSpace(n.Requirements)
	switch {
	case req == "":
		f["requirements"] = "请填写整改要求"
	case utf8.RuneCountInString(req) > maxNoticeText:
		f["requirements"] = fmt.Sprintf("整改要求不能超过%d个字", maxNoticeText)
	default:
		if m := CheckText(req); m != "" {
			f["requirements"] = m
		}
	}
	if n.Deadline.IsZero() {
		f["deadline"] = "请填写整改期限"
	} else if n.Deadline.Before(now.Add(-24 * time.Hour)) {
		f["deadline"] = "整改期限不能早于今天"
	}
	for _, c := range n.CopiedTo {
		if m := CheckText(c); m != "" || utf8.RuneCountInString(c) > 100 {
			f["copied_to"] = "抄送单位填写有误"
		}
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

// maxNoticeText bounds the problem text and the requirements of a notice.
const maxNoticeText = 4000

const (
	noticeColumns      = `id, case_id, year, number, unit_id, problem, requirements, deadline, copied_to, issued_by, issued_at, status, prefix`
	hasCounterSQL      = `SELECT COUNT(*) FROM notice_counters WHERE year = ?`
	ensureCounterSQL   = `INSERT INTO notice_counters (year, last_number) VALUES (?, 0)`
	lastNumberSQL      = `SELECT last_number FROM notice_counters WHERE year = ?`
	advanceCounterSQL  = `UPDATE notice_counters SET last_number = ? WHERE year = ? AND last_number = ?`
	supersedeSQL       = `UPDATE notices SET status = ? WHERE case_id = ? AND status <> ?`
	insertNoticeSQL    = `INSERT INTO notices (case_id, year, number, unit_id, problem, requirements, deadline, copied_to, issued_by, issued_at, status, prefix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	reassignUnitSQL    = `UPDATE cases SET unit_id = ?, updated_at = ? WHERE id = ?`
	noticeReportedSQL  = `UPDATE notices SET status = ? WHERE id = ? AND status <> ?`
	noticesOfCaseSQL   = `SELECT ` + noticeColumns + ` FROM notices WHERE case_id = ? ORDER BY id`
	noticesOfUnitSQL   = `SELECT ` + noticeColumns + ` FROM notices WHERE unit_id = ? ORDER BY issued_at DESC, id DESC`
	noticeByIDSQL      = `SELECT ` + noticeColumns + ` FROM notices WHERE id = ?`
	latestOfCaseSQL    = `SELECT id FROM notices WHERE case_id = ? ORDER BY id DESC LIMIT 1`
	noticeCaseStatusOK = "整改通知书只能对核查属实的问题或退回重新整改的问题下达"
)

// NoticeAttempts is how many times issuing a notice is tried: every notice of
// a year advances the one counter row, so on a multi-primary Galera cluster
// notices issued on two nodes at once lose certification to each other and
// are run again (the number stays gapless and used once: the counter is
// advanced in the notice's own transaction).
const NoticeAttempts = 30

// IssueNotice issues a rectification notice (下达整改通知书) for a case and
// returns it. In one transaction: the case is locked; a verified case
// (substantiated or partly) moves to assigned through AssignTx; a case that is
// already assigned or reopened keeps its status (a reissued notice moves
// nothing) and takes the notice's unit; earlier notices of the case are
// superseded; the year's counter advances by a conditional update and the
// notice takes the next number, so numbers have no gaps: a failed issue rolls
// the counter back with everything else.
//
// Returns EINVALID for bad fields, ENOTFOUND for an unknown case, ECONFLICT
// when the case is in no state to be assigned.
func (s *Service) IssueNotice(ctx context.Context, in NewNotice, by Actor) (*Notice, error) {
	now := s.now()
	if len(in.CopiedTo) == 0 {
		in.CopiedTo = DefaultCopiedTo
	}
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	year := now.In(s.Location).Year()
	// The counter row of a new year is created outside the issuing
	// transaction: two first issues of a year must not both insert it.
	if err := s.ensureCounter(ctx, year); err != nil {
		return nil, err
	}
	deadline := DueDate(in.Deadline, 0, s.Location)
	n := &Notice{CaseID: in.CaseID, Year: year, UnitID: in.UnitID, Problem: strings.TrimSpace(in.Problem), Requirements: strings.TrimSpace(in.Requirements),
		Deadline: deadline, CopiedTo: strings.Join(in.CopiedTo, "\n"), IssuedAt: now, Status: NoticeIssued, Prefix: s.noticePrefix()}
	if by.UserID != 0 {
		n.IssuedBy = sql.NullInt64{Int64: by.UserID, Valid: true}
	}
	err := s.withCase(ctx, in.CaseID, func(tx *sqlx.Tx, c *Case) error {
		if err := s.unitExists(ctx, tx, in.UnitID); err != nil {
			return err
		}
		text, err := caseTextTx(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		num, err := s.nextNoticeNumber(ctx, tx, year)
		if err != nil {
			return err
		}
		n.Number = num
		if n.Problem == "" {
			n.Problem = c.Description
		}
		if n.Problem == "" {
			n.Problem = c.Title
		}
		note := EventInput{
			PublicNote: fmt.Sprintf("问题经核查%s，已向责任单位下达整改通知书（%s），整改期限至%s。",
				c.Verification.Label(), n.Ref(), deadline.In(s.Location).Format("2006年1月2日")),
			InternalNote: n.Requirements,
		}
		switch c.Status {
		case Verifying:
			if err := s.AssignTx(ctx, tx, c, in.UnitID, by, note); err != nil {
				return err
			}
		case Assigned, Reopened:
			if _, err := tx.ExecContext(ctx, reassignUnitSQL, in.UnitID, now, c.ID); err != nil {
				return fmt.Errorf("ledger: notice unit of case %d: %w", c.ID, err)
			}
			if err := s.NoteTx(ctx, tx, c.ID, 0, "notice.reissued", by, note); err != nil {
				return err
			}
		default:
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，%s", c.Ref(), c.Status.Label(), noticeCaseStatusOK)
		}
		if _, err := tx.ExecContext(ctx, supersedeSQL, NoticeSuperseded, c.ID, NoticeSuperseded); err != nil {
			return fmt.Errorf("ledger: supersede notices of case %d: %w", c.ID, err)
		}
		res, err := tx.ExecContext(ctx, insertNoticeSQL, n.CaseID, n.Year, n.Number, n.UnitID, n.Problem, n.Requirements, n.Deadline,
			n.CopiedTo, n.IssuedBy, n.IssuedAt, n.Status, n.Prefix)
		if err != nil {
			return fmt.Errorf("ledger: insert notice %s: %w", n.Ref(), err)
		}
		if n.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("ledger: insert notice: %w", err)
		}
		if err := indexNoticeTx(ctx, tx, text, n.ID); err != nil { // found by its number and problem, the case too
			return err
		}
		return s.NoteTx(ctx, tx, c.ID, 0, "notice.issued", by, EventInput{InternalNote: n.Ref()})
	}, db.Attempts(NoticeAttempts))
	if err != nil {
		return nil, err
	}
	return n, nil
}

// noticePrefix is the prefix new notices take.
func (s *Service) noticePrefix() string {
	if s.NoticePrefix == "" {
		return DefaultNoticePrefix
	}
	return s.NoticePrefix
}

// nextNoticeNumber advances the year's counter in tx: read (locked on
// MySQL), then a conditional update that fails if anyone moved it meanwhile.
func (s *Service) nextNoticeNumber(ctx context.Context, tx *sqlx.Tx, year int) (int, error) {
	var last int
	if err := tx.GetContext(ctx, &last, s.DB.ForUpdate(lastNumberSQL), year); err != nil {
		return 0, fmt.Errorf("ledger: notice counter %d: %w", year, err)
	}
	res, err := tx.ExecContext(ctx, advanceCounterSQL, last+1, year, last)
	if err != nil {
		return 0, fmt.Errorf("ledger: advance notice counter %d: %w", year, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return 0, apperr.Errorf(apperr.ECONFLICT, "通知书编号被同时占用，请重试")
	}
	return last + 1, nil
}

func (s *Service) ensureCounter(ctx context.Context, year int) error {
	var k int
	if err := s.DB.GetContext(ctx, &k, hasCounterSQL, year); err != nil {
		return db.Classify(fmt.Errorf("ledger: notice counter %d: %w", year, err))
	}
	if k > 0 {
		return nil
	}
	if _, err := s.DB.ExecContext(ctx, ensureCounterSQL, year); err != nil && !db.IsDuplicate(err) {
		return db.Classify(fmt.Errorf("ledger: notice counter %d: %w", year, err))
	}
	return nil
}

func (s *Service) unitExists(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var k int
	if err := tx.GetContext(ctx, &k, `SELECT COUNT(*) FROM units WHERE id = ? AND active = ?`, id, true); err != nil {
		return fmt.Errorf("ledger: unit %d: %w", id, err)
	}
	if k == 0 {
		return apperr.Invalid(map[string]string{"unit_id": "责任单位不存在"})
	}
	return nil
}

// Notice returns one notice. ENOTFOUND when there is none.
func (s *Service) Notice(ctx context.Context, id int64) (*Notice, error) {
	var n Notice
	if err := s.DB.GetContext(ctx, &n, noticeByIDSQL, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "整改通知书不存在"))
	}
	return &n, nil
}

// NoticesOfCase lists a case's notices, oldest first.
func (s *Service) NoticesOfCase(ctx context.Context, caseID int64) ([]Notice, error) {
	var ns []Notice
	if err := s.DB.SelectContext(ctx, &ns, noticesOfCaseSQL, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: notices of case %d: %w", caseID, err))
	}
	return ns, nil
}

// NoticesOfUnit lists the notices sent to one unit, newest first. It is the
// only list a unit user sees.
func (s *Service) NoticesOfUnit(ctx context.Context, unitID int64) ([]Notice, error) {
	var ns []Notice
	if err := s.DB.SelectContext(ctx, &ns, noticesOfUnitSQL, unitID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: notices of unit %d: %w", unitID, err))
	}
	return ns, nil
}

// ReportRectification is the unit's answer to a notice (报告整改完成): the
// notice becomes reported, its case moves to submitted (待验收) and the
// photos sent with it (整改前/整改后, already stored) are recorded against
// the notice, in one transaction. unitID is the reporting user's unit: a
// notice of another unit is ENOTFOUND, exactly as if it did not exist.
// ECONFLICT when the notice was superseded or the case is not waiting for
// the unit; EINVALID without a note, or for photos of another kind or too
// many.
func (s *Service) ReportRectification(ctx context.Context, noticeID, unitID int64, note string, by Actor, photos ...Photo) error {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return apperr.Invalid(map[string]string{"note": "请说明整改情况"})
	case utf8.RuneCountInString(note) > 4000:
		return apperr.Invalid(map[string]string{"note": "整改情况不能超过4000个字"})
	case CheckText(note) != "":
		return apperr.Invalid(map[string]string{"note": CheckText(note)})
	}
	if err := checkPhotos(photos, "photos", PhotoBefore, PhotoAfter); err != nil {
		return err
	}
	n, err := s.Notice(ctx, noticeID)
	if err != nil {
		return err
	}
	if n.UnitID != unitID {
		return &apperr.Error{Code: apperr.ENOTFOUND, Message: "整改通知书不存在"}
	}
	return s.withCase(ctx, n.CaseID, func(tx *sqlx.Tx, c *Case) error {
		var latest int64
		if err := tx.GetContext(ctx, &latest, latestOfCaseSQL, c.ID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("ledger: latest notice of case %d: %w", c.ID, err)
		}
		if latest != n.ID {
			return apperr.Errorf(apperr.ECONFLICT, "通知书 %s 已被新的通知书替代，请按新通知书整改", n.Ref())
		}
		if c.Status != Assigned && c.Status != Reopened {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，无需报告整改", c.Ref(), c.Status.Label())
		}
		if _, err := tx.ExecContext(ctx, noticeReportedSQL, NoticeReported, n.ID, NoticeSuperseded); err != nil {
			return fmt.Errorf("ledger: notice %d reported: %w", n.ID, err)
		}
		if err := s.AddPhotosTx(ctx, tx, c.ID, n.ID, photos, by); err != nil {
			return err
		}
		internal := n.Ref() + " 整改情况：" + note
		if len(photos) > 0 {
			internal += fmt.Sprintf("（附照片%d张）", len(photos))
		}
		return s.moveCase(ctx, tx, c, Submitted, "case.submitted", by,
			EventInput{PublicNote: "责任单位已报告整改完成，待验收。", InternalNote: internal}, "")
	})
}

// UnitHasNotice reports whether a unit has (or had) a notice on a case: the
// unit works the case, and may see what inspectors share with it.
func (s *Service) UnitHasNotice(ctx context.Context, caseID, unitID int64) (bool, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM notices WHERE case_id = ? AND unit_id = ?`, caseID, unitID); err != nil {
		return false, db.Classify(fmt.Errorf("ledger: notices of case %d for unit %d: %w", caseID, unitID, err))
	}
	return n > 0, nil
}

package inspection

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// ReportDays is how long a unit has to report after an admonition interview.
const ReportDays = 7

// Interview is an admonition interview (约谈) of a responsible unit that is
// overdue or has repeat problems: who held it, the problems named, the cases
// concerned, and the unit's written report due ReportDays later. The table's
// columns are read by the monthly bulletin; keep them.
type Interview struct {
	ID               int64         `db:"id"`
	UnitID           int64         `db:"unit_id"`
	HeldOn           time.Time     `db:"held_on"`
	Leader           string        `db:"leader"`
	Problems         string        `db:"problems"`
	CaseIDs          string        `db:"case_ids"` // "12,15", may be ""
	ReportDueOn      time.Time     `db:"report_due_on"`
	ReportReceivedOn sql.NullTime  `db:"report_received_on"`
	CreatedBy        sql.NullInt64 `db:"created_by"`
	CreatedAt        time.Time     `db:"created_at"`
}

// Ref is the interview's reference (约谈编号).
func (iv *Interview) Ref() string { return fmt.Sprintf("Y%04d", iv.ID) }

// Cases returns the linked case ids.
func (iv *Interview) Cases() []int64 {
	var out []int64
	for _, p := range strings.Split(iv.CaseIDs, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// ReportState is whether the unit's report came in time.
type ReportState string

// Report states, always derived from the dates.
const (
	ReportPending ReportState = "pending" // 待报送: not received, not yet due
	ReportOnTime  ReportState = "on_time" // 按时报送
	ReportOverdue ReportState = "overdue" // 逾期: received late, or not received and past due
)

// Label is the state's Chinese name.
func (r ReportState) Label() string {
	switch r {
	case ReportPending:
		return "待报送"
	case ReportOnTime:
		return "按时报送"
	case ReportOverdue:
		return "逾期"
	}
	return string(r)
}

// ReportState derives the report's state at now.
func (iv *Interview) ReportState(now time.Time) ReportState {
	if iv.ReportReceivedOn.Valid {
		if iv.ReportReceivedOn.Time.After(iv.ReportDueOn) {
			return ReportOverdue
		}
		return ReportOnTime
	}
	if now.After(iv.ReportDueOn) {
		return ReportOverdue
	}
	return ReportPending
}

// NewInterview is what it takes to record an interview.
type NewInterview struct {
	UnitID   int64
	HeldOn   time.Time // any time on the day
	Leader   string    // who held it (约谈人)
	Problems string
	CaseIDs  []int64
}

// Validate names every bad field in Chinese; now bounds the date.
func (n *NewInterview) Validate(now time.Time) error {
	f := map[string]string{}
	if n.UnitID == 0 {
		f["unit_id"] = "请选择被约谈单位"
	}
	switch {
	case n.HeldOn.IsZero():
		f["held_on"] = "请填写约谈日期"
	case n.HeldOn.After(now.Add(24 * time.Hour)):
		f["held_on"] = "约谈日期不能晚于今天"
	case now.Sub(n.HeldOn) > 366*24*time.Hour:
		f["held_on"] = "约谈日期不能早于一年前"
	}
	if m := checkText(n.Leader, true, 100, "请填写约谈领导"); m != "" {
		f["leader"] = m
	}
	if m := checkText(n.Problems, true, 4000, "请填写约谈指出的问题"); m != "" {
		f["problems"] = m
	}
	if len(n.CaseIDs) > 50 {
		f["case_ids"] = "关联问题不能超过50个"
	}
	return invalid(f)
}

const (
	interviewColumns   = `id, unit_id, held_on, leader, problems, case_ids, report_due_on, report_received_on, created_by, created_at`
	insertInterviewSQL = `INSERT INTO interviews (unit_id, held_on, leader, problems, case_ids, report_due_on, report_received_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`
	recordReportSQL    = `UPDATE interviews SET report_received_on = ? WHERE id = ? AND report_received_on IS NULL`
)

// RecordInterview records an admonition interview; the report falls due
// ReportDays after the day it was held (end of that day). Each linked case
// gets a timeline note. Returns the id; EINVALID for bad fields, an unknown
// unit or case included.
func (s *Service) RecordInterview(ctx context.Context, in NewInterview, by ledger.Actor) (int64, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return 0, err
	}
	held := dayStart(in.HeldOn, s.loc())
	due := ledger.DueDate(held, ReportDays, s.loc())
	ids := dedupe(in.CaseIDs)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		ok, err := s.unitExists(ctx, tx, in.UnitID, "")
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Invalid(map[string]string{"unit_id": "被约谈单位不存在"})
		}
		for _, c := range ids {
			ok, err := s.caseExists(ctx, tx, c)
			if err != nil {
				return err
			}
			if !ok {
				return apperr.Invalid(map[string]string{"case_ids": "问题 " + ledger.CaseRef(c) + " 不存在"})
			}
		}
		res, err := tx.ExecContext(ctx, insertInterviewSQL, in.UnitID, held, strings.TrimSpace(in.Leader),
			strings.TrimSpace(in.Problems), strings.Join(parts, ","), due, actorID(by), now)
		if err != nil {
			return fmt.Errorf("inspection: record interview: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("inspection: record interview: %w", err)
		}
		for _, c := range ids {
			if err := s.Ledger.NoteTx(ctx, tx, c, 0, "interview.held", by, ledger.EventInput{
				InternalNote: fmt.Sprintf("责任单位因本问题被约谈（%s，约谈人：%s），须于%s前报送整改报告。",
					held.In(s.loc()).Format("2006年1月2日"), strings.TrimSpace(in.Leader), due.In(s.loc()).Format("2006年1月2日"))}); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, actorName(by), "interview.recorded", "interview", id,
			map[string]any{"unit": in.UnitID, "cases": strings.Join(parts, ",")})
	})
	return id, db.Classify(err)
}

// RecordReport records the day the unit's written report came in. EINVALID
// for a date before the interview or in the future, ENOTFOUND for an unknown
// interview, ECONFLICT when a report was recorded already.
func (s *Service) RecordReport(ctx context.Context, id int64, receivedOn time.Time, by ledger.Actor) error {
	now := s.now()
	if receivedOn.IsZero() {
		return apperr.Invalid(map[string]string{"received_on": "请填写收到报告的日期"})
	}
	if receivedOn.After(now.Add(24 * time.Hour)) {
		return apperr.Invalid(map[string]string{"received_on": "收到日期不能晚于今天"})
	}
	received := dayStart(receivedOn, s.loc())
	if received.After(now) { // today: record the time it was entered
		received = now
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		iv, err := s.interviewQ(ctx, tx, id)
		if err != nil {
			return err
		}
		if received.Before(iv.HeldOn) {
			return apperr.Invalid(map[string]string{"received_on": "收到日期不能早于约谈日期"})
		}
		res, err := tx.ExecContext(ctx, recordReportSQL, received, id)
		if err != nil {
			return fmt.Errorf("inspection: interview %d report: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "约谈 %s 的整改报告已登记", iv.Ref())
		}
		iv.ReportReceivedOn = sql.NullTime{Time: received, Valid: true}
		state := iv.ReportState(now)
		for _, c := range iv.Cases() {
			if err := s.Ledger.NoteTx(ctx, tx, c, 0, "interview.report", by, ledger.EventInput{
				InternalNote: "被约谈单位已报送整改报告（" + state.Label() + "）。"}); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, actorName(by), "interview.report_received", "interview", id,
			map[string]any{"received_on": received.Format(time.RFC3339), "state": state})
	}))
}

// Interview returns one interview. ENOTFOUND when there is none.
func (s *Service) Interview(ctx context.Context, id int64) (*Interview, error) {
	iv, err := s.interviewQ(ctx, s.DB, id)
	return iv, db.Classify(err)
}

func (s *Service) interviewQ(ctx context.Context, q sqlx.QueryerContext, id int64) (*Interview, error) {
	var iv Interview
	query := `SELECT ` + interviewColumns + ` FROM interviews WHERE id = ?`
	if _, isTx := q.(*sqlx.Tx); isTx {
		query = s.DB.ForUpdate(query)
	}
	if err := sqlx.GetContext(ctx, q, &iv, query, id); err != nil {
		return nil, db.NotFound(err, "约谈记录不存在")
	}
	return &iv, nil
}

// Interviews lists every interview, latest first.
func (s *Service) Interviews(ctx context.Context) ([]Interview, error) {
	var ivs []Interview
	if err := s.DB.SelectContext(ctx, &ivs, `SELECT `+interviewColumns+` FROM interviews ORDER BY held_on DESC, id DESC`); err != nil {
		return nil, db.Classify(fmt.Errorf("inspection: interviews: %w", err))
	}
	return ivs, nil
}

func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ParseCaseRefs reads case references typed by a person ("C000012, 15") and
// returns their ids; ok is false when one of them is not a case reference.
func ParseCaseRefs(s string) ([]int64, bool) {
	var out []int64
	for _, p := range SplitList(s) {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "C"), "c")
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, false
		}
		out = append(out, id)
	}
	return out, true
}

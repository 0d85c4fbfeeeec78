package portal

import (
	"context"
	"database/sql"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// o311Request is one service request as listed. It carries only what is
// safe to publish: no description, no street address or coordinates, no
// contact, no tracking code (the spec's description, lat, long, media_url
// and address_id are left out on purpose).
type o311Request struct {
	ServiceRequestID  string `xml:"service_request_id" json:"service_request_id"`
	Status            string `xml:"status" json:"status"`
	StatusNotes       string `xml:"status_notes" json:"status_notes"`
	ServiceName       string `xml:"service_name" json:"service_name"`
	ServiceCode       string `xml:"service_code" json:"service_code"`
	AgencyResponsible string `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string `xml:"expected_datetime,omitempty" json:"expected_datetime,omitempty"`
	Address           string `xml:"address" json:"address"` // the town only
}

type o311Requests struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []o311Request `xml:"request"`
}

// o311Row is what a listing reads of a complaint, its town, case and unit.
// The columns are chosen so that nothing private is even read.
type o311Row struct {
	ID          int64                  `db:"id"`
	Status      ledger.ComplaintStatus `db:"status"`
	Categories  ledger.Categories      `db:"categories"`
	ReceivedAt  time.Time              `db:"received_at"`
	UpdatedAt   time.Time              `db:"updated_at"`
	DecideDueAt time.Time              `db:"decide_due_at"`
	CaseID      sql.NullInt64          `db:"case_id"`
	TownName    sql.NullString         `db:"town_name"`
	CaseStatus  sql.NullString         `db:"case_status"`
	CaseReply   sql.NullString         `db:"case_reply"`
	CaseDueAt   sql.NullTime           `db:"case_due_at"`
	UnitName    sql.NullString         `db:"unit_name"`
}

const o311SelectSQL = `SELECT c.id, c.status, c.categories, c.received_at, c.updated_at, c.decide_due_at, c.case_id,
 t.name AS town_name, k.status AS case_status, k.public_reply AS case_reply, k.due_at AS case_due_at, u.name AS unit_name
FROM complaints c
LEFT JOIN units t ON t.id = c.town_id
LEFT JOIN cases k ON k.id = c.case_id
LEFT JOIN units u ON u.id = k.unit_id`

// o311PublicKinds are the timeline events whose public notes a listing may
// show: the workflow's own transitions, written by staff for the public.
// Residents' own actions (ratings, additions, messages) are left out.
var o311PublicKinds = []string{"complaint.filed", "complaint.accepted", "complaint.refused", "case.verifying",
	"case.verified", "case.dismissed", "case.assigned", "case.submitted", "case.closed", "case.reopened", "case.extended"}

// o311Closed is the spec's status of a complaint status.
func o311Closed(s ledger.ComplaintStatus) bool {
	return s == ledger.Refused || s == ledger.Concluded || s == ledger.ComplaintDone
}

func o311Status(s ledger.ComplaintStatus) string {
	if o311Closed(s) {
		return "closed"
	}
	return "open"
}

var o311ClosedStatuses = []ledger.ComplaintStatus{ledger.Refused, ledger.Concluded, ledger.ComplaintDone}

var o311RefRE = regexp.MustCompile(`^R(\d{1,18})$`)

// o311ParseRef reads a public complaint reference (R0000012); ok=false for
// anything else.
func o311ParseRef(s string) (int64, bool) {
	m := o311RefRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	return id, err == nil && id > 0
}

func (o *Open311) parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, o311Invalid(name, "日期时间须为 RFC 3339 格式，如 2026-11-01T00:00:00+08:00")
	}
	return t, nil
}

// requests is GET requests.{fmt}: service_request_id (comma list, overrides
// the other filters), service_code, start_date, end_date (default: the last
// 90 days), status (open, closed or both), page, page_size (at most 1,000).
func (o *Open311) requests(call *o311Call) (any, error) {
	q := call.c.Request.URL.Query()
	var where []string
	var args []any
	if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
		var list []any
		for _, s := range strings.Split(ids, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			id, ok := o311ParseRef(s)
			if !ok {
				return nil, o311Invalid("service_request_id", "编号格式应为 R 加数字，如 R0000012")
			}
			list = append(list, id)
		}
		if len(list) == 0 || len(list) > o311MaxIDsPerQuery {
			return nil, o311Invalid("service_request_id", fmt.Sprintf("一次可查询1至%d个编号", o311MaxIDsPerQuery))
		}
		query, inArgs, err := sqlx.In(`c.id IN (?)`, list)
		if err != nil {
			return nil, err
		}
		where, args = append(where, query), append(args, inArgs...)
		return o.list(o.ctx(call), where, args, 0, o311MaxResults)
	}

	if code := strings.TrimSpace(q.Get("service_code")); code != "" {
		cat := ledger.Category(code)
		if !cat.Valid() {
			return nil, o311Invalid("service_code", "服务类型不存在，请先查询 services")
		}
		// A complaint is listed under its first type (as service_code shows).
		cond := `(c.categories = ? OR c.categories LIKE ?`
		args = append(args, string(cat), string(cat)+",%")
		if cat == ledger.Other {
			cond += ` OR c.categories = ''`
		}
		where = append(where, cond+`)`)
	}
	start, end, err := o.window(q, o311DefaultWindow)
	if err != nil {
		return nil, err
	}
	where = append(where, `c.received_at >= ?`, `c.received_at <= ?`)
	args = append(args, db.UTC(start), db.UTC(end))

	if v := strings.TrimSpace(q.Get("status")); v != "" {
		wantOpen, wantClosed := false, false
		for _, s := range strings.Split(v, ",") {
			switch strings.TrimSpace(s) {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				return nil, o311Invalid("status", "只能是 open 或 closed")
			}
		}
		if wantOpen != wantClosed {
			op := "IN"
			if wantOpen {
				op = "NOT IN"
			}
			where = append(where, `c.status `+op+` (?, ?, ?)`)
			for _, s := range o311ClosedStatuses {
				args = append(args, s)
			}
		}
	}
	offset, size, err := o311Page(q)
	if err != nil {
		return nil, err
	}
	return o.list(o.ctx(call), where, args, offset, size)
}

// window reads start_date and end_date (RFC 3339); end defaults to now and
// start to def before end.
func (o *Open311) window(q url.Values, def time.Duration) (start, end time.Time, err error) {
	end = o.Now()
	if v := q.Get("end_date"); v != "" {
		if end, err = o.parseTime("end_date", v); err != nil {
			return
		}
	}
	start = end.Add(-def)
	if v := q.Get("start_date"); v != "" {
		if start, err = o.parseTime("start_date", v); err != nil {
			return
		}
	}
	if end.Before(start) {
		err = o311Invalid("end_date", "不能早于 start_date")
	}
	return
}

// o311Page reads page and page_size (the paging extension) as an offset and
// a limit.
func o311Page(q url.Values) (offset, size int, err error) {
	page, size := 1, o311MaxResults
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 1_000_000 {
			return 0, 0, o311Invalid("page", "须为正整数")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > o311MaxResults {
			return 0, 0, o311Invalid("page_size", fmt.Sprintf("须为1至%d的整数", o311MaxResults))
		}
	}
	return (page - 1) * size, size, nil
}

// request is GET requests/{service_request_id}.{fmt}: a list of one, as the
// spec says. 404 when there is no such request.
func (o *Open311) request(call *o311Call) (any, error) {
	id, ok := o311ParseRef(call.stem)
	if !ok {
		return nil, apperr.Errorf(apperr.ENOTFOUND, "举报编号 %s 不存在", strconv.Quote(o311Clip(call.stem, 40)))
	}
	out, err := o.list(o.ctx(call), []string{`c.id = ?`}, []any{id}, 0, 1)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.Errorf(apperr.ENOTFOUND, "举报编号 %s 不存在", ledger.ComplaintRef(id))
	}
	return out, nil
}

// list runs the listing query and fills in status notes from the public
// timeline.
func (o *Open311) list(ctx context.Context, where []string, args []any, offset, limit int) ([]o311Request, error) {
	query := o311SelectSQL
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY c.received_at DESC, c.id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, offset)
	var rows []o311Row
	if err := o.DB.SelectContext(ctx, &rows, o.DB.Rebind(query), args...); err != nil {
		return nil, db.Classify(fmt.Errorf("open311: list requests: %w", err))
	}
	notes, err := o.latestNotes(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]o311Request, 0, len(rows))
	for _, r := range rows {
		cat := ledger.Other
		if len(r.Categories) > 0 && r.Categories[0].Valid() {
			cat = r.Categories[0]
		}
		req := o311Request{
			ServiceRequestID: ledger.ComplaintRef(r.ID), Status: o311Status(r.Status),
			ServiceName: cat.Label(), ServiceCode: string(cat), AgencyResponsible: r.UnitName.String,
			ServiceNotice: r.Status.Label(), RequestedDatetime: o.rfc3339(r.ReceivedAt), Address: r.TownName.String,
		}
		updated := r.UpdatedAt
		if n, ok := notes[r.ID]; ok {
			req.StatusNotes = n.PublicNote
			if n.CreatedAt.After(updated) {
				updated = n.CreatedAt
			}
		}
		// A finished case's reply is the answer itself.
		if cs := ledger.CaseStatus(r.CaseStatus.String); (cs == ledger.Dismissed || cs == ledger.Closed) && r.CaseReply.String != "" {
			req.StatusNotes = r.CaseReply.String
		}
		req.UpdatedDatetime = o.rfc3339(updated)
		switch {
		case r.Status == ledger.Received:
			req.ExpectedDatetime = o.rfc3339(r.DecideDueAt)
		case !o311Closed(r.Status) && r.CaseDueAt.Valid:
			req.ExpectedDatetime = o.rfc3339(r.CaseDueAt.Time)
		}
		out = append(out, req)
	}
	return out, nil
}

// o311Note is one public timeline event as the API reads it.
type o311Note struct {
	ID          int64         `db:"id"`
	CaseID      sql.NullInt64 `db:"case_id"`
	ComplaintID sql.NullInt64 `db:"complaint_id"`
	Kind        string        `db:"kind"`
	ToStatus    string        `db:"to_status"`
	PublicNote  string        `db:"public_note"`
	CreatedAt   time.Time     `db:"created_at"`
}

// latestNotes returns, per complaint id, the newest public event of the
// complaint or of its case (as the tracking page shows them).
func (o *Open311) latestNotes(ctx context.Context, rows []o311Row) (map[int64]o311Note, error) {
	out := map[int64]o311Note{}
	if len(rows) == 0 {
		return out, nil
	}
	var ids, caseIDs []any
	byCase := map[int64][]int64{}
	for _, r := range rows {
		ids = append(ids, r.ID)
		if r.CaseID.Valid {
			if _, seen := byCase[r.CaseID.Int64]; !seen {
				caseIDs = append(caseIDs, r.CaseID.Int64)
			}
			byCase[r.CaseID.Int64] = append(byCase[r.CaseID.Int64], r.ID)
		}
	}
	kinds := make([]any, len(o311PublicKinds))
	for i, k := range o311PublicKinds {
		kinds[i] = k
	}
	const cols = `SELECT id, case_id, complaint_id, kind, to_status, public_note, created_at FROM events`
	var evs []o311Note
	q, a, err := sqlx.In(cols+` WHERE complaint_id IN (?) AND public_note <> '' AND kind IN (?)`, ids, kinds)
	if err != nil {
		return nil, err
	}
	if err := o.DB.SelectContext(ctx, &evs, o.DB.Rebind(q), a...); err != nil {
		return nil, db.Classify(fmt.Errorf("open311: notes: %w", err))
	}
	if len(caseIDs) > 0 {
		var cevs []o311Note
		q, a, err := sqlx.In(cols+` WHERE case_id IN (?) AND complaint_id IS NULL AND public_note <> '' AND kind IN (?)`, caseIDs, kinds)
		if err != nil {
			return nil, err
		}
		if err := o.DB.SelectContext(ctx, &cevs, o.DB.Rebind(q), a...); err != nil {
			return nil, db.Classify(fmt.Errorf("open311: case notes: %w", err))
		}
		evs = append(evs, cevs...)
	}
	for _, e := range evs {
		var targets []int64
		if e.ComplaintID.Valid {
			targets = []int64{e.ComplaintID.Int64}
		} else {
			targets = byCase[e.CaseID.Int64]
		}
		for _, id := range targets {
			if cur, ok := out[id]; !ok || e.ID > cur.ID {
				out[id] = e
			}
		}
	}
	return out, nil
}

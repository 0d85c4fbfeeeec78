package ledger

// The public listings of complaints (公开查询), for partner apps through
// Open311: only what is safe to publish. The columns are chosen so that
// nothing private is even read: no description, no street address or
// coordinates, no contact, no tracking code.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// PublicKinds are the timeline events whose public notes a listing may
// show: the workflow's own transitions, written by staff for the public.
// Residents' own actions (ratings, additions, messages) are left out.
var PublicKinds = []string{"complaint.filed", "complaint.accepted", "complaint.refused", "case.verifying",
	"case.verified", "case.dismissed", "case.assigned", "case.submitted", "case.closed", "case.reopened", "case.extended"}

// Finished reports whether the complaint has its answer: refused, or
// concluded (with or without the case struck off).
func (s ComplaintStatus) Finished() bool {
	return s == Refused || s == Concluded || s == ComplaintDone
}

var finishedStatuses = []ComplaintStatus{Refused, Concluded, ComplaintDone}

// PublicState filters a listing by Finished.
type PublicState int

// Public states.
const (
	AnyState     PublicState = iota
	OnlyOpen                 // not yet finished
	OnlyFinished             // finished
)

// PublicFilter selects complaints for a public listing. With IDs set the
// other filters are ignored.
type PublicFilter struct {
	IDs      []int64
	Category Category // listed under its first category; Other also matches none; "" for any
	From, To time.Time
	State    PublicState
	Offset   int
	Limit    int
}

// PublicRequest is one complaint as it may be published, with its town,
// case and unit, and the newest public note of it or its case.
type PublicRequest struct {
	ID          int64           `db:"id"`
	Status      ComplaintStatus `db:"status"`
	Categories  Categories      `db:"categories"`
	ReceivedAt  time.Time       `db:"received_at"`
	UpdatedAt   time.Time       `db:"updated_at"`
	DecideDueAt time.Time       `db:"decide_due_at"`
	CaseID      sql.NullInt64   `db:"case_id"`
	TownName    sql.NullString  `db:"town_name"`
	CaseStatus  sql.NullString  `db:"case_status"`
	CaseReply   sql.NullString  `db:"case_reply"`
	CaseDueAt   sql.NullTime    `db:"case_due_at"`
	UnitName    sql.NullString  `db:"unit_name"`
	LatestNote  *PublicNote     `db:"-"` // nil when none
}

// Answer is the request's answer as a listing may publish it: the case's
// public reply once the case is finished (dismissed or closed), else "".
// A reopened case's old reply is withdrawn (see Case.Reply) and never
// comes back here.
func (r *PublicRequest) Answer() string {
	c := Case{Status: CaseStatus(r.CaseStatus.String), PublicReply: r.CaseReply.String}
	if rep := c.Reply(); rep.Final {
		return rep.Text
	}
	return ""
}

// PublicNote is one public timeline event as a listing reads it.
type PublicNote struct {
	ID          int64         `db:"id"`
	CaseID      sql.NullInt64 `db:"case_id"`
	ComplaintID sql.NullInt64 `db:"complaint_id"`
	Kind        string        `db:"kind"`
	ToStatus    string        `db:"to_status"`
	PublicNote  string        `db:"public_note"`
	CreatedAt   time.Time     `db:"created_at"`
}

const publicSelectSQL = `SELECT c.id, c.status, c.categories, c.received_at, c.updated_at, c.decide_due_at, c.case_id,
 t.name AS town_name, k.status AS case_status, k.public_reply AS case_reply, k.due_at AS case_due_at, u.name AS unit_name
FROM complaints c
LEFT JOIN units t ON t.id = c.town_id
LEFT JOIN cases k ON k.id = c.case_id
LEFT JOIN units u ON u.id = k.unit_id`

const publicNoteCols = `SELECT id, case_id, complaint_id, kind, to_status, public_note, created_at FROM events`

func publicKindArgs() []any {
	kinds := make([]any, len(PublicKinds))
	for i, k := range PublicKinds {
		kinds[i] = k
	}
	return kinds
}

// PublicRequests lists the complaints of f, newest first.
func (s *Service) PublicRequests(ctx context.Context, f PublicFilter) ([]PublicRequest, error) {
	var where []string
	var args []any
	if len(f.IDs) > 0 {
		query, inArgs, err := sqlx.In(`c.id IN (?)`, f.IDs)
		if err != nil {
			return nil, err
		}
		where, args = append(where, query), append(args, inArgs...)
	} else {
		if f.Category != "" {
			cond := `(c.categories = ? OR c.categories LIKE ?`
			args = append(args, string(f.Category), string(f.Category)+",%")
			if f.Category == Other {
				cond += ` OR c.categories = ''`
			}
			where = append(where, cond+`)`)
		}
		where = append(where, `c.received_at >= ?`, `c.received_at <= ?`)
		args = append(args, db.UTC(f.From), db.UTC(f.To))
		if f.State != AnyState {
			op := "IN"
			if f.State == OnlyOpen {
				op = "NOT IN"
			}
			where = append(where, `c.status `+op+` (?, ?, ?)`)
			for _, st := range finishedStatuses {
				args = append(args, st)
			}
		}
	}
	query := publicSelectSQL
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY c.received_at DESC, c.id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, f.Offset)
	var rows []PublicRequest
	if err := s.DB.SelectContext(ctx, &rows, s.DB.Rebind(query), args...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: public requests: %w", err))
	}
	if err := s.latestNotes(ctx, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// latestNotes sets, per complaint, the newest public event of the complaint
// or of its case (as the tracking page shows them).
func (s *Service) latestNotes(ctx context.Context, rows []PublicRequest) error {
	if len(rows) == 0 {
		return nil
	}
	var ids, caseIDs []any
	byID := map[int64]*PublicRequest{}
	byCase := map[int64][]int64{}
	for i := range rows {
		r := &rows[i]
		ids = append(ids, r.ID)
		byID[r.ID] = r
		if r.CaseID.Valid {
			if _, seen := byCase[r.CaseID.Int64]; !seen {
				caseIDs = append(caseIDs, r.CaseID.Int64)
			}
			byCase[r.CaseID.Int64] = append(byCase[r.CaseID.Int64], r.ID)
		}
	}
	kinds := publicKindArgs()
	var evs []PublicNote
	q, a, err := sqlx.In(publicNoteCols+` WHERE complaint_id IN (?) AND public_note <> '' AND kind IN (?)`, ids, kinds)
	if err != nil {
		return err
	}
	if err := s.DB.SelectContext(ctx, &evs, s.DB.Rebind(q), a...); err != nil {
		return db.Classify(fmt.Errorf("ledger: public notes: %w", err))
	}
	if len(caseIDs) > 0 {
		var cevs []PublicNote
		q, a, err := sqlx.In(publicNoteCols+` WHERE case_id IN (?) AND complaint_id IS NULL AND public_note <> '' AND kind IN (?)`, caseIDs, kinds)
		if err != nil {
			return err
		}
		if err := s.DB.SelectContext(ctx, &cevs, s.DB.Rebind(q), a...); err != nil {
			return db.Classify(fmt.Errorf("ledger: public case notes: %w", err))
		}
		evs = append(evs, cevs...)
	}
	for i := range evs {
		e := &evs[i]
		var targets []int64
		if e.ComplaintID.Valid {
			targets = []int64{e.ComplaintID.Int64}
		} else {
			targets = byCase[e.CaseID.Int64]
		}
		for _, id := range targets {
			if r := byID[id]; r.LatestNote == nil || e.ID > r.LatestNote.ID {
				r.LatestNote = e
			}
		}
	}
	return nil
}

// PublicUpdate is one public timeline event of a complaint: a case event
// reaches every complaint of the case, so one event may appear once per
// complaint.
type PublicUpdate struct {
	EventID         int64           `db:"event_id"`
	ComplaintID     int64           `db:"complaint_id"`
	ComplaintStatus ComplaintStatus `db:"complaint_status"`
	Kind            string          `db:"kind"`
	ToStatus        string          `db:"to_status"`
	PublicNote      string          `db:"public_note"`
	CreatedAt       time.Time       `db:"created_at"`
}

// StatusAfter is the complaint's status right after the event: the event's
// target status (a case status maps to what its complaints show), or the
// current status for events that changed none.
func (u *PublicUpdate) StatusAfter() ComplaintStatus {
	switch {
	case u.ToStatus == "":
		return u.ComplaintStatus
	case strings.HasPrefix(u.Kind, "case."):
		return ComplaintStatusFor(CaseStatus(u.ToStatus))
	}
	return ComplaintStatus(u.ToStatus)
}

const publicUpdatesSQL = `SELECT e.id AS event_id, c.id AS complaint_id, c.status AS complaint_status, e.kind, e.to_status, e.public_note, e.created_at
FROM events e JOIN complaints c ON c.id = e.complaint_id
WHERE e.created_at >= ? AND e.created_at <= ? AND e.public_note <> '' AND e.kind IN (?)
UNION ALL
SELECT e.id AS event_id, c.id AS complaint_id, c.status AS complaint_status, e.kind, e.to_status, e.public_note, e.created_at
FROM events e JOIN complaints c ON c.case_id = e.case_id
WHERE e.complaint_id IS NULL AND e.created_at >= ? AND e.created_at <= ? AND e.public_note <> '' AND e.kind IN (?)
ORDER BY event_id, complaint_id LIMIT ? OFFSET ?`

// PublicUpdates lists the public events between from and to (inclusive),
// oldest first.
func (s *Service) PublicUpdates(ctx context.Context, from, to time.Time, offset, limit int) ([]PublicUpdate, error) {
	kinds := publicKindArgs()
	f, t := db.UTC(from), db.UTC(to)
	query, args, err := sqlx.In(publicUpdatesSQL, f, t, kinds, f, t, kinds, limit, offset)
	if err != nil {
		return nil, err
	}
	var rows []PublicUpdate
	if err := s.DB.SelectContext(ctx, &rows, s.DB.Rebind(query), args...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: public updates: %w", err))
	}
	return rows, nil
}

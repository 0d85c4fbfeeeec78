package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// Event is one entry of a timeline (办理过程): who did what, when, with a public
// note the resident sees and an internal note only staff see.
type Event struct {
	ID           int64         `db:"id"`
	CaseID       sql.NullInt64 `db:"case_id"`
	ComplaintID  sql.NullInt64 `db:"complaint_id"`
	Kind         string        `db:"kind"`
	FromStatus   string        `db:"from_status"`
	ToStatus     string        `db:"to_status"`
	ActorID      sql.NullInt64 `db:"actor_id"`
	Actor        string        `db:"actor"`
	PublicNote   string        `db:"public_note"`
	InternalNote string        `db:"internal_note"`
	CreatedAt    time.Time     `db:"created_at"`
	// ActorDisplay and ActorRole are the staff member's display name and
	// role, read for staff timelines only (CaseTimeline, ComplaintTimeline).
	ActorDisplay sql.NullString `db:"actor_display"`
	ActorRole    sql.NullString `db:"actor_role"`
}

// Who is who did it, as staff read it in a Chinese timeline: a staff
// member's display name, 举报人 for the reporter, 系统 for jobs, the
// partner app or hotline by its name; never a username (a member of staff
// without a display name is 工作人员: the surface names the role instead,
// from ActorRole).
func (e *Event) Who() string {
	if e.ActorDisplay.Valid && strings.TrimSpace(e.ActorDisplay.String) != "" {
		return e.ActorDisplay.String
	}
	switch a := e.Actor; {
	case a == Resident.Name:
		return "举报人"
	case a == System.Name || a == "":
		return "系统"
	case strings.HasPrefix(a, "open311:"):
		return "合作应用（" + strings.TrimPrefix(a, "open311:") + "）"
	case strings.HasPrefix(a, "hotline:"):
		return "12369热线（" + strings.TrimPrefix(a, "hotline:") + "）"
	case e.ActorID.Valid || e.ActorRole.Valid:
		return "工作人员"
	}
	return e.Actor
}

const eventColumns = `id, case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at`

// staffEventColumns adds the actor's display name: by the user id, or for
// an actor recorded by username only (a hotline operator's import) by that
// name; never for the reporter or the system, whatever accounts exist.
const staffEventColumns = `e.id, e.case_id, e.complaint_id, e.kind, e.from_status, e.to_status, e.actor_id, e.actor, e.public_note,
 e.internal_note, e.created_at, COALESCE(u.display_name, v.display_name) AS actor_display,
 COALESCE(u.role, v.role) AS actor_role
 FROM events e LEFT JOIN users u ON u.id = e.actor_id LEFT JOIN users v ON e.actor_id IS NULL AND v.username = e.actor
 AND e.actor NOT IN ('` + residentName + `', '` + systemName + `')`

// PublicTimeline is what a reporter sees: the public notes of the complaint's
// own events and of its case's events, oldest first. Internal notes and staff
// names are left out.
func (s *Service) PublicTimeline(ctx context.Context, c *Complaint) ([]Event, error) {
	var evs []Event
	var err error
	if c.CaseID.Valid {
		err = s.DB.SelectContext(ctx, &evs, `SELECT `+eventColumns+` FROM events
			WHERE (complaint_id = ? OR (case_id = ? AND complaint_id IS NULL)) AND public_note <> '' ORDER BY id`, c.ID, c.CaseID.Int64)
	} else {
		err = s.DB.SelectContext(ctx, &evs, `SELECT `+eventColumns+` FROM events WHERE complaint_id = ? AND public_note <> '' ORDER BY id`, c.ID)
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: public timeline of %d: %w", c.ID, err))
	}
	for i := range evs {
		evs[i].InternalNote, evs[i].Actor, evs[i].ActorID = "", "", sql.NullInt64{}
	}
	return evs, nil
}

// CaseTimeline is the staff view of a case: every event of the case and of
// its complaints, oldest first.
func (s *Service) CaseTimeline(ctx context.Context, caseID int64) ([]Event, error) {
	var evs []Event
	err := s.DB.SelectContext(ctx, &evs, `SELECT `+staffEventColumns+`
		WHERE e.case_id = ? OR e.complaint_id IN (SELECT id FROM complaints WHERE case_id = ?) ORDER BY e.id`, caseID, caseID)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: timeline of case %d: %w", caseID, err))
	}
	return evs, nil
}

// ComplaintTimeline is the staff view of one complaint: its own events,
// oldest first (its case's are on the case's timeline).
func (s *Service) ComplaintTimeline(ctx context.Context, complaintID int64) ([]Event, error) {
	var evs []Event
	err := s.DB.SelectContext(ctx, &evs, `SELECT `+staffEventColumns+` WHERE e.complaint_id = ? ORDER BY e.id`, complaintID)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: timeline of complaint %d: %w", complaintID, err))
	}
	return evs, nil
}

// NoteTx adds an event that changes no status (a message, an addition, a
// note) with its audit entry, in the caller's transaction. caseID or
// complaintID may be 0.
func (s *Service) NoteTx(ctx context.Context, tx *sqlx.Tx, caseID, complaintID int64, kind string, by Actor, in EventInput) error {
	return s.event(ctx, tx, s.now(), caseID, complaintID, kind, "", "", by, in)
}

// Complaints lists the complaints of a case, earliest received first.
func (s *Service) Complaints(ctx context.Context, caseID int64) ([]Complaint, error) {
	var cs []Complaint
	if err := s.DB.SelectContext(ctx, &cs, `SELECT `+complaintColumns+` FROM complaints WHERE case_id = ? ORDER BY received_at, id`, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: complaints of case %d: %w", caseID, err))
	}
	return cs, nil
}

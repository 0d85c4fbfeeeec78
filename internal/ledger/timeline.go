package ledger

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
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

// PublicTimeline is what a reporter sees, oldest first: the public notes of
// the complaint's own events, and of its case's events from the moment the
// complaint joined the case (its acceptance, or the merge that brought it
// along). A reporter whose complaint joins a case others reported earlier
// sees neither the earlier complaints' story nor steps taken before, only
// what happened to the problem since they told us. Internal notes and
// staff names are left out.
func (s *Service) PublicTimeline(ctx context.Context, c *Complaint) ([]Event, error) {
	var own []Event
	if err := s.DB.SelectContext(ctx, &own, `SELECT `+eventColumns+` FROM events WHERE complaint_id = ? ORDER BY id`, c.ID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: public timeline of %d: %w", c.ID, err))
	}
	return s.publicTimeline(ctx, c, own)
}

// publicTimeline is PublicTimeline given the complaint's own events, oldest
// first.
func (s *Service) publicTimeline(ctx context.Context, c *Complaint, own []Event) ([]Event, error) {
	var evs []Event
	for _, e := range own {
		if e.PublicNote != "" {
			evs = append(evs, e)
		}
	}
	if c.CaseID.Valid {
		spans, err := s.caseSpans(ctx, c, own)
		if err != nil {
			return nil, err
		}
		for _, sp := range spans {
			var part []Event
			q := `SELECT ` + eventColumns + ` FROM events WHERE case_id = ? AND complaint_id IS NULL AND public_note <> '' AND id > ? AND id < ? ORDER BY id`
			if err := s.DB.SelectContext(ctx, &part, q, sp.caseID, sp.after, sp.before); err != nil {
				return nil, db.Classify(fmt.Errorf("ledger: public timeline of %d: %w", c.ID, err))
			}
			evs = append(evs, part...)
		}
		slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	}
	for i := range evs {
		evs[i].InternalNote, evs[i].Actor, evs[i].ActorID = "", "", sql.NullInt64{}
	}
	return evs, nil
}

// caseSpan is a stretch of a complaint's life in one case: the case's
// events with ids strictly between after and before are the complaint's.
type caseSpan struct {
	caseID, after, before int64
}

// caseSpans follows a complaint from the case it was accepted into through
// the merges that carried it to its case now. Each merge ends a span at the
// merged case's case.merged event and starts the next after it.
func (s *Service) caseSpans(ctx context.Context, c *Complaint, own []Event) ([]caseSpan, error) {
	const open = int64(math.MaxInt64)
	at := caseSpan{caseID: c.CaseID.Int64, after: 0, before: open}
	for i := len(own) - 1; i >= 0; i-- {
		if own[i].Kind == "complaint.accepted" && own[i].CaseID.Valid {
			at = caseSpan{caseID: own[i].CaseID.Int64, after: own[i].ID, before: open}
			break
		}
	}
	var spans []caseSpan
	for hops := 0; at.caseID != c.CaseID.Int64; hops++ {
		var m struct {
			ID   int64         `db:"id"`
			Into sql.NullInt64 `db:"merged_into_id"`
		}
		err := s.DB.GetContext(ctx, &m, `SELECT e.id, k.merged_into_id FROM events e JOIN cases k ON k.id = e.case_id
 WHERE e.case_id = ? AND e.kind = 'case.merged' AND e.id > ? ORDER BY e.id LIMIT 1`, at.caseID, at.after)
		if errors.Is(err, sql.ErrNoRows) || hops > 16 || (err == nil && !m.Into.Valid) {
			// The trail ends short of the case the complaint is in now
			// (moved by hand): its story there starts with the trail's end.
			spans = append(spans, at)
			at = caseSpan{caseID: c.CaseID.Int64, after: at.after, before: open}
			break
		}
		if err != nil {
			return nil, db.Classify(fmt.Errorf("ledger: merges of case %d: %w", at.caseID, err))
		}
		at.before = m.ID
		spans = append(spans, at)
		at = caseSpan{caseID: m.Into.Int64, after: m.ID, before: open}
	}
	return append(spans, at), nil
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

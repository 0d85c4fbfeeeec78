package ledger

import (
	"context"
	"database/sql"
	"fmt"
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
}

const eventColumns = `id, case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at`

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
	err := s.DB.SelectContext(ctx, &evs, `SELECT `+eventColumns+` FROM events
		WHERE case_id = ? OR complaint_id IN (SELECT id FROM complaints WHERE case_id = ?) ORDER BY id`, caseID, caseID)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: timeline of case %d: %w", caseID, err))
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

package ledger

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// Service works the ledger. Now is injected so deadlines are testable.
type Service struct {
	DB       *db.DB
	Keys     *secret.Keys
	Limits   Limits
	Location *time.Location
	Now      func() time.Time
	// NoticePrefix begins the numbers of the notices issued from now on
	// (the county's, 石环督整 by default); each notice keeps its own.
	NoticePrefix string

	// OnVerified run inside the transaction that records a substantiated or
	// partly substantiated verification (the reward workflow hangs here). An
	// error aborts the verification.
	OnVerified []func(ctx context.Context, tx *sqlx.Tx, c *Case, result Verification, by Actor) error

	// OnEvent run inside the transaction of every timeline event written
	// through the ledger (every transition, NoteTx), after the event and its
	// audit entry: the outbox hangs here, so a change commits with the
	// messages it owes and a rolled-back change owes none. An error aborts
	// the change. Bulk filing (FileManyTx) writes its own events and does
	// not call them; neither does a group-committed filing (FileWith).
	OnEvent []func(ctx context.Context, tx *sqlx.Tx, ev *Event) error

	batch *atomic.Pointer[Batcher] // the group commit of filings, when started (shared by copies)
}

// NewService returns a Service with the default limits, Asia/Shanghai and the
// real clock; callers may change the fields before use.
func NewService(d *db.DB, keys *secret.Keys) *Service {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Service{DB: d, Keys: keys, Limits: DefaultLimits, Location: loc, Now: time.Now, batch: new(atomic.Pointer[Batcher])}
}

func (s *Service) now() time.Time { return db.UTC(s.Now()) }

// EventInput is what a transition says on the timeline.
type EventInput struct {
	PublicNote   string // the resident sees it
	InternalNote string // only staff see it
}

const insertEventSQL = `INSERT INTO events (case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// event writes one timeline event and its audit entry in tx.
func (s *Service) event(ctx context.Context, tx *sqlx.Tx, at time.Time, caseID, complaintID int64, kind, from, to string, by Actor, in EventInput) error {
	res, err := tx.ExecContext(ctx, insertEventSQL, nullID(caseID), nullID(complaintID), kind, from, to,
		by.userID(), actorName(by), in.PublicNote, in.InternalNote, at)
	if err != nil {
		return err
	}
	objType, objID := "case", caseID
	if caseID == 0 {
		objType, objID = "complaint", complaintID
	}
	detail := map[string]any{}
	if from != "" || to != "" {
		detail["from"], detail["to"] = from, to
	}
	if caseID != 0 && complaintID != 0 {
		detail["complaint"] = complaintID
	}
	if len(detail) == 0 {
		detail = nil
	}
	if err := audit.Append(ctx, tx, at, actorName(by), kind, objType, objID, detail); err != nil {
		return err
	}
	if len(s.OnEvent) == 0 {
		return nil
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	ev := &Event{ID: id, Kind: kind, FromStatus: from, ToStatus: to, Actor: actorName(by),
		PublicNote: in.PublicNote, InternalNote: in.InternalNote, CreatedAt: at}
	if caseID != 0 {
		ev.CaseID = sql.NullInt64{Int64: caseID, Valid: true}
	}
	if complaintID != 0 {
		ev.ComplaintID = sql.NullInt64{Int64: complaintID, Valid: true}
	}
	if by.UserID != 0 {
		ev.ActorID = sql.NullInt64{Int64: by.UserID, Valid: true}
	}
	for _, hook := range s.OnEvent {
		if err := hook(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

func actorName(a Actor) string {
	if a.Name == "" {
		return "system"
	}
	return a.Name
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

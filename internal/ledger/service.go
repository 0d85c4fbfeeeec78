package ledger

import (
	"context"
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
}

// NewService returns a Service with the default limits, Asia/Shanghai and the
// real clock; callers may change the fields before use.
func NewService(d *db.DB, keys *secret.Keys) *Service {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Service{DB: d, Keys: keys, Limits: DefaultLimits, Location: loc, Now: time.Now}
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
	if _, err := tx.ExecContext(ctx, insertEventSQL, nullID(caseID), nullID(complaintID), kind, from, to,
		by.userID(), actorName(by), in.PublicNote, in.InternalNote, at); err != nil {
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
	return audit.Append(ctx, tx, at, actorName(by), kind, objType, objID, detail)
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

// Package conversation is the reporter conversation (与举报人沟通) around a
// complaint after it is filed: the photos filed with it and added later
// (attachments), the reporter's additions (补充材料), the two-way messages
// with staff, the one rating of the outcome (满意度) and the "not solved /
// came back" follow-ups (问题未解决/反弹) with staff's answers. The portal
// (the reporter, by tracking code) and the back office (staff) both work it
// through this package; neither holds its SQL.
//
// Every action writes a complaint timeline event and its audit entry
// through the ledger in the same transaction. Events carry the complaint id
// only, never the case id, so the reporters of complaints merged into one
// case do not see each other's conversations; staff see the conversation,
// never who the reporter is.
package conversation

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Event kinds of the conversation.
const (
	KindAddition       = "resident.addition"
	KindReply          = "resident.reply"
	KindRating         = "resident.rating"
	KindFollowup       = "resident.followup"
	KindStaffMessage   = "staff.message"
	KindFollowupAnswer = "followup.answered"
)

// Limits bound what one complaint's conversation may hold.
type Limits struct {
	MaxAdditions int // additions by the reporter
	MaxReplies   int // messages by the reporter
	MaxQuestions int // messages by staff
}

// DefaultLimits are the limits the README documents.
var DefaultLimits = Limits{MaxAdditions: 20, MaxReplies: 50, MaxQuestions: 20}

// Service works the conversations. Now is the clock of the rows it writes
// (the ledger's when nil).
type Service struct {
	Ledger *ledger.Service
	DB     *db.DB
	Limits Limits
	Now    func() time.Time
}

// New returns a Service on the ledger's database and clock with the
// default limits.
func New(l *ledger.Service) *Service {
	return &Service{Ledger: l, DB: l.DB, Limits: DefaultLimits}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return db.UTC(s.Now())
	}
	return db.UTC(s.Ledger.Now())
}

// residentEvent writes a timeline event by the reporter and its audit entry
// in tx. The case id is left out on purpose (see the package comment).
func (s *Service) residentEvent(ctx context.Context, tx *sqlx.Tx, complaintID int64, kind, publicNote string) error {
	if err := s.Ledger.NoteTx(ctx, tx, 0, complaintID, kind, ledger.Resident, ledger.EventInput{PublicNote: publicNote}); err != nil {
		return fmt.Errorf("conversation: event %s: %w", kind, err)
	}
	return nil
}

// Thread is a complaint's conversation as its reporter sees it, with what
// the reporter may do next.
type Thread struct {
	FiledPhotos []Attachment // the photos sent with the report
	Additions   []Addition
	Messages    []Message
	Rating      *Rating // nil until rated
	Followups   []Followup

	CanReply    bool // staff asked something
	CanAdd      bool // the complaint is not finished
	CanRate     bool // a reply was given and not yet rated
	CanFollowup bool // a reply was given and no request is waiting
}

// Thread reads the conversation of c for its reporter.
func (s *Service) Thread(ctx context.Context, c *ledger.Complaint) (*Thread, error) {
	t := &Thread{}
	var err error
	if t.Messages, err = s.Messages(ctx, c.ID); err != nil {
		return nil, err
	}
	if t.Rating, err = s.Rating(ctx, c.ID); err != nil && !isNotFound(err) {
		return nil, err
	}
	if t.Followups, err = s.Followups(ctx, c.ID); err != nil {
		return nil, err
	}
	photos, err := s.Attachments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if t.Additions, t.FiledPhotos, err = s.additions(ctx, c.ID, photos); err != nil {
		return nil, err
	}
	for _, m := range t.Messages {
		if m.FromStaff() {
			t.CanReply = true
		}
	}
	t.CanAdd = CanAdd(c)
	t.CanRate = CanRate(c) && t.Rating == nil
	t.CanFollowup = CanFollowup(c)
	for _, f := range t.Followups {
		if f.Status == FollowupOpen {
			t.CanFollowup = false
		}
	}
	return t, nil
}

// Conversation is one complaint of a case with its messages and follow-ups,
// as staff see it.
type Conversation struct {
	Complaint ledger.Complaint
	Messages  []Message
	Followups []Followup
}

// OfCase returns the conversation of every complaint of a case, earliest
// complaint first. ENOTFOUND for no case.
func (s *Service) OfCase(ctx context.Context, caseID int64) ([]Conversation, error) {
	if _, err := s.Ledger.Case(ctx, caseID); err != nil {
		return nil, err
	}
	cms, err := s.Ledger.Complaints(ctx, caseID)
	if err != nil {
		return nil, err
	}
	ms, err := s.caseMessages(ctx, caseID)
	if err != nil {
		return nil, err
	}
	fs, err := s.FollowupsOfCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(cms))
	idx := map[int64]int{}
	for _, cm := range cms {
		idx[cm.ID] = len(out)
		out = append(out, Conversation{Complaint: cm})
	}
	for _, m := range ms {
		if i, ok := idx[m.ComplaintID]; ok {
			out[i].Messages = append(out[i].Messages, m)
		}
	}
	for _, f := range fs {
		if i, ok := idx[f.ComplaintID]; ok {
			out[i].Followups = append(out[i].Followups, f)
		}
	}
	return out, nil
}

// Package evidence is what travels with a case from hand to hand (佐证材料):
// the residents' photos and additions, the rating's comment and follow-ups,
// where the reporter said it happened, the inspectors' on-site photos and the
// units' before/after photos. It gathers them for each role as workflows.md
// says (an inspector sees everything of the case; a unit sees what an
// inspector shares with it and its own report photos), decides who may open
// which photo, and writes every view to the audit log before the photo is
// served. It owns the shares (table photo_shares); the photos themselves
// are the conversation's (attachments) and the ledger's (case_photos).
package evidence

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Source says where a photo is kept.
type Source string

// Sources.
const (
	Resident Source = "resident" // a reporter's photo (conversation attachments)
	Staff    Source = "case"     // an inspector's or a unit's photo (ledger case_photos)
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return s == Resident || s == Staff }

// Ref names one photo.
type Ref struct {
	Source Source
	ID     int64
}

// Photo is one photo as a page lists it: what it is, never where its file is.
type Photo struct {
	Ref
	ComplaintID int64 // a reporter's photo: its complaint
	NoticeID    int64 // a unit's photo: the notice its report answered
	Kind        string
	MIME        string
	Size        int64
	CreatedAt   time.Time
	Shared      bool // shared with the case's responsible unit
}

// Photo kinds beside ledger.PhotoKind: a reporter's photo was sent with the
// report or with an addition.
const (
	KindFiled    = "filed"
	KindAddition = "addition"
)

var kindLabels = map[string]string{KindFiled: "举报时照片", KindAddition: "补充材料照片"}

// Label is the kind's Chinese name.
func (p Photo) Label() string {
	if l, ok := kindLabels[p.Kind]; ok {
		return l
	}
	return ledger.PhotoKind(p.Kind).Label()
}

// Shareable reports whether an inspector may share the photo with the unit
// (the unit's own report photos are the unit's already).
func (p Photo) Shareable() bool {
	return p.Source == Resident || p.Kind == string(ledger.PhotoOnSite)
}

// Addition is one 补充材料 of a reporter, with its photos.
type Addition struct {
	Body      string
	CreatedAt time.Time
	Photos    []Photo
}

// Location is where the reporter said it happened: the town as given (and
// whether it matched a town of the list), the address as given, and the
// coordinates a partner app sent.
type Location struct {
	TownText  string
	Address   string
	Lat, Long string
}

// ComplaintEvidence is everything a reporter gave with one complaint, and
// what the source could not map.
type ComplaintEvidence struct {
	Complaint ledger.Complaint
	Filed     []Photo
	Additions []Addition
	Messages  []conversation.Message
	Rating    *conversation.Rating // nil until rated
	Followups []conversation.Followup
	Location  Location
	Warnings  []string       // import warnings, each with its raw value (phones masked)
	Extra     []ledger.Field // values no column holds, as given
}

// Photos lists every photo of the complaint, filed first.
func (e *ComplaintEvidence) Photos() []Photo {
	out := slices.Clone(e.Filed)
	for _, a := range e.Additions {
		out = append(out, a.Photos...)
	}
	return out
}

// Report is one rectification report's photos (整改前/整改后).
type Report struct {
	NoticeID int64
	At       time.Time
	Before   []Photo
	After    []Photo
}

// CaseEvidence is the whole evidence of a case, as inspectors see it.
type CaseEvidence struct {
	Complaints []ComplaintEvidence
	OnSite     []Photo  // the inspectors' (verification, inspection findings)
	Reports    []Report // the units', oldest first
}

// Shareable lists the photos an inspector may share with the unit.
func (e *CaseEvidence) Shareable() []Photo {
	var out []Photo
	for i := range e.Complaints {
		out = append(out, e.Complaints[i].Photos()...)
	}
	return append(out, e.OnSite...)
}

// UnitEvidence is what the responsible unit sees of a case's photos.
type UnitEvidence struct {
	Shared  []Photo  // what inspectors shared with it
	Reports []Report // its own reports' photos
}

// Service gathers the evidence. Now is the clock of the audit entries and
// shares (the ledger's when nil).
type Service struct {
	Ledger       *ledger.Service
	Conversation *conversation.Service
	DB           *db.DB
	Now          func() time.Time
}

// New returns a Service on the ledger's database.
func New(l *ledger.Service, cv *conversation.Service) *Service {
	return &Service{Ledger: l, Conversation: cv, DB: l.DB}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return db.UTC(s.Now())
	}
	return db.UTC(s.Ledger.Now())
}

// OfComplaint gathers what the reporter gave with one complaint (for the
// complaint's own page, in triage or after).
func (s *Service) OfComplaint(ctx context.Context, c *ledger.Complaint) (*ComplaintEvidence, error) {
	var shared map[Ref]bool
	if c.CaseID.Valid {
		var err error
		if shared, err = s.shares(ctx, c.CaseID.Int64); err != nil {
			return nil, err
		}
	}
	return s.ofComplaint(ctx, c, shared)
}

func (s *Service) ofComplaint(ctx context.Context, c *ledger.Complaint, shared map[Ref]bool) (*ComplaintEvidence, error) {
	e := &ComplaintEvidence{Complaint: *c, Warnings: c.WarningList(), Extra: c.ExtraFields(),
		Location: Location{TownText: c.TownText, Address: c.Address}}
	e.Location.Lat, e.Location.Long, _ = c.Coordinates()
	adds, filed, err := s.Conversation.Additions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range filed {
		e.Filed = append(e.Filed, residentPhoto(a, KindFiled, shared))
	}
	for _, a := range adds {
		ea := Addition{Body: a.Body, CreatedAt: a.CreatedAt}
		for _, p := range a.Photos {
			ea.Photos = append(ea.Photos, residentPhoto(p, KindAddition, shared))
		}
		e.Additions = append(e.Additions, ea)
	}
	if e.Messages, err = s.Conversation.Messages(ctx, c.ID); err != nil {
		return nil, err
	}
	if e.Rating, err = s.Conversation.Rating(ctx, c.ID); err != nil && !apperr.Is(err, apperr.ENOTFOUND) {
		return nil, err
	}
	if e.Followups, err = s.Conversation.Followups(ctx, c.ID); err != nil {
		return nil, err
	}
	return e, nil
}

func residentPhoto(a conversation.Attachment, kind string, shared map[Ref]bool) Photo {
	ref := Ref{Resident, a.ID}
	return Photo{Ref: ref, ComplaintID: a.ComplaintID, Kind: kind, MIME: a.MIME, Size: a.Size, CreatedAt: a.CreatedAt, Shared: shared[ref]}
}

func casePhoto(p ledger.CasePhoto, shared map[Ref]bool) Photo {
	ref := Ref{Staff, p.ID}
	return Photo{Ref: ref, NoticeID: p.NoticeID.Int64, Kind: string(p.Kind), MIME: p.MIME, Size: p.Size, CreatedAt: p.CreatedAt, Shared: shared[ref]}
}

// OfCase gathers the whole evidence of a case: every complaint's, the
// on-site photos and the units' reports. ENOTFOUND for no case.
func (s *Service) OfCase(ctx context.Context, caseID int64) (*CaseEvidence, error) {
	if _, err := s.Ledger.Case(ctx, caseID); err != nil {
		return nil, err
	}
	shared, err := s.shares(ctx, caseID)
	if err != nil {
		return nil, err
	}
	cms, err := s.Ledger.Complaints(ctx, caseID)
	if err != nil {
		return nil, err
	}
	e := &CaseEvidence{}
	for i := range cms {
		ce, err := s.ofComplaint(ctx, &cms[i], shared)
		if err != nil {
			return nil, err
		}
		e.Complaints = append(e.Complaints, *ce)
	}
	ps, err := s.Ledger.CasePhotos(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var reported []ledger.CasePhoto
	for _, p := range ps {
		if p.NoticeID.Valid {
			reported = append(reported, p)
		} else {
			e.OnSite = append(e.OnSite, casePhoto(p, shared))
		}
	}
	e.Reports = reports(reported, shared)
	return e, nil
}

// reports groups report photos by the report that sent them: one notice,
// one transaction (one time).
func reports(ps []ledger.CasePhoto, shared map[Ref]bool) []Report {
	var out []Report
	for _, p := range ps {
		if n := len(out); n == 0 || out[n-1].NoticeID != p.NoticeID.Int64 || !out[n-1].At.Equal(p.CreatedAt) {
			out = append(out, Report{NoticeID: p.NoticeID.Int64, At: p.CreatedAt})
		}
		r := &out[len(out)-1]
		if p.Kind == ledger.PhotoBefore {
			r.Before = append(r.Before, casePhoto(p, shared))
		} else {
			r.After = append(r.After, casePhoto(p, shared))
		}
	}
	return out
}

// ForUnit is what unit sees of a case's photos: those shared with it, and
// its own reports'. Nothing when the unit has no notice on the case.
func (s *Service) ForUnit(ctx context.Context, caseID, unitID int64) (*UnitEvidence, error) {
	ok, err := s.Ledger.UnitHasNotice(ctx, caseID, unitID)
	if err != nil || !ok {
		return &UnitEvidence{}, err
	}
	all, err := s.OfCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	out := &UnitEvidence{}
	for _, p := range all.Shareable() {
		if p.Shared {
			out.Shared = append(out.Shared, p)
		}
	}
	own, err := s.Ledger.UnitReportPhotos(ctx, caseID, unitID)
	if err != nil {
		return nil, err
	}
	out.Reports = reports(own, nil)
	return out, nil
}

const (
	sharesSQL      = `SELECT source, photo_id FROM photo_shares WHERE case_id = ?`
	isSharedSQL    = `SELECT COUNT(*) FROM photo_shares WHERE case_id = ? AND source = ? AND photo_id = ?`
	clearSharesSQL = `DELETE FROM photo_shares WHERE case_id = ?`
	insertShareSQL = `INSERT INTO photo_shares (case_id, source, photo_id, shared_by, shared_at) VALUES (?, ?, ?, ?, ?)`
)

func (s *Service) shares(ctx context.Context, caseID int64) (map[Ref]bool, error) {
	var rows []struct {
		Source Source `db:"source"`
		ID     int64  `db:"photo_id"`
	}
	if err := s.DB.SelectContext(ctx, &rows, sharesSQL, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("evidence: shares of case %d: %w", caseID, err))
	}
	m := make(map[Ref]bool, len(rows))
	for _, r := range rows {
		m[Ref{r.Source, r.ID}] = true
	}
	return m, nil
}

// KindShared is the timeline event of a change to what the unit sees.
const KindShared = "evidence.shared"

// Share sets which photos of a case its responsible unit sees (提供给责任
// 单位): exactly refs, replacing the earlier choice, with an internal
// timeline event, in one transaction. Every ref must be a reporter's photo
// of a complaint of the case or an on-site photo of it: EINVALID (field
// photos) otherwise, nothing changed. ENOTFOUND for no case.
func (s *Service) Share(ctx context.Context, caseID int64, refs []Ref, by ledger.Actor) error {
	all, err := s.OfCase(ctx, caseID)
	if err != nil {
		return err
	}
	ok := map[Ref]bool{}
	for _, p := range all.Shareable() {
		ok[p.Ref] = true
	}
	seen := map[Ref]bool{}
	var set []Ref
	for _, r := range refs {
		if !ok[r] {
			return apperr.Invalid(map[string]string{"photos": "所选照片不属于本问题"})
		}
		if !seen[r] {
			seen[r] = true
			set = append(set, r)
		}
	}
	now := s.now()
	var sharedBy any
	if by.UserID != 0 {
		sharedBy = by.UserID
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, clearSharesSQL, caseID); err != nil {
			return fmt.Errorf("evidence: shares of case %d: %w", caseID, err)
		}
		for _, r := range set {
			if _, err := tx.ExecContext(ctx, insertShareSQL, caseID, r.Source, r.ID, sharedBy, now); err != nil {
				return fmt.Errorf("evidence: share %s %d: %w", r.Source, r.ID, err)
			}
		}
		note := fmt.Sprintf("提供给责任单位的照片：%d张", len(set))
		return s.Ledger.NoteTx(ctx, tx, caseID, 0, KindShared, by, ledger.EventInput{InternalNote: note})
	}))
}

// Viewer is who opens a photo.
type Viewer struct {
	By   ledger.Actor
	Role string // written to the audit entry
	// Unit restricts a responsible unit's user to the photos shared with
	// it on a case its unit has a notice on, and its own report photos. 0
	// for the staff who work cases (the route lets only them in).
	Unit int64
}

// File is a photo to serve.
type File struct {
	StoredName string
	MIME       string
	CaseID     int64
}

// ErrNoPhoto is the answer to a photo that does not exist or that the viewer
// may not see: the same answer, so that guessing ids tells nothing.
var ErrNoPhoto = &apperr.Error{Code: apperr.ENOTFOUND, Message: "照片不存在"}

// Open checks that v may see the photo and writes the view to the audit log
// (photo.viewed, with the viewer's role and the case) before returning the
// file: no audit entry, no photo. ErrNoPhoto when there is no such photo or
// v may not see it.
func (s *Service) Open(ctx context.Context, ref Ref, v Viewer) (*File, error) {
	f, objType, err := s.find(ctx, ref, v)
	if err != nil {
		if apperr.Code(err) == apperr.ENOTFOUND {
			return nil, ErrNoPhoto
		}
		return nil, err
	}
	by := v.By.Name
	if by == "" {
		by = "system"
	}
	detail := map[string]any{"role": v.Role}
	if f.CaseID != 0 {
		detail["case"] = f.CaseID
	}
	if err := audit.Append(ctx, s.DB, s.now(), by, "photo.viewed", objType, ref.ID, detail); err != nil {
		return nil, db.Classify(fmt.Errorf("evidence: audit view of %s %d: %w", ref.Source, ref.ID, err))
	}
	return f, nil
}

func (s *Service) find(ctx context.Context, ref Ref, v Viewer) (*File, string, error) {
	switch ref.Source {
	case Resident:
		a, err := s.Conversation.AttachmentByID(ctx, ref.ID)
		if err != nil {
			return nil, "", err
		}
		c, err := s.Ledger.Complaint(ctx, a.ComplaintID)
		if err != nil {
			return nil, "", err
		}
		f := &File{StoredName: a.StoredName, MIME: a.MIME, CaseID: c.CaseID.Int64}
		if v.Unit == 0 {
			return f, "attachment", nil
		}
		if !c.CaseID.Valid {
			return nil, "", ErrNoPhoto
		}
		if err := s.sharedWith(ctx, f.CaseID, ref, v.Unit); err != nil {
			return nil, "", err
		}
		return f, "attachment", nil
	case Staff:
		p, err := s.Ledger.CasePhoto(ctx, ref.ID)
		if err != nil {
			return nil, "", err
		}
		f := &File{StoredName: p.StoredName, MIME: p.MIME, CaseID: p.CaseID}
		if v.Unit == 0 {
			return f, "case_photo", nil
		}
		if p.NoticeID.Valid {
			n, err := s.Ledger.Notice(ctx, p.NoticeID.Int64)
			if err != nil {
				return nil, "", err
			}
			if n.UnitID == v.Unit {
				return f, "case_photo", nil
			}
			return nil, "", ErrNoPhoto
		}
		if err := s.sharedWith(ctx, p.CaseID, ref, v.Unit); err != nil {
			return nil, "", err
		}
		return f, "case_photo", nil
	}
	return nil, "", ErrNoPhoto
}

// sharedWith is nil when the photo is shared on the case and the unit has
// a notice on it, ErrNoPhoto when not, and the failure when a query failed
// (which shares nothing either).
func (s *Service) sharedWith(ctx context.Context, caseID int64, ref Ref, unit int64) error {
	var n int
	if err := s.DB.GetContext(ctx, &n, isSharedSQL, caseID, ref.Source, ref.ID); err != nil {
		return db.Classify(fmt.Errorf("evidence: share of %s %d: %w", ref.Source, ref.ID, err))
	}
	if n == 0 {
		return ErrNoPhoto
	}
	ok, err := s.Ledger.UnitHasNotice(ctx, caseID, unit)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoPhoto
	}
	return nil
}

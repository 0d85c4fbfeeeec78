package evidence_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/evidence"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

var (
	ctx       = context.Background()
	inspector = ledger.Actor{Name: "inspector1"}
)

type env struct {
	t  *testing.T
	l  *ledger.Service
	cv *conversation.Service
	ev *evidence.Service
	n  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewService(d, keys)
	now := time.Date(2026, 11, 3, 6, 22, 5, 0, time.UTC)
	l.Now = func() time.Time { return now }
	cv := conversation.New(l)
	return &env{t: t, l: l, cv: cv, ev: evidence.New(l, cv)}
}

// name is a fresh stored name, as the surfaces make them.
func (e *env) name() string {
	e.n++
	return fmt.Sprintf("%032x.jpg", e.n)
}

func (e *env) photos(n int) []conversation.Photo {
	out := make([]conversation.Photo, n)
	for i := range out {
		out[i] = conversation.Photo{Name: e.name(), MIME: "image/jpeg", Size: 1000}
	}
	return out
}

// assigned files a complaint with two photos, adds one more, and takes it to
// a notice to unit with an on-site photo. It returns the case, the
// complaint and the notice.
func (e *env) assigned(unit int64) (int64, *ledger.Complaint, *ledger.Notice) {
	e.t.Helper()
	f, err := e.cv.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Address: "城关镇东街12号", Description: "建材厂夜里冒黑烟，气味刺鼻。", Identity: ledger.Anonymous}, e.photos(2))
	if err != nil {
		e.t.Fatal(err)
	}
	c := &f.Complaint
	if err := e.cv.Add(ctx, c, "今晚又冒黑烟", e.photos(1)); err != nil {
		e.t.Fatal(err)
	}
	id, err := e.l.Accept(ctx, c.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(e.l.StartVerification(ctx, id, inspector, ledger.EventInput{}))
	must(e.l.AddOnSitePhotos(ctx, id, []ledger.Photo{{Name: e.name(), MIME: "image/jpeg", Size: 900}}, inspector))
	must(e.l.RecordVerification(ctx, id, ledger.Substantiated, "属实", inspector, ledger.EventInput{}))
	n, err := e.l.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: unit, Requirements: "停产整改", Deadline: e.l.Now().Add(15 * 24 * time.Hour)}, inspector)
	must(err)
	c, _ = e.l.Complaint(ctx, c.ID)
	return id, c, n
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.l.DB.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestOfCaseGathersEverything: the inspector sees the reporter's three
// photos (two filed, one added), the addition's text, the on-site photo and
// the unit's report photos, grouped by report.
func TestOfCaseGathersEverything(t *testing.T) {
	e := newEnv(t)
	id, c, n := e.assigned(1)
	report := []ledger.Photo{{Kind: ledger.PhotoBefore, Name: e.name(), MIME: "image/jpeg"}, {Kind: ledger.PhotoAfter, Name: e.name(), MIME: "image/png"}}
	if err := e.l.ReportRectification(ctx, n.ID, 1, "已整改", ledger.Actor{Name: "unit"}, report...); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.Rate(ctx, &ledger.Complaint{ID: c.ID, Status: ledger.ComplaintDone}, conversation.Unsatisfied, "晚上还是有噪声"); err != nil {
		t.Fatal(err)
	}
	all, err := e.ev.OfCase(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Complaints) != 1 {
		t.Fatalf("%d complaints", len(all.Complaints))
	}
	ce := all.Complaints[0]
	if len(ce.Filed) != 2 || len(ce.Additions) != 1 || ce.Additions[0].Body != "今晚又冒黑烟" || len(ce.Photos()) != 3 {
		t.Fatalf("complaint evidence %+v", ce)
	}
	if ce.Filed[0].Label() != "举报时照片" || ce.Additions[0].Photos[0].Label() != "补充材料照片" {
		t.Fatalf("labels %q %q", ce.Filed[0].Label(), ce.Additions[0].Photos[0].Label())
	}
	if ce.Rating == nil || ce.Rating.Comment != "晚上还是有噪声" || ce.Location.Address != "城关镇东街12号" {
		t.Fatalf("rating %+v location %+v", ce.Rating, ce.Location)
	}
	if len(all.OnSite) != 1 || all.OnSite[0].Label() != "现场照片" {
		t.Fatalf("on-site %+v", all.OnSite)
	}
	if len(all.Reports) != 1 || len(all.Reports[0].Before) != 1 || len(all.Reports[0].After) != 1 || all.Reports[0].NoticeID != n.ID {
		t.Fatalf("reports %+v", all.Reports)
	}
	if got := len(all.Shareable()); got != 4 {
		t.Fatalf("%d shareable photos, want the reporter's 3 and the on-site one", got)
	}
	if _, err := e.ev.OfCase(ctx, id+100); apperr.Code(err) != apperr.ENOTFOUND {
		t.Fatalf("no case: %v", err)
	}
}

// TestWhoOpensWhichPhoto walks every photo with every viewer: staff who
// work cases open all; the unit with the notice opens what was shared with
// it and its own report photos; another unit opens nothing of this case,
// whatever ids it guesses. Each opening is audited first; a refusal writes
// nothing and looks like a missing photo.
func TestWhoOpensWhichPhoto(t *testing.T) {
	e := newEnv(t)
	id, _, n := e.assigned(1)
	before := ledger.Photo{Kind: ledger.PhotoBefore, Name: e.name(), MIME: "image/jpeg"}
	if err := e.l.ReportRectification(ctx, n.ID, 1, "已整改", ledger.Actor{Name: "unit"}, before); err != nil {
		t.Fatal(err)
	}
	// Another unit's case with its own report photo.
	id2, _, n2 := e.assigned(2)
	if err := e.l.ReportRectification(ctx, n2.ID, 2, "已整改", ledger.Actor{Name: "unit2"}, ledger.Photo{Kind: ledger.PhotoAfter, Name: e.name(), MIME: "image/jpeg"}); err != nil {
		t.Fatal(err)
	}
	all, _ := e.ev.OfCase(ctx, id)
	resident := all.Complaints[0].Photos()
	onsite := all.OnSite[0]
	own := all.Reports[0].Before[0]
	other, _ := e.ev.OfCase(ctx, id2)
	theirs := other.Reports[0].After[0]
	// Share one reporter's photo and the on-site one with the unit.
	if err := e.ev.Share(ctx, id, []evidence.Ref{resident[1].Ref, onsite.Ref, resident[1].Ref}, inspector); err != nil {
		t.Fatal(err)
	}
	// A photo of another case cannot be shared on this one.
	if err := e.ev.Share(ctx, id, []evidence.Ref{other.Complaints[0].Filed[0].Ref}, inspector); apperr.Code(err) != apperr.EINVALID {
		t.Fatalf("sharing another case's photo: %v", err)
	}
	staff := evidence.Viewer{By: inspector, Role: "inspector"}
	unit1 := evidence.Viewer{By: ledger.Actor{Name: "chengguan"}, Role: "unit", Unit: 1}
	unit2 := evidence.Viewer{By: ledger.Actor{Name: "raofeng"}, Role: "unit", Unit: 2}
	tests := []struct {
		name string
		v    evidence.Viewer
		ref  evidence.Ref
		sees bool
	}{
		{"StaffResidentFiled", staff, resident[0].Ref, true},
		{"StaffResidentAdded", staff, resident[2].Ref, true},
		{"StaffOnSite", staff, onsite.Ref, true},
		{"StaffUnitReport", staff, own.Ref, true},
		{"UnitShared", unit1, resident[1].Ref, true},
		{"UnitSharedOnSite", unit1, onsite.Ref, true},
		{"UnitOwnReport", unit1, own.Ref, true},
		{"ErrUnitNotShared", unit1, resident[0].Ref, false},
		{"ErrUnitAnotherUnitsReport", unit1, theirs.Ref, false},
		{"ErrOtherUnitShared", unit2, resident[1].Ref, false},
		{"ErrOtherUnitOnSite", unit2, onsite.Ref, false},
		{"ErrOtherUnitReport", unit2, own.Ref, false},
		{"OtherUnitOwnReport", unit2, theirs.Ref, true},
		{"ErrGuessedResident", unit1, evidence.Ref{Source: evidence.Resident, ID: 9999}, false},
		{"ErrGuessedStaff", staff, evidence.Ref{Source: evidence.Staff, ID: 9999}, false},
		{"ErrUnknownSource", staff, evidence.Ref{Source: "x", ID: resident[0].ID}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audits := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'photo.viewed'`)
			f, err := e.ev.Open(ctx, tt.ref, tt.v)
			after := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'photo.viewed'`)
			if !tt.sees {
				if err != evidence.ErrNoPhoto || f != nil || after != audits {
					t.Fatalf("err %v, file %v, audits %d→%d", err, f, audits, after)
				}
				return
			}
			if err != nil || f.StoredName == "" || after != audits+1 {
				t.Fatalf("err %v, file %+v, audits %d→%d", err, f, audits, after)
			}
			if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'photo.viewed' AND actor = ? AND object_id = ?`, tt.v.By.Name, fmt.Sprint(tt.ref.ID)); n == 0 {
				t.Fatal("the audit entry does not name the viewer and the photo")
			}
		})
	}
	// What each unit's page lists.
	u1, _ := e.ev.ForUnit(ctx, id, 1)
	u2, _ := e.ev.ForUnit(ctx, id, 2)
	if len(u1.Shared) != 2 || len(u1.Reports) != 1 || len(u2.Shared) != 0 || len(u2.Reports) != 0 {
		t.Fatalf("unit 1 sees %d shared, %d reports; unit 2 %d, %d", len(u1.Shared), len(u1.Reports), len(u2.Shared), len(u2.Reports))
	}
	// Unsharing takes it back at once.
	if err := e.ev.Share(ctx, id, nil, inspector); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ev.Open(ctx, resident[1].Ref, unit1); err != evidence.ErrNoPhoto {
		t.Fatalf("after unsharing: %v", err)
	}
	if n := e.count(`SELECT COUNT(*) FROM events WHERE case_id = ? AND kind = ?`, id, evidence.KindShared); n != 2 {
		t.Fatalf("%d share events", n)
	}
}

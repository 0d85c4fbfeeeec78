package ledger_test

import (
	"fmt"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

func photos(kind ledger.PhotoKind, n int) []ledger.Photo {
	out := make([]ledger.Photo, n)
	for i := range out {
		out[i] = ledger.Photo{Kind: kind, Name: fmt.Sprintf("%s%030d.jpg", kind[:2], i), MIME: "image/jpeg", Size: 1000}
	}
	return out
}

// TestReportWithPhotos: the unit's report carries its before/after photos
// against the notice it answers, in the same transaction as the report; a
// refused report leaves no photo row.
func TestReportWithPhotos(t *testing.T) {
	tests := []struct {
		name   string
		unit   int64
		photos []ledger.Photo
		code   string
	}{
		{"OK", 1, append(photos(ledger.PhotoBefore, 1), photos(ledger.PhotoAfter, 2)...), ""},
		{"OKWithout", 1, nil, ""},
		{"ErrOnSiteKind", 1, photos(ledger.PhotoOnSite, 1), apperr.EINVALID},
		{"ErrTooMany", 1, photos(ledger.PhotoAfter, ledger.MaxPhotosPerAction+1), apperr.EINVALID},
		{"ErrAnotherUnitsNotice", 2, photos(ledger.PhotoAfter, 1), apperr.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			id := verifiedCase(t, s)
			n, err := s.IssueNotice(ctx, newNotice(id, s), inspector)
			if err != nil {
				t.Fatal(err)
			}
			err = s.ReportRectification(ctx, n.ID, tt.unit, "已停止夜间生产。", ledger.Actor{Name: "unit"}, tt.photos...)
			if apperr.Code(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			ps, _ := s.CasePhotos(ctx, id)
			if tt.code != "" {
				if len(ps) != 0 {
					t.Fatalf("a refused report stored %d photos", len(ps))
				}
				return
			}
			if len(ps) != len(tt.photos) {
				t.Fatalf("%d photos stored, want %d", len(ps), len(tt.photos))
			}
			for i, p := range ps {
				if p.NoticeID.Int64 != n.ID || p.Kind != tt.photos[i].Kind || p.StoredName != tt.photos[i].Name {
					t.Fatalf("photo %+v", p)
				}
			}
			mine, _ := s.UnitReportPhotos(ctx, id, 1)
			theirs, _ := s.UnitReportPhotos(ctx, id, 2)
			if len(mine) != len(tt.photos) || len(theirs) != 0 {
				t.Fatalf("unit photos %d / %d", len(mine), len(theirs))
			}
		})
	}
}

func TestAddOnSitePhotos(t *testing.T) {
	s, _ := newService(t)
	id := verifiedCase(t, s)
	if err := s.AddOnSitePhotos(ctx, id, nil, inspector); apperr.Code(err) != apperr.EINVALID {
		t.Fatalf("no photo: %v", err)
	}
	// Whatever kind the caller said, an inspector's upload is on-site.
	if err := s.AddOnSitePhotos(ctx, id, photos(ledger.PhotoAfter, 2), inspector); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.CasePhotos(ctx, id)
	if len(ps) != 2 || ps[0].Kind != ledger.PhotoOnSite || ps[0].NoticeID.Valid {
		t.Fatalf("photos %+v", ps)
	}
	if ev := lastKind(t, s, id); ev.Kind != ledger.KindPhotosAdded || ev.PublicNote != "" {
		t.Fatalf("event %+v", ev)
	}
	if _, err := s.CasePhoto(ctx, ps[1].ID+100); apperr.Code(err) != apperr.ENOTFOUND {
		t.Fatalf("no such photo: %v", err)
	}
}

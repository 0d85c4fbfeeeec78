package ledger_test

import (
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

const day = 24 * time.Hour

// closedCase takes a complaint through to 验收销号 and returns the case and
// the complaint.
func closedCase(t *testing.T, s *ledger.Service) (int64, int64) {
	t.Helper()
	id := verifiedCase(t, s)
	if _, err := s.IssueNotice(ctx, newNotice(id, s), inspector); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRectification(ctx, id, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx, id, "已整改到位。", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	cms, err := s.Complaints(ctx, id)
	if err != nil || len(cms) != 1 {
		t.Fatalf("complaints %v %v", cms, err)
	}
	return id, cms[0].ID
}

func lastKind(t *testing.T, s *ledger.Service, caseID int64) ledger.Event {
	t.Helper()
	evs, err := s.CaseTimeline(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	return evs[len(evs)-1]
}

func TestRecordRevisit(t *testing.T) {
	tests := []struct {
		name       string
		holds      bool
		note       string
		wantCode   string
		wantStatus ledger.CaseStatus
		wantKind   string
	}{
		{"OKHolds", true, "", "", ledger.Closed, ledger.KindRevisitHeld},
		{"OKCameBack", false, "夜间又有粉尘", "", ledger.Reopened, "case.reopened"},
		{"ErrCameBackWithoutReason", false, "  ", apperr.EINVALID, ledger.Closed, "case.closed"},
		{"ErrControlCharacters", true, "a\x00b", apperr.EINVALID, ledger.Closed, "case.closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			id, cmID := closedCase(t, s)
			err := s.RecordRevisit(ctx, id, tt.holds, tt.note, inspector)
			if apperr.Code(err) != tt.wantCode && !(tt.wantCode == "" && err == nil) {
				t.Fatalf("err = %v, want %q", err, tt.wantCode)
			}
			c, _ := s.Case(ctx, id)
			if c.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s", c.Status, tt.wantStatus)
			}
			if ev := lastKind(t, s, id); ev.Kind != tt.wantKind {
				t.Fatalf("last event %s, want %s", ev.Kind, tt.wantKind)
			}
			if err != nil {
				if !c.RevisitDueAt.Valid {
					t.Fatal("a failed revisit cleared the revisit date")
				}
				return
			}
			if c.RevisitDueAt.Valid {
				t.Fatal("revisit date kept after the revisit")
			}
			cm, _ := s.Complaint(ctx, cmID)
			if want := ledger.ComplaintStatusFor(tt.wantStatus); cm.Status != want {
				t.Fatalf("complaint %s, want %s", cm.Status, want)
			}
			if !tt.holds && c.ClosedAt.Valid {
				t.Fatal("reopened case keeps closed_at")
			}
			if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?`, tt.wantKind, id); n != 1 {
				t.Fatalf("audit entries %d", n)
			}
			// A second revisit has nothing left to record.
			if err := s.RecordRevisit(ctx, id, true, "", inspector); apperr.Code(err) != apperr.ECONFLICT {
				t.Fatalf("second revisit: %v", err)
			}
		})
	}
}

func TestRecordRevisitNeedsAClosedCase(t *testing.T) {
	s, _ := newService(t)
	id := verifiedCase(t, s)
	if err := s.RecordRevisit(ctx, id, true, "", inspector); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("revisit of a verifying case: %v", err)
	}
	if err := s.RecordRevisit(ctx, 9999, true, "", inspector); apperr.Code(err) != apperr.ENOTFOUND {
		t.Fatalf("revisit of no case: %v", err)
	}
}

func TestDueRevisits(t *testing.T) {
	s, clk := newService(t)
	id, _ := closedCase(t, s)
	due := func() []int64 {
		t.Helper()
		cs, err := s.DueRevisits(ctx, s.Now())
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := due(); len(got) != 0 {
		t.Fatalf("due at once: %v", got)
	}
	clk.t = clk.t.Add(89 * day)
	if got := due(); len(got) != 0 {
		t.Fatalf("due after 89 days: %v", got)
	}
	clk.t = clk.t.Add(day) // the 90th day
	if got := due(); len(got) != 1 || got[0] != id {
		t.Fatalf("due on the 90th day: %v", got)
	}
	if err := s.RecordRevisit(ctx, id, true, "", inspector); err != nil {
		t.Fatal(err)
	}
	if got := due(); len(got) != 0 {
		t.Fatalf("due after the revisit: %v", got)
	}
}

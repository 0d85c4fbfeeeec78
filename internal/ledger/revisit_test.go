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

func addFollowup(t *testing.T, s *ledger.Service, complaintID int64, kind string) {
	t.Helper()
	if _, err := s.DB.Exec(`INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, ?, ?, 'open', '', ?)`,
		complaintID, kind, "夜里又开工了", s.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestAnswerFollowup(t *testing.T) {
	tests := []struct {
		name       string
		closed     bool
		answer     string
		reopen     bool
		wantCode   string
		wantStatus ledger.CaseStatus
	}{
		{"OK", true, "已安排回访，请继续监督。", false, "", ledger.Closed},
		{"OKReopen", true, "已责成重新整改。", true, "", ledger.Reopened},
		{"ErrEmptyAnswer", true, " ", false, apperr.EINVALID, ledger.Closed},
		{"ErrReopenNotClosed", false, "正在整改。", true, apperr.ECONFLICT, ledger.Assigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			var id, cmID int64
			if tt.closed {
				id, cmID = closedCase(t, s)
			} else {
				id = verifiedCase(t, s)
				if _, err := s.IssueNotice(ctx, newNotice(id, s), inspector); err != nil {
					t.Fatal(err)
				}
				cms, _ := s.Complaints(ctx, id)
				cmID = cms[0].ID
			}
			addFollowup(t, s, cmID, ledger.FollowupNotSolved)
			open, err := s.OpenFollowups(ctx)
			if err != nil || len(open) != 1 || open[0].ComplaintID != cmID || open[0].CanReopen() != tt.closed {
				t.Fatalf("open followups %+v %v", open, err)
			}
			err = s.AnswerFollowup(ctx, cmID, tt.answer, tt.reopen, inspector)
			if apperr.Code(err) != tt.wantCode && !(tt.wantCode == "" && err == nil) {
				t.Fatalf("err = %v, want %q", err, tt.wantCode)
			}
			c, _ := s.Case(ctx, id)
			if c.Status != tt.wantStatus {
				t.Fatalf("case %s, want %s", c.Status, tt.wantStatus)
			}
			open, _ = s.OpenFollowups(ctx)
			if err != nil {
				// Nothing changed: the request is still open, no event.
				if len(open) != 1 || count(t, s, `SELECT COUNT(*) FROM events WHERE kind = ?`, ledger.KindFollowupAnswer) != 0 {
					t.Fatal("a failed answer changed something")
				}
				return
			}
			if len(open) != 0 {
				t.Fatalf("still open: %+v", open)
			}
			cm, _ := s.Complaint(ctx, cmID)
			tl, _ := s.PublicTimeline(ctx, cm)
			found := false
			for _, ev := range tl {
				if ev.Kind == ledger.KindFollowupAnswer && ev.PublicNote == "工作人员答复您反映的“问题未解决”："+tt.answer {
					found = true
				}
			}
			if !found {
				t.Fatalf("public timeline lacks the answer: %+v", tl)
			}
			fs, _ := s.FollowupsOfCase(ctx, id)
			if len(fs) != 1 || fs[0].Status != ledger.FollowupAnswered || fs[0].Answer != tt.answer || !fs[0].AnsweredAt.Valid {
				t.Fatalf("followup %+v", fs)
			}
			if err := s.AnswerFollowup(ctx, cmID, "again", false, inspector); apperr.Code(err) != apperr.ECONFLICT {
				t.Fatalf("second answer: %v", err)
			}
		})
	}
}

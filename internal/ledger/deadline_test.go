package ledger_test

import (
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

func TestDeadlinesOverdueAndExtension(t *testing.T) {
	s, clk := newService(t)
	f := fileOne(t, s, webComplaint())
	if f.Complaint.DecideOverdue(clk.t) {
		t.Fatal("overdue at once")
	}
	if !f.Complaint.DecideOverdue(clk.t.Add(16 * 24 * time.Hour)) {
		t.Fatal("not overdue after 16 days")
	}
	id, _ := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	c, _ := s.Case(ctx, id)
	if got := c.DueAt.In(s.Location).Format("2006-01-02"); got != "2027-01-02" {
		t.Fatalf("conclude-by %s", got)
	}
	later := c.DueAt.Add(3 * 24 * time.Hour)
	if !c.Overdue(later) || c.DaysOverdue(later) != 3 {
		t.Fatalf("overdue %v days %d", c.Overdue(later), c.DaysOverdue(later))
	}
	if err := s.Extend(ctx, id, "需第三方检测", inspector); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Case(ctx, id)
	if got := c.DueAt.In(s.Location).Format("2006-01-02"); got != "2027-02-01" || c.Overdue(later) {
		t.Fatalf("extended to %s", got)
	}
	if err := s.Extend(ctx, id, "再延一次", inspector); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("second extension: %v", err)
	}
}

func TestRepeatComplaintsAndMerge(t *testing.T) {
	s, _ := newService(t)
	a := fileOne(t, s, webComplaint())
	b := fileOne(t, s, webComplaint())
	c := fileOne(t, s, webComplaint())
	caseA, _ := s.Accept(ctx, a.Complaint.ID, 0, inspector, ledger.EventInput{})
	if _, err := s.Accept(ctx, b.Complaint.ID, caseA, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	caseC, _ := s.Accept(ctx, c.Complaint.ID, 0, inspector, ledger.EventInput{})
	if n, _ := s.RepeatCount(ctx, caseA); n != 1 {
		t.Fatalf("repeat %d", n)
	}
	if err := s.Merge(ctx, caseC, caseA, inspector); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.RepeatCount(ctx, caseA); n != 2 {
		t.Fatalf("repeat after merge %d", n)
	}
	cc, _ := s.Complaint(ctx, c.Complaint.ID)
	tl, _ := s.PublicTimeline(ctx, cc)
	if cc.CaseID.Int64 != caseA || len(tl) == 0 {
		t.Fatalf("merged complaint: case %d timeline %d", cc.CaseID.Int64, len(tl))
	}
	if err := s.Merge(ctx, caseA, caseC, inspector); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("merge into merged: %v", err)
	}
}

func TestVerificationRules(t *testing.T) {
	s, _ := newService(t)
	f := fileOne(t, s, webComplaint())
	id, _ := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err := s.RecordVerification(ctx, id, ledger.Substantiated, "", inspector, ledger.EventInput{}); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("verify open case: %v", err)
	}
	s.StartVerification(ctx, id, inspector, ledger.EventInput{})
	if err := s.Assign(ctx, id, 1, inspector, ledger.EventInput{}); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("assign unverified: %v", err)
	}
	if err := s.RecordVerification(ctx, id, ledger.Unsubstantiated, "", inspector, ledger.EventInput{}); apperr.Code(err) != apperr.EINVALID {
		t.Fatalf("dismiss without reply: %v", err)
	}
	if err := s.RecordVerification(ctx, id, ledger.Partly, "部分属实，已责令整改。", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Assign(ctx, id, 1, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Case(ctx, id)
	if c.Status != ledger.Assigned || c.Verification != ledger.Partly || !c.UnitID.Valid {
		t.Fatalf("%+v", c)
	}
}

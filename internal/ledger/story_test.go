package ledger_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/ledger"
)

// story is the reporter's timeline as "kind: note" lines.
func story(t *testing.T, s *ledger.Service, id int64) []string {
	t.Helper()
	c, err := s.Complaint(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.PublicTimeline(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	// The reporter's own lookup, complaint and events in one query, gives
	// the same complaint and the same timeline.
	if code, ok := codes.Load(filedKey{s, id}); ok {
		tc, tevs, err := s.TrackTimeline(ctx, code.(string))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tc, c) {
			t.Fatalf("TrackTimeline's complaint\n%+v\nComplaint's\n%+v", tc, c)
		}
		if !reflect.DeepEqual(tevs, evs) {
			t.Fatalf("TrackTimeline's events\n%+v\nPublicTimeline's\n%+v", tevs, evs)
		}
	}
	var out []string
	for i, e := range evs {
		if i > 0 && e.CreatedAt.Before(evs[i-1].CreatedAt) {
			t.Fatalf("timeline out of order at %d: %v", i, evs)
		}
		if e.InternalNote != "" || e.Actor != "" {
			t.Fatalf("internal detail in the public timeline: %+v", e)
		}
		out = append(out, e.Kind+": "+e.PublicNote)
	}
	return out
}

func TestAJoiningReporterSeesTheStoryFromWhenTheyJoined(t *testing.T) {
	s, clk := newService(t)
	step := func() { clk.t = clk.t.Add(time.Hour) }
	first := fileOne(t, s, webComplaint()).Complaint
	step()
	caseID, err := s.Accept(ctx, first.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.StartVerification(ctx, caseID, inspector, ledger.EventInput{PublicNote: "工作人员已到现场核查。"}); err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.RecordVerification(ctx, caseID, ledger.Substantiated, "经核查属实。", inspector, ledger.EventInput{PublicNote: "经现场核查，问题属实。"}); err != nil {
		t.Fatal(err)
	}
	step()
	second := fileOne(t, s, webComplaint()).Complaint
	step()
	if _, err := s.Accept(ctx, second.ID, caseID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.Extend(ctx, caseID, "需要补充监测", inspector); err != nil {
		t.Fatal(err)
	}

	got := story(t, s, second.ID)
	if len(got) != 3 {
		t.Fatalf("the second reporter's story:\n%s", strings.Join(got, "\n"))
	}
	if !strings.HasPrefix(got[0], "complaint.filed:") || !strings.HasPrefix(got[1], "complaint.accepted:") || !strings.HasPrefix(got[2], "case.extended:") {
		t.Fatalf("own events first, then the case's from when it joined:\n%s", strings.Join(got, "\n"))
	}
	if strings.Contains(got[1], "正在安排核查") || !strings.Contains(got[1], "整改") {
		t.Fatalf("joining a verified case is told %q", got[1])
	}
	for _, line := range got {
		if strings.Contains(line, "到现场核查") || strings.Contains(line, "经现场核查") {
			t.Fatalf("the second reporter sees what happened before they joined: %q", line)
		}
	}
	// The first reporter keeps the whole story.
	all := story(t, s, first.ID)
	if j := strings.Join(all, "\n"); !strings.Contains(j, "经现场核查") || !strings.Contains(j, "case.extended") {
		t.Fatalf("the first reporter's story:\n%s", j)
	}
}

func TestAMergedComplaintKeepsItsStoryAcrossTheMerge(t *testing.T) {
	s, clk := newService(t)
	step := func() { clk.t = clk.t.Add(time.Hour) }
	a := fileOne(t, s, webComplaint()).Complaint
	b := fileOne(t, s, webComplaint()).Complaint
	step()
	caseA, err := s.Accept(ctx, a.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	caseB, err := s.Accept(ctx, b.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.StartVerification(ctx, caseA, inspector, ledger.EventInput{PublicNote: "A：已到现场。"}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartVerification(ctx, caseB, inspector, ledger.EventInput{PublicNote: "B：已到现场。"}); err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.Merge(ctx, caseB, caseA, inspector); err != nil {
		t.Fatal(err)
	}
	step()
	if err := s.RecordVerification(ctx, caseA, ledger.Substantiated, "属实。", inspector, ledger.EventInput{PublicNote: "A：问题属实。"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(story(t, s, b.ID), "\n")
	for _, want := range []string{"B：已到现场", "A：问题属实"} {
		if !strings.Contains(got, want) {
			t.Fatalf("B's reporter lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "A：已到现场") {
		t.Fatalf("B's reporter sees A's case before the merge:\n%s", got)
	}
}

func TestALateTicketIsNeverToldAPastDeadline(t *testing.T) {
	s, clk := newService(t)
	in := webComplaint()
	in.Channel, in.SourceRef = ledger.ChannelHotline, "12369-LATE-1"
	in.ReceivedAt = clk.t.AddDate(0, 0, -20) // the hotline took the call 20 days ago
	f := fileOne(t, s, in)
	if !f.Complaint.DecideDueAt.After(clk.t) {
		t.Fatalf("decide by %v, before the import at %v", f.Complaint.DecideDueAt, clk.t)
	}
	fresh := webComplaint()
	fresh.ReceivedAt = clk.t.Add(-2 * time.Hour)
	g := fileOne(t, s, fresh)
	if want := ledger.DueDate(fresh.ReceivedAt, s.Limits.AcceptDays, s.Location); !g.Complaint.DecideDueAt.Equal(want) {
		t.Fatalf("a ticket in time keeps its own deadline: %v, want %v", g.Complaint.DecideDueAt, want)
	}
}

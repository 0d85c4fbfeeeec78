package ledger_test

import (
	"fmt"
	"testing"

	"ecoreport/internal/ledger"
)

func TestCaseListFilters(t *testing.T) {
	s, clk := newService(t)
	start := clk.t
	single := verifiedCase(t, s) // 2026-11-03
	clk.t = start.AddDate(0, 0, 10)
	repeated := verifiedCase(t, s) // 2026-11-13
	for i := 0; i < 2; i++ {
		f := fileOne(t, s, webComplaint())
		if _, err := s.Accept(ctx, f.Complaint.ID, repeated, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    ledger.CaseFilter
		want []int64
	}{
		{"All", ledger.CaseFilter{}, []int64{single, repeated}},
		{"RepeatAtLeast2", ledger.CaseFilter{MinComplaints: 2}, []int64{repeated}},
		{"RepeatAtLeast3", ledger.CaseFilter{MinComplaints: 3}, []int64{repeated}},
		{"RepeatAtLeast4", ledger.CaseFilter{MinComplaints: 4}, nil},
		{"RepeatOneIsEveryCase", ledger.CaseFilter{MinComplaints: 1}, []int64{single, repeated}},
		{"FromDay", ledger.CaseFilter{From: "2026-11-13"}, []int64{repeated}},
		{"ToDayInclusive", ledger.CaseFilter{To: "2026-11-03"}, []int64{single}},
		{"Range", ledger.CaseFilter{From: "2026-11-01", To: "2026-11-30"}, []int64{single, repeated}},
		{"EmptyRange", ledger.CaseFilter{From: "2026-11-04", To: "2026-11-12"}, nil},
		{"BadDateFiltersNothing", ledger.CaseFilter{From: "2026-13-45", To: "' OR 1=1"}, []int64{single, repeated}},
		{"RepeatAndRange", ledger.CaseFilter{MinComplaints: 2, To: "2026-11-03"}, nil},
		{"Category", ledger.CaseFilter{Category: "noise"}, []int64{single, repeated}},
		{"Status", ledger.CaseFilter{Status: "closed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := s.CaseList(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, c := range cs {
				got[c.ID] = true
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if !got[id] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	counts, err := s.ComplaintCounts(ctx)
	if err != nil || counts[single] != 1 || counts[repeated] != 3 {
		t.Fatalf("counts %v %v", counts, err)
	}
}

func TestCaseFilterQuery(t *testing.T) {
	tests := []struct {
		f    ledger.CaseFilter
		want string
	}{
		{ledger.CaseFilter{}, ""},
		{ledger.CaseFilter{Status: "open", MinComplaints: 2}, "status=open&repeat=2"},
		{ledger.CaseFilter{From: "2026-11-01", To: "2026-11-30", Overdue: true}, "overdue=true&from=2026-11-01&to=2026-11-30"},
		{ledger.CaseFilter{From: "x&y=1"}, ""},
	}
	for _, tt := range tests {
		if got := tt.f.Query(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		min  float64
		max  float64
	}{
		{"Same", "砂石厂夜间噪声", "砂石厂夜间噪声", 1, 1},
		{"Alike", "某砂石厂：每天夜里机器轰鸣", "某砂石厂 夜里机器轰鸣粉尘大", 0.5, 0.99},
		{"Unrelated", "汉江排污口", "养殖场臭味", 0, 0},
		{"PunctuationIgnored", "砂石厂！！", "砂石厂", 1, 1},
		{"Empty", "", "砂石厂", 0, 0},
		{"OneRune", "厂", "厂", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ledger.Similarity(tt.a, tt.b); got < tt.min || got > tt.max {
				t.Fatalf("%v not in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

func TestInboxAndDuplicateCandidates(t *testing.T) {
	s, clk := newService(t)
	start := clk.t
	old := fileOne(t, s, webComplaint())
	oldCase, err := s.Accept(ctx, old.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	clk.t = start.AddDate(0, 0, 30)
	open := fileOne(t, s, webComplaint())
	openCase, err := s.Accept(ctx, open.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	clk.t = start.AddDate(0, 0, 100) // the first case is now older than 90 days
	first := fileOne(t, s, webComplaint())
	otherTown := webComplaint()
	otherTown.TownID = 2
	second := fileOne(t, s, otherTown)
	noTown := webComplaint()
	noTown.TownID = 0
	third := fileOne(t, s, noTown)
	water := webComplaint()
	water.Categories, water.Subject, water.Description = ledger.Categories{ledger.Water}, "某养殖场", "养殖污水每天直排汉江支流河道。"
	fourth := fileOne(t, s, water)

	in, err := s.Inbox(ctx, ledger.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range in.Complaints {
		ids = append(ids, c.ID)
	}
	if want := []int64{first.Complaint.ID, second.Complaint.ID, third.Complaint.ID, fourth.Complaint.ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("inbox %v, want %v (oldest first, accepted ones left out)", ids, want)
	}
	tests := []struct {
		name string
		c    ledger.Complaint
		want []int64
	}{
		{"SameTownTypeAndParty", first.Complaint, []int64{openCase}},
		{"OtherTown", second.Complaint, nil},
		{"NoTown", third.Complaint, nil},
		{"OtherTypeAndText", fourth.Complaint, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := s.DuplicateCandidates(ctx, &tt.c)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, k := range cs {
				got = append(got, k.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v (old case %d)", got, tt.want, oldCase)
			}
		})
	}
}

// TestOverdueNoticeFilter: the list's "overdue notice" filter and the
// lists' flags keep the cases whose notice in force is past its deadline
// while the unit still has to act: not before the deadline, not once the
// unit reported, not for a notice replaced by a newer one.
func TestOverdueNoticeFilter(t *testing.T) {
	s, clk := newService(t)
	late := verifiedCase(t, s)
	reported := verifiedCase(t, s)
	onTime := verifiedCase(t, s)
	reissued := verifiedCase(t, s)
	for _, id := range []int64{late, reported, reissued} {
		if _, err := s.IssueNotice(ctx, newNotice(id, s), inspector); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SubmitRectification(ctx, reported, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRectification(ctx, reissued, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reopen(ctx, reissued, "整改不到位", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.AddDate(0, 0, 20) // the first notices' deadlines passed
	if _, err := s.IssueNotice(ctx, newNotice(onTime, s), inspector); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IssueNotice(ctx, newNotice(reissued, s), inspector); err != nil {
		t.Fatal(err)
	}
	cs, err := s.CaseList(ctx, ledger.CaseFilter{NoticeOverdue: true})
	if err != nil || len(cs) != 1 || cs[0].ID != late {
		t.Fatalf("overdue notice filter: %v %v", cs, err)
	}
	m, err := s.OverdueNotices(ctx)
	n, ok := m[late]
	if err != nil || len(m) != 1 || !ok || n.DaysOverdue(ledger.Assigned, clk.t) != 5 {
		t.Fatalf("overdue notices %v %v", m, err)
	}
	if q := (ledger.CaseFilter{NoticeOverdue: true}).Query(); q != "notice_overdue=true" {
		t.Fatalf("query %q", q)
	}
	// The same for some cases only (我的问题, an inbox page's duplicates),
	// the notice's number as it was issued.
	of, err := s.OverdueNoticesOf(ctx, []int64{onTime, reported, late})
	if n, ok := of[late]; err != nil || len(of) != 1 || !ok || n.ID != m[late].ID || n.Prefix != ledger.DefaultNoticePrefix {
		t.Fatalf("overdue notices of three cases %v %v", of, err)
	}
	if of, err := s.OverdueNoticesOf(ctx, []int64{onTime, reissued}); err != nil || len(of) != 0 {
		t.Fatalf("overdue notices of cases on time %v %v", of, err)
	}
	if of, err := s.OverdueNoticesOf(ctx, nil); err != nil || len(of) != 0 {
		t.Fatalf("overdue notices of no case %v %v", of, err)
	}
}

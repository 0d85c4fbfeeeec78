package ledger_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/ledger"
)

func idsOf(p *ledger.InboxPage) []int64 {
	var out []int64
	for _, c := range p.Complaints {
		out = append(out, c.ID)
	}
	return out
}

// TestInboxPagesByKeyset walks 23 complaints, eleven of which share one
// received time, five at a time: forwards from the first page, backwards
// from the last, each complaint once, in order.
func TestInboxPagesByKeyset(t *testing.T) {
	s, clk := newService(t)
	var want []int64
	for range 12 {
		clk.t = clk.t.Add(time.Minute)
		want = append(want, fileOne(t, s, webComplaint()).Complaint.ID)
	}
	// Eleven in one transaction: one received time, told apart by id.
	ins := make([]ledger.NewComplaint, 11)
	for i := range ins {
		ins[i] = webComplaint()
	}
	if err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		fs, err := s.FileManyTx(ctx, tx, ins, ledger.Resident)
		for _, f := range fs {
			want = append(want, f.Complaint.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	page := func(q ledger.InboxQuery) *ledger.InboxPage {
		t.Helper()
		q.Limit = 5
		p, err := s.Inbox(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != len(want) {
			t.Fatalf("total %d", p.Total)
		}
		return p
	}
	t.Run("Forwards", func(t *testing.T) {
		var got []int64
		p := page(ledger.InboxQuery{})
		if p.Prev != nil {
			t.Fatal("the first page has a previous one")
		}
		for {
			got = append(got, idsOf(p)...)
			if p.Next == nil {
				break
			}
			p = page(ledger.InboxQuery{After: p.Next})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("forwards %v\nwant     %v", got, want)
		}
	})
	t.Run("BackwardsFromTheLast", func(t *testing.T) {
		var got []int64
		p := page(ledger.InboxQuery{Last: true})
		if p.Next != nil || len(p.Complaints) != 5 {
			t.Fatalf("last page: %d, next %v", len(p.Complaints), p.Next)
		}
		for {
			got = append(idsOf(p), got...)
			if p.Prev == nil {
				break
			}
			p = page(ledger.InboxQuery{Before: p.Prev})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("backwards %v\nwant      %v", got, want)
		}
	})
	t.Run("CursorRoundTrip", func(t *testing.T) {
		p := page(ledger.InboxQuery{})
		c, ok := ledger.ParseCursor(p.Next.String())
		if !ok || !c.At.Equal(p.Next.At) || c.ID != p.Next.ID {
			t.Fatalf("cursor %v → %q → %v", p.Next, p.Next.String(), c)
		}
		for _, bad := range []string{"", "1", "x.2", "1.x", "1.0", "1.-3", "1.2.3"} {
			if _, ok := ledger.ParseCursor(bad); ok {
				t.Errorf("ParseCursor(%q) ok", bad)
			}
		}
	})
	t.Run("DecidedLeaveTheInbox", func(t *testing.T) {
		if _, err := s.Accept(ctx, want[0], 0, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		p, err := s.Inbox(ctx, ledger.InboxQuery{Limit: 5})
		if err != nil || p.Total != len(want)-1 || p.Complaints[0].ID != want[1] {
			t.Fatalf("after accepting the oldest: %v, %v", idsOf(p), err)
		}
	})
}

func TestInboxFiltersAndTheirCounts(t *testing.T) {
	s, clk := newService(t)
	staff := addStaff(t, s, "me", "other")
	me := staff[0].ID
	hot := webComplaint()
	hot.Channel, hot.SourceRef, hot.Warnings = ledger.ChannelHotline, "SN1", []string{"来电号码无法识别"}
	hot.Categories = ledger.Categories{ledger.Water}
	noTown := webComplaint()
	noTown.TownID = 0
	town2 := webComplaint()
	town2.TownID = 2
	old := fileOne(t, s, webComplaint()) // received 16 days ago: overdue
	clk.t = clk.t.Add(3 * 24 * time.Hour)
	soon := fileOne(t, s, webComplaint()) // due in 2 days, once the clock moves on
	clk.t = clk.t.Add(13 * 24 * time.Hour)
	h := fileOne(t, s, hot)
	n := fileOne(t, s, noTown)
	t2 := fileOne(t, s, town2)
	if err := s.AssignComplaint(ctx, h.Complaint.ID, ledger.Assignee{}, staff[0], inspector); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignComplaint(ctx, n.Complaint.ID, ledger.Assignee{}, staff[1], inspector); err != nil {
		t.Fatal(err)
	}
	accepted := fileOne(t, s, webComplaint())
	if _, err := s.Accept(ctx, accepted.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	counts, err := s.InboxCounts(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	O, S, H, N, T2 := old.Complaint.ID, soon.Complaint.ID, h.Complaint.ID, n.Complaint.ID, t2.Complaint.ID
	for _, tc := range []struct {
		name  string
		f     ledger.InboxFilter
		want  []int64
		count int
	}{
		{"All", ledger.InboxFilter{}, []int64{O, S, H, N, T2}, counts.All},
		{"Channel", ledger.InboxFilter{Channel: "hotline"}, []int64{H}, counts.Channels[ledger.ChannelHotline]},
		{"Town", ledger.InboxFilter{Town: 2}, []int64{T2}, counts.Towns[2]},
		{"NoTown", ledger.InboxFilter{Town: -1}, []int64{N}, counts.Towns[-1]},
		{"Category", ledger.InboxFilter{Category: "noise"}, []int64{O, S, N, T2}, counts.Categories[ledger.Noise]},
		{"Overdue", ledger.InboxFilter{Overdue: true}, []int64{O}, counts.Overdue},
		{"DueSoon", ledger.InboxFilter{Due: true}, []int64{S}, counts.Due},
		{"Warnings", ledger.InboxFilter{Warnings: true}, []int64{H}, counts.Warnings},
		{"Mine", ledger.InboxFilter{Assigned: ledger.HeldByMe, Me: me}, []int64{H}, counts.Mine},
		{"Nobody", ledger.InboxFilter{Assigned: ledger.HeldByNobody}, []int64{O, S, T2}, counts.Nobody},
		{"Anyone", ledger.InboxFilter{Assigned: ledger.HeldByAnyone}, []int64{H, N}, counts.Anyone},
		{"Combined", ledger.InboxFilter{Town: 1, Overdue: true}, []int64{O}, -1},
		{"BadValuesFilterNothing", ledger.InboxFilter{Channel: "fax", Category: "smell", Assigned: "whoever"}, []int64{O, S, H, N, T2}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Inbox(ctx, ledger.InboxQuery{Filter: tc.f})
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(p); !slices.Equal(got, tc.want) || p.Total != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, p.Total, tc.want)
			}
			if tc.count >= 0 && tc.count != len(tc.want) {
				t.Fatalf("the sidebar counts %d, the filter shows %d", tc.count, len(tc.want))
			}
		})
	}
	if v := (ledger.InboxFilter{Channel: "web", Town: -1, Overdue: true, Assigned: "me"}).Values(); fmt.Sprint(v) != "map[assigned:me channel:web overdue:true town:-1]" {
		t.Fatalf("Values = %v", v)
	}
}

package ledger_test

import (
	"testing"
	"time"

	"ecoreport/internal/ledger"
)

func TestPublicRequests(t *testing.T) {
	s, clk := newService(t)
	received := fileOne(t, s, webComplaint()).Complaint
	refused := fileOne(t, s, webComplaint()).Complaint
	if err := s.Refuse(ctx, refused.ID, ledger.RefuseNotOurs, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	caseID := verifiedCase(t, s)
	window := ledger.PublicFilter{From: clk.t.Add(-time.Hour), To: clk.t.Add(time.Hour), Limit: 100}
	tests := []struct {
		name  string
		f     ledger.PublicFilter
		count int
	}{
		{"OKAll", window, 3},
		{"OKOnlyOpen", with(window, func(f *ledger.PublicFilter) { f.State = ledger.OnlyOpen }), 2},
		{"OKOnlyFinished", with(window, func(f *ledger.PublicFilter) { f.State = ledger.OnlyFinished }), 1},
		{"OKFirstCategory", with(window, func(f *ledger.PublicFilter) { f.Category = ledger.Air }), 3},
		{"OKNotTheSecondCategory", with(window, func(f *ledger.PublicFilter) { f.Category = ledger.Noise }), 0},
		{"OKByID", ledger.PublicFilter{IDs: []int64{received.ID, refused.ID}, Limit: 100}, 2},
		{"OKOutsideTheWindow", ledger.PublicFilter{From: clk.t.Add(time.Hour), To: clk.t.Add(2 * time.Hour), Limit: 100}, 0},
		{"OKPaged", with(window, func(f *ledger.PublicFilter) { f.Offset, f.Limit = 2, 2 }), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.PublicRequests(ctx, tt.f)
			if err != nil || len(rs) != tt.count {
				t.Fatalf("%d requests, want %d (%v)", len(rs), tt.count, err)
			}
		})
	}
	rs, _ := s.PublicRequests(ctx, ledger.PublicFilter{IDs: []int64{received.ID}, Limit: 1})
	if len(rs) != 1 || rs[0].LatestNote == nil || rs[0].LatestNote.Kind != "complaint.filed" || rs[0].TownName.String == "" {
		t.Fatalf("received %+v", rs)
	}
	cms, _ := s.Complaints(ctx, caseID)
	rs, _ = s.PublicRequests(ctx, ledger.PublicFilter{IDs: []int64{cms[0].ID}, Limit: 1})
	if rs[0].LatestNote == nil || rs[0].LatestNote.Kind != "case.verified" {
		t.Fatalf("the case's note reaches its complaint: %+v", rs[0].LatestNote)
	}
	ups, err := s.PublicUpdates(ctx, window.From, window.To, 0, 100)
	if err != nil || len(ups) == 0 {
		t.Fatalf("updates %v %v", ups, err)
	}
}

func with(f ledger.PublicFilter, change func(*ledger.PublicFilter)) ledger.PublicFilter {
	change(&f)
	return f
}

func TestStatusAfter(t *testing.T) {
	tests := []struct {
		name string
		u    ledger.PublicUpdate
		want ledger.ComplaintStatus
	}{
		{"NoChangeIsTheCurrentStatus", ledger.PublicUpdate{Kind: "case.extended", ComplaintStatus: ledger.Rectifying}, ledger.Rectifying},
		{"CaseEventMapsToTheComplaint", ledger.PublicUpdate{Kind: "case.closed", ToStatus: string(ledger.Closed), ComplaintStatus: ledger.Rectifying}, ledger.ComplaintDone},
		{"ComplaintEventIsItsTarget", ledger.PublicUpdate{Kind: "complaint.accepted", ToStatus: string(ledger.Accepted)}, ledger.Accepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.StatusAfter(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

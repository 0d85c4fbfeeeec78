package hotline

import "testing"

// TestBatchesThatShareATicketAreNotWrittenAtOnce: the pipeline's keys make
// two batches with the same ticket, or the same rejected row, wait for
// each other, and let others be written side by side.
func TestBatchesThatShareATicketAreNotWrittenAtOnce(t *testing.T) {
	tk := func(no string) item { return item{t: Ticket{TicketNo: no}} }
	rej := func(v string) item { return item{rej: &RowError{Raw: []Field{{Name: "工单编号", Value: v}}}} }
	for _, tc := range []struct {
		name     string
		a, b     []item
		conflict bool
	}{
		{"different tickets", []item{tk("A1"), tk("A2")}, []item{tk("B1")}, false},
		{"the same ticket", []item{tk("A1"), tk("A2")}, []item{tk("B1"), tk("A2")}, true},
		{"the same rejected row", []item{rej("x")}, []item{tk("B1"), rej("x")}, true},
		{"different rejected rows", []item{rej("x")}, []item{rej("y")}, false},
		{"a ticket number and a rejected row's cell", []item{tk("x")}, []item{rej("x")}, false},
	} {
		im := &Importer{}
		inflight := map[int]map[string]struct{}{0: batchKeys(tc.a)}
		if got := im.conflicts(inflight, batchKeys(tc.b)); got != tc.conflict {
			t.Errorf("%s: conflicts = %v, want %v", tc.name, got, tc.conflict)
		}
	}
}

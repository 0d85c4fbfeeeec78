package ledger_test

import (
	"fmt"
	"sync"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

// servicesAcrossNodes opens one test database through n nodes of a Galera
// cluster (skipped without ECOREPORT_TEST_MYSQL_PEERS) and returns one
// ledger service per node, as one ecoreport instance on each node would
// have, all on the same clock and keys.
func servicesAcrossNodes(t *testing.T, n int) []*ledger.Service {
	t.Helper()
	nodes := dbtest.MustOpenNodes(t, n)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: newClockTime}
	var out []*ledger.Service
	for _, d := range nodes {
		s := ledger.NewService(d, keys)
		s.Now = clk.now
		out = append(out, s)
	}
	return out
}

// TestNoticeNumbersGaplessAcrossNodes: 60 notices issued at once through
// three nodes take the numbers 1..60, each once, on every node.
func TestNoticeNumbersGaplessAcrossNodes(t *testing.T) {
	issueAtOnce(t, servicesAcrossNodes(t, 3), 60)
}

// TestCaseTransitionsAcrossNodes drives the same complaints and cases from
// three nodes at once: 30 filings all succeed with distinct codes; each
// complaint accepted by six inspectors (two per node) makes exactly one
// case and the five others are told 已被他人处理 (ECONFLICT); each case put
// under verification from every node at once moves once. Nothing else is
// an acceptable answer: a certification conflict the service does not
// overcome would surface here as an unexpected error.
func TestCaseTransitionsAcrossNodes(t *testing.T) {
	ss := servicesAcrossNodes(t, 3)
	const filings, perNode = 30, 2

	// Filings at once, spread over the nodes.
	filed := make([]ledger.Filed, filings)
	errs := make([]error, filings)
	race(filings, func(i int) {
		filed[i], errs[i] = ss[i%len(ss)].File(ctx, webComplaint(), ledger.Resident)
	})
	codes := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("filing %d on node %d: %v", i, i%len(ss)+1, err)
		}
		codes[filed[i].TrackingCode] = true
	}
	if len(codes) != filings {
		t.Fatalf("%d distinct codes for %d filings", len(codes), filings)
	}

	// Acceptance: six inspectors on three nodes take each complaint at once.
	const takers = 3 * perNode
	caseOf := make([]int64, filings)
	for i, f := range filed {
		ids := make([]int64, takers)
		errs := make([]error, takers)
		race(takers, func(k int) {
			ids[k], errs[k] = ss[k%len(ss)].Accept(ctx, f.Complaint.ID, 0, ledger.Actor{Name: fmt.Sprint("inspector", k)}, ledger.EventInput{})
		})
		won := 0
		for k, err := range errs {
			switch {
			case err == nil:
				won++
				caseOf[i] = ids[k]
			case apperr.Code(err) != apperr.ECONFLICT:
				t.Fatalf("complaint %d, inspector on node %d: %v", f.Complaint.ID, k%len(ss)+1, err)
			}
		}
		if won != 1 {
			t.Fatalf("complaint %d accepted %d times", f.Complaint.ID, won)
		}
	}
	for node, s := range ss {
		if n := count(t, s, `SELECT COUNT(*) FROM cases`); n != filings {
			t.Fatalf("node %d: %d cases for %d accepted complaints", node+1, n, filings)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.accepted'`); n != filings {
			t.Fatalf("node %d: %d acceptance events", node+1, n)
		}
	}

	// Verification: every node starts it on every case at once.
	for _, id := range caseOf {
		errs := make([]error, takers)
		race(takers, func(k int) {
			errs[k] = ss[k%len(ss)].StartVerification(ctx, id, inspector, ledger.EventInput{})
		})
		won := 0
		for k, err := range errs {
			switch {
			case err == nil:
				won++
			case apperr.Code(err) != apperr.ECONFLICT:
				t.Fatalf("case %d, node %d: %v", id, k%len(ss)+1, err)
			}
		}
		if won != 1 {
			t.Fatalf("case %d moved to verifying %d times", id, won)
		}
	}
	for node, s := range ss {
		if n := count(t, s, `SELECT COUNT(*) FROM cases WHERE status = 'verifying'`); n != filings {
			t.Fatalf("node %d: %d cases verifying", node+1, n)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM events WHERE kind = 'case.verifying'`); n != filings {
			t.Fatalf("node %d: %d verification events", node+1, n)
		}
	}
}

// race runs fn(0..n-1) in n goroutines released together and waits.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); <-start; fn(i) }()
	}
	close(start)
	wg.Wait()
}

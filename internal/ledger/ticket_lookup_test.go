package ledger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

// ticketOnFile files a hotline ticket whose caller's phone ends in 5678.
func ticketOnFile(t *testing.T, s *ledger.Service, no string) ledger.Filed {
	t.Helper()
	in := webComplaint()
	in.Channel, in.SourceRef = ledger.ChannelHotline, no
	return fileOne(t, s, in)
}

func guess(t *testing.T, s *ledger.Service, no, digits string) error {
	t.Helper()
	_, err := s.TrackTicket(ctx, no, digits)
	return err
}

// TestTicketLookupLocksAfterTenFailures is the brute force of issue 20 (10⁴
// combinations, sequential ticket numbers): ten wrong guesses in a day lock
// the ticket's lookup, even for the right digits typed in another case, on
// another instance; the failures and the lock are audited; a day later the
// lookup works again.
func TestTicketLookupLocksAfterTenFailures(t *testing.T) {
	d, spec := dbtest.MustOpenDBSpec(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.NewService(d, keys)
	clk := &clock{t: time.Date(2026, 11, 3, 6, 22, 5, 0, time.UTC)}
	s.Now = clk.now
	f := ticketOnFile(t, s, "12369SQ202611030001")
	for i := range ledger.MaxTicketLookupFailures {
		no := "12369SQ202611030001"
		if i%2 == 1 {
			no = "12369sq202611030001" // every way of typing it counts against the one ticket
		}
		if err := guess(t, s, no, "0000"); err != ledger.ErrNoSuchTicket {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		clk.t = clk.t.Add(time.Minute)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'ticket_lookup.failed' AND object_id = '12369SQ202611030001'`); n != ledger.MaxTicketLookupFailures {
		t.Fatalf("%d failures audited, want %d", n, ledger.MaxTicketLookupFailures)
	}

	// Another instance: its own service on its own connection pool.
	other, err := db.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s2 := ledger.NewService(other, s.Keys)
	s2.Now = clk.now
	err = guess(t, s2, "１２３６９ＳＱ２０２６１１０３０００１", "5678")
	if apperr.Code(err) != apperr.ERATELIMIT || apperr.RetryAfter(err) <= 0 || apperr.RetryAfter(err) > ledger.TicketLookupWindow {
		t.Fatalf("right digits after ten failures: %v (retry after %s), want the lock", err, apperr.RetryAfter(err))
	}
	if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'ticket_lookup.locked'`); n != 1 {
		t.Fatalf("%d locks audited, want 1", n)
	}
	if err := guess(t, s, "12369SQ202611030001", "5678"); apperr.Code(err) != apperr.ERATELIMIT {
		t.Fatalf("locked ticket: %v", err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action IN ('ticket_lookup.failed', 'ticket_lookup.locked')`); n != ledger.MaxTicketLookupFailures+1 {
		t.Fatalf("a locked attempt was audited again (%d entries)", n)
	}
	// The tracking code still works, and another ticket is not locked.
	ticketOnFile(t, s, "12369SQ202611030002")
	if err := guess(t, s, "12369SQ202611030002", "5678"); err != nil {
		t.Fatalf("another ticket: %v", err)
	}
	if c, err := s.Track(ctx, f.TrackingCode); err != nil || c.ID != f.Complaint.ID {
		t.Fatalf("tracking code of a locked ticket: %v", err)
	}

	clk.t = clk.t.Add(ledger.TicketLookupWindow)
	if c, err := s.TrackTicket(ctx, "12369SQ202611030001", "5678"); err != nil || c.ID != f.Complaint.ID {
		t.Fatalf("a day later: %v", err)
	}
}

// TestTicketLookupSuccessIsNotAFailure: the caller who finds their ticket
// several times a day never locks it; only wrong guesses count.
func TestTicketLookupSuccessIsNotAFailure(t *testing.T) {
	s, _ := newService(t)
	ticketOnFile(t, s, "12369SQ202611030001")
	for range ledger.MaxTicketLookupFailures - 1 {
		guess(t, s, "12369SQ202611030001", "1111")
	}
	for i := range 2 * ledger.MaxTicketLookupFailures {
		if err := guess(t, s, "12369SQ202611030001", "5678"); err != nil {
			t.Fatalf("lookup %d: %v", i+1, err)
		}
	}
	if err := guess(t, s, "12369SQ202611030001", "1111"); err != ledger.ErrNoSuchTicket {
		t.Fatalf("tenth failure: %v", err)
	}
	if err := guess(t, s, "12369SQ202611030001", "5678"); apperr.Code(err) != apperr.ERATELIMIT {
		t.Fatalf("after ten failures: %v", err)
	}
}

// TestTicketLookupParallelGuesses: guesses sent at once are counted before
// any is checked, so no more than ten are ever evaluated.
func TestTicketLookupParallelGuesses(t *testing.T) {
	s, _ := newService(t)
	ticketOnFile(t, s, "12369SQ202611030001")
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.TrackTicket(ctx, "12369SQ202611030001", "0000")
		}()
	}
	wg.Wait()
	misses, locked := 0, 0
	for _, err := range errs {
		switch {
		case err == ledger.ErrNoSuchTicket:
			misses++
		case apperr.Code(err) == apperr.ERATELIMIT:
			locked++
		default:
			t.Fatalf("parallel guess: %v", err)
		}
	}
	if misses != ledger.MaxTicketLookupFailures || locked != n-ledger.MaxTicketLookupFailures {
		t.Fatalf("%d guesses evaluated, %d refused; want %d and %d", misses, locked, ledger.MaxTicketLookupFailures, n-ledger.MaxTicketLookupFailures)
	}
	if err := guess(t, s, "12369SQ202611030001", "5678"); apperr.Code(err) != apperr.ERATELIMIT {
		t.Fatalf("after the parallel guesses: %v", err)
	}
}

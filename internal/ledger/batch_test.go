package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/ledger"
)

// never is a window no test waits out: a batch in these tests closes when
// it is full (Max) or when the batcher stops, never by the clock.
const never = time.Hour

type result struct {
	filed ledger.Filed
	err   error
}

// fileAll files fs concurrently and returns their results in order.
func fileAll(s *ledger.Service, fs []ledger.Filing) []result {
	out := make([]result, len(fs))
	var wg sync.WaitGroup
	for i := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].filed, out[i].err = s.FileWith(ctx, fs[i])
		}()
	}
	wg.Wait()
	return out
}

// waitQueued waits until the batcher holds n filings (no clock: the test's
// own timeout bounds it).
func waitQueued(b *ledger.Batcher, n int64) {
	for b.Stats().Queued < n {
		time.Sleep(time.Millisecond)
	}
}

func filings(n int, by func(i int) ledger.Actor) []ledger.Filing {
	fs := make([]ledger.Filing, n)
	for i := range fs {
		in := webComplaint()
		in.Subject = fmt.Sprintf("砂石厂%03d号", i)
		fs[i] = ledger.Filing{Complaint: in, By: by(i)}
	}
	return fs
}

func TestBatchFilesEveryFilingOnceWithItsOwnRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"two", 2}, {"ten", 10}, {"a full batch of 64", 64}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newService(t)
			b := s.StartBatching(ledger.BatchOptions{Window: never, Max: tc.n, Writers: 2})
			defer b.Stop()
			actor := func(i int) ledger.Actor {
				if i%2 == 1 {
					return ledger.Actor{Name: "open311:app"}
				}
				return ledger.Resident
			}
			rs := fileAll(s, filings(tc.n, actor))
			codes, ids := map[string]bool{}, map[int64]bool{}
			for i, r := range rs {
				if r.err != nil {
					t.Fatalf("filing %d: %v", i, r.err)
				}
				codes[r.filed.TrackingCode], ids[r.filed.Complaint.ID] = true, true
				c, err := s.Track(ctx, r.filed.TrackingCode)
				if err != nil || c.ID != r.filed.Complaint.ID || c.Subject != fmt.Sprintf("砂石厂%03d号", i) {
					t.Fatalf("filing %d tracks to %+v, %v", i, c, err)
				}
				// Its own audit entry, by its own actor, as a filing alone writes.
				var who string
				if err := s.DB.Get(&who, `SELECT actor FROM audit_log WHERE action = 'complaint.filed' AND object_type = 'complaint' AND object_id = ?`,
					fmt.Sprint(c.ID)); err != nil || who != actor(i).Name {
					t.Fatalf("filing %d: audit actor %q, %v", i, who, err)
				}
				if n := count(t, s, `SELECT COUNT(*) FROM events WHERE complaint_id = ? AND kind = 'complaint.filed' AND actor = ?`, c.ID, actor(i).Name); n != 1 {
					t.Fatalf("filing %d: %d filed events", i, n)
				}
			}
			if len(codes) != tc.n || len(ids) != tc.n {
				t.Fatalf("%d codes, %d ids for %d filings", len(codes), len(ids), tc.n)
			}
			if n := count(t, s, `SELECT COUNT(*) FROM complaints`); n != tc.n {
				t.Fatalf("%d complaints for %d filings", n, tc.n)
			}
			if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.filed_batch'`); n != 0 {
				t.Fatalf("%d batch audit entries: a group commit is separate acts", n)
			}
			if st := b.Stats(); st.Batches != 1 || st.Batched != int64(tc.n) || st.Alone != 0 {
				t.Fatalf("stats %+v: want one batch of %d", st, tc.n)
			}
			// Searchable at once: the terms commit with the batch.
			if got := search(t, s, ledger.SearchComplaints, fmt.Sprintf("砂石厂%03d号", tc.n-1), all); len(got) != 1 {
				t.Fatalf("search finds %v", got)
			}
			// The audit chain seals and verifies over the batch's entries.
			if err := audit.SealAll(ctx, s.DB); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(ctx, s.DB)
			if err != nil || rep.BrokenAt != 0 || rep.Unsealed != 0 || rep.Sealed < int64(tc.n) {
				t.Fatalf("verify %+v, %v", rep, err)
			}
		})
	}
}

var errBoom = errors.New("boom")

func TestBatchOneBadFilingFailsAlone(t *testing.T) {
	const n = 6
	hotline := func(ref string) ledger.NewComplaint {
		in := webComplaint()
		in.Channel, in.SourceRef = ledger.ChannelHotline, ref
		return in
	}
	for _, tc := range []struct {
		name    string
		bad     func(f *ledger.Filing) // makes filing 2 bad
		also    func(f *ledger.Filing) // changes filing 4 (nil: nothing)
		wantErr func(error) bool
		good    int // filings committed
	}{
		{name: "a ticket number filed before", bad: func(f *ledger.Filing) { f.Complaint = hotline("T-EXISTING") },
			wantErr: func(err error) bool { return apperr.Is(err, apperr.ECONFLICT) }, good: n - 1},
		{name: "one ticket number twice in the batch", bad: func(f *ledger.Filing) { f.Complaint = hotline("T-TWICE") },
			also:    func(f *ledger.Filing) { f.Complaint = hotline("T-TWICE") },
			wantErr: func(err error) bool { return apperr.Is(err, apperr.ECONFLICT) }, good: n - 1},
		{name: "its work before the complaint fails", bad: func(f *ledger.Filing) {
			f.Before = func(context.Context, *sqlx.Tx) error { return errBoom }
		}, wantErr: func(err error) bool { return errors.Is(err, errBoom) }, good: n - 1},
		{name: "its work after the complaint fails", bad: func(f *ledger.Filing) {
			f.After = func(context.Context, *sqlx.Tx, *ledger.Filed) error { return errBoom }
		}, wantErr: func(err error) bool { return errors.Is(err, errBoom) }, good: n - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newService(t)
			fileOne(t, s, hotline("T-EXISTING"))
			b := s.StartBatching(ledger.BatchOptions{Window: never, Max: n, Writers: 2})
			defer b.Stop()
			fs := filings(n, func(int) ledger.Actor { return ledger.Resident })
			// The work of the good ones writes a row; a rolled-back try must not leave it twice.
			for i := range fs {
				fs[i].After = func(ctx context.Context, tx *sqlx.Tx, f *ledger.Filed) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (?, 'test', 'test.after', 'complaint', ?, '')`,
						f.Complaint.ReceivedAt, fmt.Sprint(f.Complaint.ID))
					return err
				}
			}
			tc.bad(&fs[2])
			if tc.also != nil {
				tc.also(&fs[4])
			}
			rs := fileAll(s, fs)
			committed := 0
			for i, r := range rs {
				switch {
				case r.err == nil:
					committed++
					if c, err := s.Track(ctx, r.filed.TrackingCode); err != nil || c.ID != r.filed.Complaint.ID {
						t.Fatalf("filing %d answered but not there: %v", i, err)
					}
				case i == 2 || (tc.also != nil && i == 4):
					if !tc.wantErr(r.err) {
						t.Fatalf("filing %d: error %v", i, r.err)
					}
				default:
					t.Fatalf("good filing %d failed: %v", i, r.err)
				}
			}
			if committed != tc.good {
				t.Fatalf("%d committed, want %d", committed, tc.good)
			}
			if got := count(t, s, `SELECT COUNT(*) FROM complaints`); got != tc.good+1 {
				t.Fatalf("%d complaints, want %d", got, tc.good+1)
			}
			if got := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'test.after'`); got > tc.good {
				t.Fatalf("%d after-rows for %d filings: a retried filing wrote twice", got, tc.good)
			}
			if got := count(t, s, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.filed'`); got != tc.good+1 {
				t.Fatalf("%d filed events", got)
			}
		})
	}
}

func TestBatchStopDrains(t *testing.T) {
	const n = 5
	s, _ := newService(t)
	b := s.StartBatching(ledger.BatchOptions{Window: never, Max: 100, Writers: 2})
	done := make(chan []result)
	go func() { done <- fileAll(s, filings(n, func(int) ledger.Actor { return ledger.Resident })) }()
	waitQueued(b, n)
	b.Stop() // the batch is neither full nor out of time: only stopping writes it
	for i, r := range <-done {
		if r.err != nil {
			t.Fatalf("filing %d: %v", i, r.err)
		}
	}
	if got := count(t, s, `SELECT COUNT(*) FROM complaints`); got != n {
		t.Fatalf("%d complaints after stop, want %d", got, n)
	}
	// After Stop a filing is written alone.
	fileOne(t, s, webComplaint())
	if st := b.Stats(); st.Batched != n || st.Queued != n {
		t.Fatalf("stats %+v", st)
	}
}

func TestBatchCancelledRequest(t *testing.T) {
	t.Run("while its batch collects: not filed", func(t *testing.T) {
		s, _ := newService(t)
		b := s.StartBatching(ledger.BatchOptions{Window: never, Max: 100, Writers: 1})
		rctx, cancel := context.WithCancel(ctx)
		errc := make(chan error)
		go func() {
			_, err := s.FileWith(rctx, ledger.Filing{Complaint: webComplaint(), By: ledger.Resident})
			errc <- err
		}()
		waitQueued(b, 1)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled filing: %v", err)
		}
		b.Stop()
		if got := count(t, s, `SELECT COUNT(*) FROM complaints`); got != 0 {
			t.Fatalf("%d complaints: a cancelled filing was written", got)
		}
	})
	t.Run("inside its transaction: filed and answered", func(t *testing.T) {
		s, _ := newService(t)
		b := s.StartBatching(ledger.BatchOptions{Window: never, Max: 2, Writers: 1})
		defer b.Stop()
		started, release := make(chan struct{}), make(chan struct{})
		rctx, cancel := context.WithCancel(ctx)
		fs := filings(2, func(int) ledger.Actor { return ledger.Resident })
		var once sync.Once
		fs[0].Before = func(context.Context, *sqlx.Tx) error {
			once.Do(func() { close(started) })
			<-release
			return nil
		}
		out := make(chan result, 2)
		go func() {
			f, err := s.FileWith(rctx, fs[0])
			out <- result{f, err}
		}()
		go func() {
			f, err := s.FileWith(ctx, fs[1])
			out <- result{f, err}
		}()
		<-started
		cancel()
		close(release)
		for range 2 {
			r := <-out
			if r.err != nil {
				t.Fatalf("a filing in a committed batch got %v", r.err)
			}
			if _, err := s.Track(ctx, r.filed.TrackingCode); err != nil {
				t.Fatalf("answered but not filed: %v", err)
			}
		}
		if got := count(t, s, `SELECT COUNT(*) FROM complaints`); got != 2 {
			t.Fatalf("%d complaints, want 2", got)
		}
	})
}

func TestBatchInvalidFilingNeverQueued(t *testing.T) {
	s, _ := newService(t)
	b := s.StartBatching(ledger.BatchOptions{Window: never, Max: 100, Writers: 1})
	defer b.Stop()
	in := webComplaint()
	in.Description = "短"
	if _, err := s.File(ctx, in, ledger.Resident); apperr.Fields(err)["description"] == "" {
		t.Fatalf("invalid filing: %v", err)
	}
	if st := b.Stats(); st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

package ledger

// Group commit of filings (合并提交): concurrent filings from every intake
// (the portal's form, its JSON API, Open311, staff registering a visit)
// are collected by a writer for at most Window or Max filings, whichever
// comes first, and written in one transaction with multi-row INSERTs. One
// commit (one fsync) then serves many residents. Each filing is answered
// only after the transaction that holds it committed; nothing here knows
// of HTTP.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// Filing is one complaint to file, who files it and the work that must
// commit with it.
type Filing struct {
	Complaint NewComplaint
	By        Actor
	// Before runs in the filing's transaction before its complaint is
	// written (what the filing takes, such as held photos); After runs
	// after it, with the complaint's id (its photos' rows, its receipt).
	// An error fails this filing only. Either may run more than once —
	// the batch's transaction retried, or the filing written alone after
	// another filing of its batch failed — each time in a new transaction,
	// the earlier one rolled back: they must set, not add to, what they
	// hand back.
	Before func(ctx context.Context, tx *sqlx.Tx) error
	After  func(ctx context.Context, tx *sqlx.Tx, f *Filed) error
}

// BatchOptions tune the group commit.
type BatchOptions struct {
	// Window is how long a batch waits for more filings after its first.
	Window time.Duration
	// Max is the most filings one transaction holds.
	Max int
	// Writers is how many batches may be committing at once: one
	// collects the next batch while another commits.
	Writers int
}

// DefaultBatch is what serve uses unless told otherwise.
var DefaultBatch = BatchOptions{Window: 2 * time.Millisecond, Max: 64, Writers: 2}

// BatchStats count what a Batcher did.
type BatchStats struct {
	Queued  int64 // filings handed to the batcher
	Batches int64 // transactions of more than one filing committed
	Batched int64 // filings committed in them
	Alone   int64 // filings written in a transaction of their own
}

// Batcher is the group commit of one Service (see StartBatching).
type Batcher struct {
	s     *Service
	opt   BatchOptions
	queue chan *job

	mu      sync.RWMutex // held to send on queue; Stop takes it to close queue
	closed  bool
	collect sync.Mutex // one writer collects at a time, so writers do not split a batch
	wg      sync.WaitGroup

	queued, batches, batched, alone atomic.Int64
}

type job struct {
	f     Filing
	state atomic.Int32
	done  chan fileResult // buffered: the writer never waits for the request
}

const (
	jobQueued int32 = iota
	jobTaken
	jobCancelled
)

type fileResult struct {
	filed Filed
	err   error
}

// batchTimeout bounds one batch's transaction: it runs on no request's
// context, so a request that gives up cannot roll back its neighbours.
const batchTimeout = 30 * time.Second

// StartBatching starts the group commit: from now on File and FileWith
// hand their filings to opt.Writers writers. Stop the returned Batcher to
// drain it (every filing it took is written and answered); filings made
// after that are written alone again.
func (s *Service) StartBatching(opt BatchOptions) *Batcher {
	if opt.Max < 1 {
		opt.Max = DefaultBatch.Max
	}
	if opt.Writers < 1 {
		opt.Writers = DefaultBatch.Writers
	}
	b := &Batcher{s: s, opt: opt, queue: make(chan *job, opt.Max*opt.Writers*2)}
	for range opt.Writers {
		b.wg.Add(1)
		go b.run()
	}
	if s.batch == nil {
		s.batch = new(atomic.Pointer[Batcher])
	}
	s.batch.Store(b)
	return b
}

// Stop closes the batcher to new filings, writes every filing it holds,
// answers them and returns once its writers are done.
func (b *Batcher) Stop() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
	b.s.batch.CompareAndSwap(b, nil)
}

// Stats returns the batcher's counts so far.
func (b *Batcher) Stats() BatchStats {
	return BatchStats{Queued: b.queued.Load(), Batches: b.batches.Load(), Batched: b.batched.Load(), Alone: b.alone.Load()}
}

// FileWith files one complaint with the work that commits with it: in a
// batch when StartBatching runs, else in a transaction of its own. Errors
// as FileTx, or whatever Before or After returned. A filing whose context
// ends while it waits is either not written (the context's error) or
// already in a transaction, and then its answer is awaited and returned:
// a filing is never written without its caller learning so.
func (s *Service) FileWith(ctx context.Context, f Filing) (Filed, error) {
	if err := f.Complaint.Validate(); err != nil {
		return Filed{}, err
	}
	if s.batch == nil {
		r := s.fileAlone(ctx, &f)
		return r.filed, r.err
	}
	if b := s.batch.Load(); b != nil {
		if r, ok := b.file(ctx, f); ok {
			return r.filed, r.err
		}
	}
	r := s.fileAlone(ctx, &f)
	return r.filed, r.err
}

// file queues f and waits for its answer; false when the batcher is
// stopped.
func (b *Batcher) file(ctx context.Context, f Filing) (fileResult, bool) {
	j := &job{f: f, done: make(chan fileResult, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fileResult{}, false
	}
	select {
	case b.queue <- j:
	case <-ctx.Done():
		b.mu.RUnlock()
		return fileResult{err: fmt.Errorf("ledger: file: %w", ctx.Err())}, true
	}
	b.mu.RUnlock()
	b.queued.Add(1)
	select {
	case r := <-j.done:
		return r, true
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobCancelled) {
			return fileResult{err: fmt.Errorf("ledger: file: %w", ctx.Err())}, true
		}
		return <-j.done, true // in a transaction already: its outcome is the answer
	}
}

func (b *Batcher) run() {
	defer b.wg.Done()
	for {
		batch, more := b.next()
		if batch = take(batch); len(batch) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
			b.write(ctx, batch)
			cancel()
		}
		if !more {
			return
		}
	}
}

// next collects one batch: it waits for a first filing, then takes more
// until Max or Window. false when the queue is closed and empty.
func (b *Batcher) next() ([]*job, bool) {
	b.collect.Lock()
	defer b.collect.Unlock()
	first, ok := <-b.queue
	if !ok {
		return nil, false
	}
	batch := []*job{first}
	timer := time.NewTimer(b.opt.Window)
	defer timer.Stop()
	for len(batch) < b.opt.Max {
		select {
		case j, ok := <-b.queue:
			if !ok {
				return batch, false
			}
			batch = append(batch, j)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// take keeps the filings whose requests still wait, and marks them taken:
// from here on a request that gives up still gets its filing's outcome.
func take(batch []*job) []*job {
	kept := batch[:0]
	for _, j := range batch {
		if j.state.CompareAndSwap(jobQueued, jobTaken) {
			kept = append(kept, j)
		}
	}
	return kept
}

// write writes a batch and answers each of its filings. A filing that
// fails its own work (Before, After) is taken out and the rest written
// again as a batch; a failure no one filing is to blame for (a ticket
// number filed already, in a multi-row INSERT that does not say whose)
// writes each filing alone, so each gets its own answer. A failed BEGIN or
// COMMIT answers all with that error and retries none: a COMMIT that
// failed on the way back may have committed, and writing again could file
// twice.
func (b *Batcher) write(ctx context.Context, batch []*job) {
	if len(batch) == 1 {
		b.alone.Add(1)
		batch[0].done <- b.s.fileAlone(ctx, &batch[0].f)
		return
	}
	fs := make([]*Filing, len(batch))
	for i, j := range batch {
		fs[i] = &j.f
	}
	out, bad, retry, err := b.s.fileBatch(ctx, fs)
	switch {
	case err == nil:
		b.batches.Add(1)
		b.batched.Add(int64(len(batch)))
		for i, j := range batch {
			j.done <- fileResult{filed: out[i]}
		}
	case !retry:
		for _, j := range batch {
			j.done <- fileResult{err: err}
		}
	case bad >= 0:
		rest := append(append([]*job{}, batch[:bad]...), batch[bad+1:]...)
		b.write(ctx, rest)
		b.alone.Add(1)
		batch[bad].done <- b.s.fileAlone(ctx, &batch[bad].f)
	default:
		for _, j := range batch {
			b.alone.Add(1)
			j.done <- b.s.fileAlone(ctx, &j.f)
		}
	}
}

// fileBatch writes many filings in one transaction. On failure, bad is the
// filing whose own work failed (-1 for none) and retry says whether the
// transaction surely rolled back before its COMMIT, so that the filings
// may be written again.
func (s *Service) fileBatch(ctx context.Context, fs []*Filing) (out []Filed, bad int, retry bool, err error) {
	items := make([]fileItem, len(fs))
	for i, f := range fs {
		items[i] = fileItem{in: &f.Complaint, by: f.By}
	}
	ran, fnOK := false, false
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		// Set afresh on every run: InTx may run this again.
		ran, fnOK, bad, out = true, false, -1, nil
		for i, f := range fs {
			if f.Before != nil {
				if err := f.Before(ctx, tx); err != nil {
					bad = i
					return err
				}
			}
		}
		filed, err := s.fileRowsTx(ctx, tx, items, false, false)
		if err != nil {
			return err
		}
		for i, f := range fs {
			if f.After != nil {
				if err := f.After(ctx, tx, &filed[i]); err != nil {
					bad = i
					return err
				}
			}
		}
		out, fnOK = filed, true
		return nil
	})
	if err != nil {
		return nil, bad, ran && !fnOK, db.Classify(err)
	}
	return out, -1, false, nil
}

// fileAlone writes one filing in a transaction of its own.
func (s *Service) fileAlone(ctx context.Context, f *Filing) fileResult {
	var out Filed
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if f.Before != nil {
			if err := f.Before(ctx, tx); err != nil {
				return err
			}
		}
		fs, err := s.fileRowsTx(ctx, tx, []fileItem{{in: &f.Complaint, by: f.By}}, false, false)
		if err != nil {
			return err
		}
		out = fs[0]
		if f.After != nil {
			return f.After(ctx, tx, &out)
		}
		return nil
	})
	if err != nil {
		return fileResult{err: db.Classify(err)}
	}
	return fileResult{filed: out}
}

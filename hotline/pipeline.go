package hotline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// The import pipeline (导入流水线): one goroutine reads and parses the next
// batch while the current ones commit, and up to Writers batches are
// written at once, each in its own transaction. Results are counted in
// file order, so the receipt, the progress and onRow see the rows as the
// file has them. Two batches that touch the same ticket (or quarantine the
// very same rejected row) are never written at once: the later waits for
// the earlier to commit, so that it compares with what the earlier left,
// exactly as one writer would have.

// maxBatchAttempts bounds how often a batch is written again after a
// conflict (another import filed one of its tickets meanwhile) or a
// deadlock between the writers.
const maxBatchAttempts = 3

// batchDone is a written batch: its rows' results, or why it failed.
type batchDone struct {
	seq int
	res []rowResult
	err error
}

func (im *Importer) writers() int {
	if im.DB.Embedded() {
		return 1
	}
	if im.Writers > 0 {
		return im.Writers
	}
	return DefaultWriters
}

func (im *Importer) batchSize() int {
	if im.BatchSize > 0 {
		return im.BatchSize
	}
	return DefaultBatchSize
}

// readBatches parses rd into batches on out until the end of the file, a
// read error (sent on errc) or stop. It closes out.
func readBatches(rd *Reader, size int, out chan<- []item, errc chan<- error, stop <-chan struct{}) {
	defer close(out)
	for {
		items := make([]item, 0, size)
		eof := false
		for len(items) < size {
			t, err := rd.Next()
			if err == io.EOF {
				eof = true
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				items = append(items, item{rej: re})
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			items = append(items, item{t: t})
		}
		if len(items) > 0 {
			select {
			case out <- items:
			case <-stop:
				return
			}
		}
		if eof {
			return
		}
	}
}

// batchKeys names what a batch writes that another batch could write too:
// its ticket numbers, and the cells of the rows the reader rejected (they
// are quarantined once however often they come).
func batchKeys(items []item) map[string]struct{} {
	keys := make(map[string]struct{}, len(items))
	for _, it := range items {
		if it.rej == nil {
			keys["t:"+it.t.TicketNo] = struct{}{}
		} else {
			keys["r:"+hashString(encodeRaw(it.rej.Raw))] = struct{}{}
		}
	}
	return keys
}

func overlaps(a, b map[string]struct{}) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k := range a {
		if _, ok := b[k]; ok {
			return true
		}
	}
	return false
}

// pipeline reads rd and writes its batches, counting committed rows into rc.
// On an error it stops reading, waits for the batches being written, counts
// those that committed, and returns the first error (wrapping ErrRead or
// ErrDatabase).
func (im *Importer) pipeline(ctx context.Context, rd *Reader, rc *Receipt, towns map[string]int64, actor ledger.Actor,
	progress func(int), onRow func(RowResult)) error {
	writers := im.writers()
	batches := make(chan []item, 1) // the next batch, parsed while the current ones commit
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go readBatches(rd, im.batchSize(), batches, readErr, stop)
	defer func() {
		close(stop)
		for range batches { // let the reader finish before the file is hashed
		}
	}()

	done := make(chan batchDone, writers)
	inflight := map[int]map[string]struct{}{}
	finished := map[int]batchDone{}
	next := 0 // the next batch to count, in file order
	var firstErr error
	count := func(d batchDone) {
		if d.err == nil {
			im.tally(rc, d.res, onRow)
			if progress != nil && firstErr == nil {
				progress(rc.Total())
			}
		}
	}
	wait := func() {
		d := <-done
		delete(inflight, d.seq)
		if d.err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%w：%w", ErrDatabase, d.err)
		}
		finished[d.seq] = d
		for {
			f, ok := finished[next]
			if !ok {
				return
			}
			delete(finished, next)
			next++
			count(f)
		}
	}
	seq := 0
	for firstErr == nil {
		items, ok := <-batches
		if !ok {
			break
		}
		if err := ctx.Err(); err != nil {
			firstErr = fmt.Errorf("%w：导入已中止：%w", ErrDatabase, err)
			break
		}
		keys := batchKeys(items)
		for firstErr == nil && (len(inflight) >= writers || im.conflicts(inflight, keys)) {
			wait()
		}
		if firstErr != nil {
			break
		}
		if err := ctx.Err(); err != nil { // stopped while waiting (the progress callback may stop it)
			firstErr = fmt.Errorf("%w：导入已中止：%w", ErrDatabase, err)
			break
		}
		inflight[seq] = keys
		go func(seq int, items []item) {
			res, err := im.writeBatchRetrying(ctx, rc.BatchID, items, towns, actor)
			done <- batchDone{seq: seq, res: res, err: err}
		}(seq, items)
		seq++
	}
	for len(inflight) > 0 {
		wait()
	}
	// Batches after a failed one that committed all the same are counted:
	// the receipt says what the ledger holds.
	for ; next < seq; next++ {
		if f, ok := finished[next]; ok {
			count(f)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	select {
	case err := <-readErr:
		return fmt.Errorf("%w：%w", ErrRead, err)
	default:
	}
	return nil
}

func (im *Importer) conflicts(inflight map[int]map[string]struct{}, keys map[string]struct{}) bool {
	for _, k := range inflight {
		if overlaps(k, keys) {
			return true
		}
	}
	return false
}

// writeBatchRetrying writes a batch, again when another import filed one
// of its tickets meanwhile (ECONFLICT: the batch is compared again with what
// that import left) or when the database chose it as a deadlock's victim.
func (im *Importer) writeBatchRetrying(ctx context.Context, batchID int64, items []item, towns map[string]int64, actor ledger.Actor) ([]rowResult, error) {
	var err error
	for attempt := 1; ; attempt++ {
		var res []rowResult
		res, err = im.writeBatch(ctx, batchID, items, towns, actor)
		if err == nil || attempt == maxBatchAttempts || !(apperr.Is(err, apperr.ECONFLICT) || db.IsDeadlock(err)) {
			return res, err
		}
		if db.IsDeadlock(err) {
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
			}
		}
	}
}

package upload

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// MigrateReport counts what Migrate did.
type MigrateReport struct {
	Copied   int      // copied and read back identical
	Already  int      // already in the target with the same bytes
	Vanished int      // listed in the source, gone before it was read (deleted meanwhile)
	Bytes    int64    // copied
	Failed   []string // keys that could not be copied or did not read back identical, with why
}

// Migrate copies every file of from into to and reads each copy back: a
// file already in to with the same bytes is left as it is, so running it
// again after an interruption finishes the job and a finished job copies
// nothing. Files are never deleted from from: the old store stays as it was
// until whoever runs the migration removes it. progress, when not nil, is
// called after each file. It returns an error when a file failed (the
// report names each) or the listing did.
func Migrate(ctx context.Context, from, to Store, progress func(MigrateReport)) (MigrateReport, error) {
	var r MigrateReport
	err := from.Walk(ctx, func(o Object) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch done, n, err := migrateOne(ctx, from, to, o); {
		case errors.Is(err, fs.ErrNotExist):
			r.Vanished++
		case err != nil:
			r.Failed = append(r.Failed, fmt.Sprintf("%s：%v", o.Key, err))
		case done:
			r.Copied++
			r.Bytes += n
		default:
			r.Already++
		}
		if progress != nil {
			progress(r)
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if len(r.Failed) > 0 {
		return r, fmt.Errorf("%d 个文件未能迁移", len(r.Failed))
	}
	return r, nil
}

// migrateOne copies one file unless to already has the same bytes; copied
// tells which, n is its size. A source file gone is fs.ErrNotExist.
func migrateOne(ctx context.Context, from, to Store, o Object) (copied bool, n int64, err error) {
	src, err := sum(ctx, from, o.Key)
	if err != nil {
		return false, 0, err
	}
	if st, err := to.Stat(ctx, o.Key); err == nil && st.Size == src.size {
		if dst, err := sum(ctx, to, o.Key); err == nil && dst == src {
			return false, src.size, nil
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, 0, err
	}
	rc, err := from.Open(ctx, o.Key)
	if err != nil {
		return false, 0, err
	}
	h := sha256.New()
	err = to.Put(ctx, o.Key, io.TeeReader(rc, h), src.size)
	rc.Close()
	if err != nil {
		return false, 0, err
	}
	var read digest
	copy(read.sha[:], h.Sum(nil))
	read.size = src.size
	if read != src {
		return false, 0, errors.New("源文件在复制时改变了")
	}
	dst, err := sum(ctx, to, o.Key)
	if err != nil {
		return false, 0, fmt.Errorf("复制后无法读回：%w", err)
	}
	if dst != src {
		return false, 0, errors.New("复制后读回的内容与源文件不同")
	}
	return true, src.size, nil
}

type digest struct {
	size int64
	sha  [sha256.Size]byte
}

func sum(ctx context.Context, s Store, key string) (digest, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return digest{}, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return digest{}, fmt.Errorf("读取 %s 失败：%w", key, err)
	}
	d := digest{size: n}
	copy(d.sha[:], h.Sum(nil))
	return d, nil
}

// SweepReport counts what Sweep found and did.
type SweepReport struct {
	Checked int      // files looked at
	Young   int      // orphans too recent to touch (an upload may be committing)
	Orphans []Object // files no table names, older than the cut-off
	Removed int      // of Orphans, removed (Delete set)
}

// Sweep finds the files no table names (referenced answers for a key)
// that were stored before cutoff, and removes them when del is set. It is
// conservative: a file younger than cutoff is never touched (the back
// office writes a photo a moment before the row that names it), a file
// whose reference cannot be checked stops the sweep, and nothing is
// removed unless asked.
func Sweep(ctx context.Context, s Store, referenced func(ctx context.Context, key string) (bool, error), cutoff time.Time, del bool) (SweepReport, error) {
	var r SweepReport
	var orphans []Object
	err := s.Walk(ctx, func(o Object) error {
		r.Checked++
		ok, err := referenced(ctx, o.Key)
		if err != nil {
			return err
		}
		switch {
		case ok:
		case o.Modified.IsZero() || !o.Modified.Before(cutoff):
			r.Young++
		default:
			orphans = append(orphans, o)
		}
		return nil
	})
	r.Orphans = orphans
	if err != nil || !del {
		return r, err
	}
	for _, o := range orphans {
		// Checked again just before: a row may have come since the walk.
		ok, err := referenced(ctx, o.Key)
		if err != nil {
			return r, err
		}
		if ok {
			continue
		}
		if err := s.Delete(ctx, o.Key); err != nil {
			return r, err
		}
		r.Removed++
	}
	return r, nil
}

package upload_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/upload"
	"ecoreport/internal/upload/uploadtest"
)

// backend makes a fresh, empty store of one kind.
type backend struct {
	kind string
	make func(t *testing.T) upload.Store
}

func backends() []backend {
	return []backend{
		{upload.KindDir, func(t *testing.T) upload.Store { return upload.NewDir(filepath.Join(t.TempDir(), "uploads")) }},
		{upload.KindDB, func(t *testing.T) upload.Store { return upload.NewDB(dbtest.MustOpenDB(t)) }},
		{upload.KindS3, func(t *testing.T) upload.Store {
			s, err := upload.NewS3(uploadtest.FakeS3(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{upload.KindS3 + "-prefix", func(t *testing.T) upload.Store {
			o := uploadtest.FakeS3(t)
			o.Prefix = "county/ecoreport/"
			s, err := upload.NewS3(o)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t *testing.T, s upload.Store, key string, b []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func keys(t *testing.T, s upload.Store) []string {
	t.Helper()
	var out []string
	if err := s.Walk(context.Background(), func(o upload.Object) error { out = append(out, o.Key); return nil }); err != nil {
		t.Fatalf("walk: %v", err)
	}
	return out
}

// TestContract holds every store to the same behaviour.
func TestContract(t *testing.T) {
	ctx := context.Background()
	const photo = "0123456789abcdef0123456789abcdef.jpg"
	cases := []struct {
		name string
		run  func(t *testing.T, s upload.Store)
	}{
		{"PutOpenRoundTrip", func(t *testing.T, s upload.Store) {
			for _, n := range []int{1, upload.ChunkSize - 1, upload.ChunkSize, 2*upload.ChunkSize + 17} {
				b := randomBytes(t, n)
				put(t, s, photo, b)
				got, err := upload.ReadAll(ctx, s, photo)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("%d bytes: read back %d bytes, %v", n, len(got), err)
				}
				st, err := s.Stat(ctx, photo)
				if err != nil || st.Key != photo || st.Size != int64(n) || st.Modified.IsZero() {
					t.Fatalf("%d bytes: stat %+v, %v", n, st, err)
				}
			}
		}},
		{"ReplaceKeepsOnlyTheNew", func(t *testing.T, s upload.Store) {
			put(t, s, photo, randomBytes(t, 3*upload.ChunkSize))
			small := []byte("new")
			put(t, s, photo, small)
			if got, err := upload.ReadAll(ctx, s, photo); err != nil || !bytes.Equal(got, small) {
				t.Fatalf("after replace: %q, %v", got, err)
			}
		}},
		{"MissingIsNotExist", func(t *testing.T, s upload.Store) {
			if _, err := s.Open(ctx, photo); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("open missing: %v", err)
			}
			if _, err := s.Stat(ctx, photo); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("stat missing: %v", err)
			}
		}},
		{"DeleteIsIdempotent", func(t *testing.T, s upload.Store) {
			put(t, s, photo, []byte("x"))
			for i := range 2 {
				if err := s.Delete(ctx, photo); err != nil {
					t.Fatalf("delete %d: %v", i, err)
				}
			}
			if _, err := s.Open(ctx, photo); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("open deleted: %v", err)
			}
			if k := keys(t, s); len(k) != 0 {
				t.Fatalf("walk after delete: %v", k)
			}
		}},
		{"EmptyRefused", func(t *testing.T, s upload.Store) {
			if err := s.Put(ctx, photo, bytes.NewReader(nil), 0); !errors.Is(err, upload.ErrEmpty) {
				t.Fatalf("empty put: %v", err)
			}
		}},
		{"ShortReaderStoresNothing", func(t *testing.T, s upload.Store) {
			err := s.Put(ctx, photo, bytes.NewReader([]byte("abc")), 10)
			if err == nil {
				t.Fatal("a reader shorter than its size was stored")
			}
			if _, err := s.Stat(ctx, photo); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("after a short put: %v", err)
			}
		}},
		{"FailingReaderStoresNothing", func(t *testing.T, s upload.Store) {
			r := io.MultiReader(bytes.NewReader(randomBytes(t, 1000)), iotest.ErrReader(errors.New("disk gone")))
			if err := s.Put(ctx, photo, r, 5000); err == nil {
				t.Fatal("a failing reader was stored")
			}
			if k := keys(t, s); len(k) != 0 {
				t.Fatalf("after a failed put: %v", k)
			}
		}},
		{"LongReaderRefused", func(t *testing.T, s upload.Store) {
			err := s.Put(ctx, photo, bytes.NewReader([]byte("abcdef")), 3)
			got, rerr := upload.ReadAll(ctx, s, photo)
			// A store may refuse, or store exactly the size it was told;
			// it never stores more.
			if err == nil && (rerr != nil || string(got) != "abc") {
				t.Fatalf("long reader: stored %q, %v", got, rerr)
			}
		}},
		{"BadKeysRefused", func(t *testing.T, s upload.Store) {
			for _, k := range []string{"", "../x.jpg", "a/../../x", ".put-123", "A.jpg", "a//b", "/abs.jpg", "a b.jpg", strings.Repeat("a", 201)} {
				if err := s.Put(ctx, k, bytes.NewReader([]byte("x")), 1); !errors.Is(err, upload.ErrBadKey) {
					t.Errorf("put %q: %v", k, err)
				}
				if _, err := s.Open(ctx, k); !errors.Is(err, upload.ErrBadKey) {
					t.Errorf("open %q: %v", k, err)
				}
				if err := s.Delete(ctx, k); !errors.Is(err, upload.ErrBadKey) {
					t.Errorf("delete %q: %v", k, err)
				}
			}
		}},
		{"WalkInKeyOrderWithSizes", func(t *testing.T, s upload.Store) {
			want := []string{"a.png", "b/c.jpg", photo, "ff.jpg"}
			for i, k := range []string{"ff.jpg", photo, "b/c.jpg", "a.png"} {
				put(t, s, k, bytes.Repeat([]byte{'x'}, i+1))
			}
			slices.Sort(want)
			if got := keys(t, s); !slices.Equal(got, want) {
				t.Fatalf("walk %v, want %v", got, want)
			}
			sizes := map[string]int64{}
			s.Walk(ctx, func(o upload.Object) error { sizes[o.Key] = o.Size; return nil })
			if sizes["ff.jpg"] != 1 || sizes["a.png"] != 4 {
				t.Fatalf("sizes %v", sizes)
			}
		}},
		{"WalkStopsOnError", func(t *testing.T, s upload.Store) {
			put(t, s, "a.jpg", []byte("1"))
			put(t, s, "b.jpg", []byte("2"))
			stop := errors.New("stop")
			n := 0
			if err := s.Walk(ctx, func(upload.Object) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
				t.Fatalf("walk returned %v after %d", err, n)
			}
		}},
		{"WalkManyPages", func(t *testing.T, s upload.Store) {
			var want []string
			for i := range 1203 {
				k := fmt.Sprintf("%04d.jpg", i)
				want = append(want, k)
				put(t, s, k, []byte{byte(i)})
			}
			if got := keys(t, s); !slices.Equal(got, want) {
				t.Fatalf("walk of %d gave %d", len(want), len(got))
			}
		}},
	}
	for _, b := range backends() {
		t.Run(b.kind, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if c.name == "WalkManyPages" && testing.Short() {
						t.Skip("short")
					}
					c.run(t, b.make(t))
				})
			}
		})
	}
}

// TestDirKeepsTheLayout: files written by earlier versions (DATA_DIR/uploads/NAME)
// are read as keys, a Put's leftover temporary file is no key, and a file
// the system did not write stops a walk instead of being passed over.
func TestDirKeepsTheLayout(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "uploads")
	os.MkdirAll(dir, 0o750)
	const old = "0123456789abcdef0123456789abcdef.png"
	os.WriteFile(filepath.Join(dir, old), []byte("old photo"), 0o640)
	os.WriteFile(filepath.Join(dir, ".put-123"), []byte("half"), 0o640)
	s := upload.NewDir(dir)
	if got, err := upload.ReadAll(ctx, s, old); err != nil || string(got) != "old photo" {
		t.Fatalf("old file: %q %v", got, err)
	}
	if k := keys(t, s); !slices.Equal(k, []string{old}) {
		t.Fatalf("walk %v", k)
	}
	put(t, s, "new.jpg", []byte("n"))
	if fi, err := os.Stat(filepath.Join(dir, "new.jpg")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("new file: %v %v", fi, err)
	}
	if tmp, _ := s.TempFiles(); len(tmp) != 1 {
		t.Fatalf("temp files %v", tmp)
	}
	os.WriteFile(filepath.Join(dir, "README.TXT"), []byte("?"), 0o640)
	if err := s.Walk(ctx, func(upload.Object) error { return nil }); err == nil || !strings.Contains(err.Error(), "README.TXT") {
		t.Fatalf("walk over a foreign file: %v", err)
	}
}

// TestDBChunks: a file is kept in ChunkSize rows, and a row changed under
// the store is an error on read, not a wrong photo.
func TestDBChunks(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	s := upload.NewDB(d)
	b := randomBytes(t, 2*upload.ChunkSize+5)
	put(t, s, "big.jpg", b)
	var n int
	if err := d.GetContext(ctx, &n, `SELECT COUNT(*) FROM upload_chunks WHERE name = ?`, "big.jpg"); err != nil || n != 3 {
		t.Fatalf("chunks %d %v", n, err)
	}
	if err := s.Put(ctx, "huge.jpg", bytes.NewReader(nil), upload.MaxDBSize+1); err == nil {
		t.Fatal("a file over MaxDBSize was accepted")
	}
	if _, err := d.ExecContext(ctx, `UPDATE upload_chunks SET data = ? WHERE name = ? AND seq = 1`, []byte("x"), "big.jpg"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "big.jpg"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a torn file was read: %v", err)
	}
}

// TestMigrate copies between every pair of stores, reads back, and copies
// nothing the second time.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	bs := backends()[:3]
	for _, from := range bs {
		for _, to := range bs {
			if from.kind == to.kind {
				continue
			}
			t.Run(from.kind+"-to-"+to.kind, func(t *testing.T) {
				src, dst := from.make(t), to.make(t)
				files := map[string][]byte{}
				for i := range 5 {
					k := fmt.Sprintf("%032x.jpg", i)
					files[k] = randomBytes(t, 1+1000*i+upload.ChunkSize*(i%2))
					put(t, src, k, files[k])
				}
				// One already there with the same bytes, one with other bytes.
				put(t, dst, fmt.Sprintf("%032x.jpg", 1), files[fmt.Sprintf("%032x.jpg", 1)])
				put(t, dst, fmt.Sprintf("%032x.jpg", 2), []byte("stale"))
				r, err := upload.Migrate(ctx, src, dst, nil)
				if err != nil || r.Copied != 4 || r.Already != 1 || len(r.Failed) != 0 {
					t.Fatalf("first run: %+v %v", r, err)
				}
				for k, b := range files {
					if got, err := upload.ReadAll(ctx, dst, k); err != nil || !bytes.Equal(got, b) {
						t.Fatalf("%s in target: %d bytes, %v", k, len(got), err)
					}
				}
				r, err = upload.Migrate(ctx, src, dst, nil)
				if err != nil || r.Copied != 0 || r.Already != 5 {
					t.Fatalf("second run: %+v %v", r, err)
				}
				if k := keys(t, src); len(k) != 5 {
					t.Fatalf("the source lost files: %v", k)
				}
			})
		}
	}
}

// TestSweep removes only old files no table names, and only when asked.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends()[:3] {
		t.Run(b.kind, func(t *testing.T) {
			s := b.make(t)
			for _, k := range []string{"kept.jpg", "orphan.jpg"} {
				put(t, s, k, []byte(k))
			}
			ref := func(_ context.Context, k string) (bool, error) { return k == "kept.jpg", nil }
			r, err := upload.Sweep(ctx, s, ref, time.Now().Add(-time.Hour), true)
			if err != nil || r.Young != 1 || len(r.Orphans) != 0 || r.Removed != 0 {
				t.Fatalf("young orphan: %+v %v", r, err)
			}
			future := time.Now().Add(time.Hour)
			r, err = upload.Sweep(ctx, s, ref, future, false)
			if err != nil || len(r.Orphans) != 1 || r.Orphans[0].Key != "orphan.jpg" || r.Removed != 0 || len(keys(t, s)) != 2 {
				t.Fatalf("dry run: %+v %v", r, err)
			}
			r, err = upload.Sweep(ctx, s, ref, future, true)
			if err != nil || r.Removed != 1 || !slices.Equal(keys(t, s), []string{"kept.jpg"}) {
				t.Fatalf("sweep: %+v %v %v", r, err, keys(t, s))
			}
			broken := func(context.Context, string) (bool, error) { return false, errors.New("db down") }
			if _, err := upload.Sweep(ctx, s, broken, future, true); err == nil || len(keys(t, s)) != 1 {
				t.Fatal("a sweep that cannot check references removed something")
			}
		})
	}
}

package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/audit"
	"ecoreport/internal/backup"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
	"ecoreport/internal/upload"
	"ecoreport/internal/upload/uploadtest"
)

var ctx = context.Background()

// instance is a data directory with a database, a key and uploads.
type instance struct {
	dir     string
	db      *db.DB
	keyFile string
	uploads string
	ledger  *ledger.Service
}

// newSQLite makes an instance on a fresh SQLite file, whatever engine the
// other tests use: the snapshot is SQLite's.
func newSQLite(t *testing.T) *instance {
	t.Helper()
	dir := t.TempDir()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "ecoreport.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return fill(t, dir, d)
}

func fill(t *testing.T, dir string, d *db.DB) *instance {
	t.Helper()
	in := &instance{dir: dir, db: d, keyFile: filepath.Join(dir, "ecoreport.key"), uploads: filepath.Join(dir, "uploads")}
	keys, _, err := secret.LoadOrCreate(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	in.ledger = ledger.NewService(d, keys)
	if _, err := in.ledger.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Description: "河边的工厂夜里排放黑水，气味刺鼻。",
		Identity: ledger.Confidential, Contact: &ledger.Contact{Name: "王小明", Phone: "13800001234"}}, ledger.Resident); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"0a1b.jpg": "jpeg bytes", "sub/ff00.png": "png bytes"} {
		p := filepath.Join(in.uploads, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func (in *instance) backup(t *testing.T) ([]byte, *backup.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := backup.Write(ctx, &buf, backup.Source{DB: in.db, KeyFile: in.keyFile, Uploads: upload.NewDir(in.uploads), TempDir: t.TempDir(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

// emptyTarget is a fresh data directory for a restore.
func emptyTarget(t *testing.T, withDB bool) backup.Target {
	dir := t.TempDir()
	tg := backup.Target{KeyFile: filepath.Join(dir, "ecoreport.key"), Uploads: filepath.Join(dir, "uploads")}
	if withDB {
		tg.DBFile = filepath.Join(dir, "ecoreport.db")
	}
	return tg
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s and %s differ", a, b)
	}
}

// untouched fails when a refused restore left anything in the target.
func untouched(t *testing.T, tg backup.Target, keyBefore []byte) {
	t.Helper()
	if tg.DBFile != "" {
		if _, err := os.Stat(tg.DBFile); err == nil {
			t.Error("a refused restore wrote the database")
		}
	}
	if b, _ := os.ReadFile(tg.KeyFile); !bytes.Equal(b, keyBefore) {
		t.Error("a refused restore changed the key file")
	}
	if es, _ := os.ReadDir(tg.Uploads); len(es) > 0 {
		t.Error("a refused restore wrote uploads")
	}
	for _, dir := range []string{filepath.Dir(tg.KeyFile), filepath.Dir(tg.Uploads)} {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			if strings.Contains(e.Name(), ".restore-") {
				t.Errorf("staging left behind: %s", e.Name())
			}
		}
	}
}

func TestBackupAndRestoreSQLite(t *testing.T) {
	in := newSQLite(t)
	archive, m := in.backup(t)
	if !m.Database || m.Uploads() != 2 || m.SchemaVersion == 0 || m.Note != "" {
		t.Fatalf("manifest %+v", m)
	}

	t.Run("OK", func(t *testing.T) {
		tg := emptyTarget(t, true)
		res, err := backup.Restore(ctx, bytes.NewReader(archive), tg)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.MovedAside) != 0 {
			t.Fatalf("moved aside %v in an empty target", res.MovedAside)
		}
		sameFile(t, in.keyFile, tg.KeyFile)
		sameFile(t, filepath.Join(in.uploads, "0a1b.jpg"), filepath.Join(tg.Uploads, "0a1b.jpg"))
		sameFile(t, filepath.Join(in.uploads, "sub", "ff00.png"), filepath.Join(tg.Uploads, "sub", "ff00.png"))
		if st, _ := os.Stat(tg.KeyFile); st.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v", st.Mode())
		}
		d, err := db.Open(ctx, "sqlite:"+tg.DBFile)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		keys, err := secret.Load(tg.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		l := ledger.NewService(d, keys)
		if err := l.CheckKey(ctx); err != nil {
			t.Fatalf("the restored key does not open the restored contacts: %v", err)
		}
		var n int
		if err := d.Get(&n, `SELECT COUNT(*) FROM complaints`); err != nil || n != 1 {
			t.Fatalf("restored complaints: %d %v", n, err)
		}
		if p, _ := d.Pending(ctx); p != 0 {
			t.Fatalf("restored schema has %d pending migrations", p)
		}
	})

	t.Run("ErrTargetHasAKey", func(t *testing.T) {
		tg := emptyTarget(t, true)
		os.WriteFile(tg.KeyFile, []byte("another instance's key\n"), 0o600)
		_, err := backup.Restore(ctx, bytes.NewReader(archive), tg)
		if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), tg.KeyFile) {
			t.Fatalf("err = %v", err)
		}
		untouched(t, tg, []byte("another instance's key\n"))
	})

	t.Run("ErrTargetHasADatabase", func(t *testing.T) {
		tg := emptyTarget(t, true)
		os.WriteFile(tg.DBFile+"-wal", []byte("stale wal"), 0o600)
		_, err := backup.Restore(ctx, bytes.NewReader(archive), tg)
		if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), "-wal") {
			t.Fatalf("a stale -wal file, which SQLite would replay into the restored database, was not refused: %v", err)
		}
	})

	t.Run("ForceMovesWhatIsThereAside", func(t *testing.T) {
		tg := emptyTarget(t, true)
		os.WriteFile(tg.KeyFile, []byte("old key\n"), 0o600)
		os.WriteFile(tg.DBFile, []byte("old db"), 0o600)
		os.WriteFile(tg.DBFile+"-wal", []byte("old wal"), 0o600)
		os.MkdirAll(tg.Uploads, 0o750)
		os.WriteFile(filepath.Join(tg.Uploads, "old.jpg"), []byte("old photo"), 0o640)
		tg.Force = true
		tg.Now = func() time.Time { return time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) }
		res, err := backup.Restore(ctx, bytes.NewReader(archive), tg)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.MovedAside) != 4 {
			t.Fatalf("moved aside %v", res.MovedAside)
		}
		if b, _ := os.ReadFile(tg.KeyFile + ".before-restore-20261201T080000Z"); string(b) != "old key\n" {
			t.Fatalf("the old key was not kept: %q", b)
		}
		if _, err := os.Stat(tg.DBFile + "-wal"); err == nil {
			t.Fatal("the old -wal file is still beside the restored database")
		}
		sameFile(t, in.keyFile, tg.KeyFile)
		if _, err := os.Stat(filepath.Join(tg.Uploads, "old.jpg")); err == nil {
			t.Fatal("old uploads mixed into the restored ones")
		}
	})

	t.Run("ErrSQLiteArchiveOntoAServerDatabase", func(t *testing.T) {
		tg := emptyTarget(t, false)
		if _, err := backup.Restore(ctx, bytes.NewReader(archive), tg); err == nil || !strings.Contains(err.Error(), "sqlite") {
			t.Fatalf("err = %v", err)
		}
		untouched(t, tg, nil)
	})
}

// entry is one file of a hand-made archive.
type entry struct {
	name string
	body []byte
	typ  byte
}

// craft writes a tar.gz of entries; with manifest it appends a manifest
// describing them (mutate can change it first).
func craft(t *testing.T, entries []entry, manifest bool, mutate func(*backup.Manifest)) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	m := backup.Manifest{Format: backup.Format, Engine: "sqlite", SchemaVersion: 1}
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o600, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size, h.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
		sum := sha256.Sum256(e.body)
		m.Files = append(m.Files, backup.File{Path: e.name, Size: int64(len(e.body)), SHA256: hex.EncodeToString(sum[:])})
		if e.name == backup.DatabaseName {
			m.Database = true
		}
	}
	if manifest {
		if mutate != nil {
			mutate(&m)
		}
		b, _ := json.Marshal(m)
		tw.WriteHeader(&tar.Header{Name: backup.ManifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestRestoreRefusesBadArchives(t *testing.T) {
	key := entry{name: backup.KeyName, body: []byte(strings.Repeat("ab", 32) + "\n")}
	dbf := entry{name: backup.DatabaseName, body: []byte("SQLite format 3\x00")}
	good := craft(t, []entry{dbf, key}, true, nil)
	tests := []struct {
		name    string
		archive []byte
		withDB  bool
		want    string
	}{
		{"ErrNotGzip", []byte("PK\x03\x04 a zip file"), true, "无法解压"},
		{"ErrTruncated", good[:len(good)/2], true, ""},
		{"ErrNoManifest", craft(t, []entry{dbf, key}, false, nil), true, "manifest.json"},
		{"ErrChecksum", craft(t, []entry{dbf, key}, true, func(m *backup.Manifest) { m.Files[0].SHA256 = strings.Repeat("0", 64) }), true, "校验和"},
		{"ErrMissingFile", craft(t, []entry{key}, true, func(m *backup.Manifest) {
			m.Files = append(m.Files, backup.File{Path: "uploads/a.jpg", Size: 1, SHA256: strings.Repeat("0", 64)})
		}), true, "缺少 uploads/a.jpg"},
		{"ErrFileNotInManifest", craft(t, []entry{dbf, key, {name: "uploads/x.jpg", body: []byte("x")}}, true, func(m *backup.Manifest) { m.Files = m.Files[:2] }), true, "不在清单"},
		{"ErrClimbsOut", craft(t, []entry{dbf, key, {name: "uploads/../../evil.sh", body: []byte("x")}}, true, nil), true, "不应出现"},
		{"ErrAbsolute", craft(t, []entry{dbf, key, {name: "/etc/cron.d/evil", body: []byte("x")}}, true, nil), true, "不应出现"},
		{"ErrSymlink", craft(t, []entry{dbf, key, {name: "uploads/link.jpg", typ: tar.TypeSymlink}}, true, nil), true, "不应出现"},
		{"ErrUnknownName", craft(t, []entry{dbf, key, {name: "notes.txt", body: []byte("x")}}, true, nil), true, "不应出现"},
		{"ErrOtherFormat", craft(t, []entry{dbf, key}, true, func(m *backup.Manifest) { m.Format = "something else 9" }), true, "清单格式"},
		{"ErrNoKey", craft(t, []entry{dbf}, true, nil), true, "密钥"},
		{"ErrServerArchiveOntoSQLite", craft(t, []entry{key}, true, nil), true, "mariadb-dump"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := emptyTarget(t, tt.withDB)
			_, err := backup.Restore(ctx, bytes.NewReader(tt.archive), tg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			untouched(t, tg, nil)
			if _, err := os.Stat(filepath.Join(filepath.Dir(tg.KeyFile), "..", "evil.sh")); err == nil {
				t.Fatal("a path climbed out of the target")
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := backup.Restore(ctx, bytes.NewReader(good), emptyTarget(t, true)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBackupWhileFiling takes a backup while complaints are being filed:
// the snapshot is one transaction, so every complaint in it has its filing
// event and the audit entries it wrote.
func TestBackupWhileFiling(t *testing.T) {
	in := newSQLite(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				in.ledger.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Description: "工地夜间施工，噪声很大，影响休息。", Identity: ledger.Anonymous}, ledger.Resident)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	archive, _ := in.backup(t)
	close(stop)
	wg.Wait()

	tg := emptyTarget(t, true)
	if _, err := backup.Restore(ctx, bytes.NewReader(archive), tg); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite:"+tg.DBFile)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var complaints, filed int
	d.Get(&complaints, `SELECT COUNT(*) FROM complaints`)
	d.Get(&filed, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.filed'`)
	if complaints < 2 || complaints != filed {
		t.Fatalf("snapshot holds %d complaints and %d filing events", complaints, filed)
	}
	if err := audit.SealAll(ctx, d); err != nil {
		t.Fatal(err)
	}
	if r, err := audit.Verify(ctx, d); err != nil || r.BrokenAt != 0 {
		t.Fatalf("audit chain of the snapshot: %+v %v", r, err)
	}
}

// TestBackupOnTheTestEngine runs on the engine the suite runs on: on SQLite
// the database is in the archive; on MySQL/MariaDB it is not, the manifest
// says so, and the key and uploads restore beside a server database.
func TestBackupOnTheTestEngine(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	in := fill(t, t.TempDir(), d)
	archive, m := in.backup(t)
	if m.Database != d.Embedded() {
		t.Fatalf("database in the archive: %v, embedded engine: %v", m.Database, d.Embedded())
	}
	if !m.Database && m.Note != backup.NoteServerDatabase {
		t.Fatalf("a server database's archive does not say it lacks the database: %+v", m)
	}
	tg := emptyTarget(t, m.Database)
	if _, err := backup.Restore(ctx, bytes.NewReader(archive), tg); err != nil {
		t.Fatal(err)
	}
	sameFile(t, in.keyFile, tg.KeyFile)
	sameFile(t, filepath.Join(in.uploads, "sub", "ff00.png"), filepath.Join(tg.Uploads, "sub", "ff00.png"))
}

func TestBackupNeedsTheKey(t *testing.T) {
	in := newSQLite(t)
	os.Remove(in.keyFile)
	_, err := backup.Write(ctx, io.Discard, backup.Source{DB: in.db, KeyFile: in.keyFile, Uploads: upload.NewDir(in.uploads), TempDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "不存在") {
		t.Fatalf("err = %v", err)
	}
}

// TestCheckpointDrill: an instance with signed audit checkpoints is backed
// up and restored into a fresh directory, where the chain verifies against
// the restored checkpoints; a restore without them could not tell a
// truncated chain from a whole one.
func TestCheckpointDrill(t *testing.T) {
	in := newSQLite(t)
	keys, err := secret.Load(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.SealAll(ctx, in.db); err != nil {
		t.Fatal(err)
	}
	cpPath := filepath.Join(filepath.Dir(in.keyFile), "audit-checkpoints.jsonl")
	cpf := &audit.CheckpointFile{Path: cpPath, Signer: audit.NewSigner(keys.AuditSeed())}
	cp, err := (&audit.Checkpointer{DB: in.db, File: cpf}).Write(ctx)
	if err != nil || cp == nil || cp.Length == 0 {
		t.Fatalf("checkpoint %+v, %v", cp, err)
	}
	var buf bytes.Buffer
	m, err := backup.Write(ctx, &buf, backup.Source{DB: in.db, KeyFile: in.keyFile, Checkpoints: cpPath, Uploads: upload.NewDir(in.uploads), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.Files, func(f backup.File) bool { return f.Path == backup.CheckpointsName }) {
		t.Fatalf("the archive lacks the checkpoints: %+v", m.Files)
	}
	tg := emptyTarget(t, true)
	tg.Checkpoints = filepath.Join(filepath.Dir(tg.KeyFile), "audit-checkpoints.jsonl")
	if _, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), tg); err != nil {
		t.Fatal(err)
	}
	sameFile(t, cpPath, tg.Checkpoints)
	d, err := db.Open(ctx, "sqlite:"+tg.DBFile)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rk, err := secret.Load(tg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := (&audit.CheckpointFile{Path: tg.Checkpoints, Signer: audit.NewSigner(rk.AuditSeed())}).Read()
	if err != nil || len(cps) != 1 {
		t.Fatalf("restored checkpoints %d, %v", len(cps), err)
	}
	r, err := audit.VerifyAgainst(ctx, d, cps)
	if err != nil || r.BrokenAt != 0 || r.Sealed != cp.Length {
		t.Fatalf("restored chain: %+v, %v", r, err)
	}
	// The drill can fail: the restored chain cut short no longer verifies.
	if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)`); err != nil {
		t.Fatal(err)
	}
	if r, err := audit.VerifyAgainst(ctx, d, cps); err != nil || r.BrokenAt == 0 {
		t.Fatalf("a truncated chain verified: %+v, %v", r, err)
	}
}

// TestBackupOfEachStore: the files of a dir or s3 store are in the archive
// under uploads/, those of a db store are in the database snapshot.
func TestBackupOfEachStore(t *testing.T) {
	for _, kind := range []string{upload.KindDB, upload.KindS3} {
		t.Run(kind, func(t *testing.T) {
			in := newSQLite(t)
			var s upload.Store = upload.NewDB(in.db)
			if kind == upload.KindS3 {
				var err error
				if s, err = upload.NewS3(uploadtest.FakeS3(t)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Put(ctx, "0a1b.jpg", strings.NewReader("jpeg bytes"), 10); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			m, err := backup.Write(ctx, &buf, backup.Source{DB: in.db, KeyFile: in.keyFile, Uploads: s, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if m.UploadStore != kind {
				t.Fatalf("manifest store %q", m.UploadStore)
			}
			tg := emptyTarget(t, true)
			if _, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), tg); err != nil {
				t.Fatal(err)
			}
			switch kind {
			case upload.KindS3:
				if m.Uploads() != 1 {
					t.Fatalf("s3 uploads in the archive: %d", m.Uploads())
				}
				sameBytes(t, filepath.Join(tg.Uploads, "0a1b.jpg"), "jpeg bytes")
			case upload.KindDB:
				if m.Uploads() != 0 {
					t.Fatalf("db uploads copied twice: %d", m.Uploads())
				}
				d, err := db.Open(ctx, "sqlite:"+tg.DBFile)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				if b, err := upload.ReadAll(ctx, upload.NewDB(d), "0a1b.jpg"); err != nil || string(b) != "jpeg bytes" {
					t.Fatalf("restored db store: %q %v", b, err)
				}
			}
		})
	}
}

func sameBytes(t *testing.T, file, want string) {
	t.Helper()
	if b, err := os.ReadFile(file); err != nil || string(b) != want {
		t.Fatalf("%s: %q %v", file, b, err)
	}
}

package db_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// columns lists table.column for every table of the schema, marking time
// columns: SQLite's driver reads a column back as time.Time, and migration
// 00078 rewrites it, only when it is declared as a time.
func columns(t *testing.T, d *db.DB) []string {
	t.Helper()
	var out []string
	switch d.Engine {
	case db.SQLite:
		var tables []string
		if err := d.Select(&tables, `SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`); err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			var cols []string
			if err := d.Select(&cols, `SELECT name || CASE WHEN upper(type) IN ('DATETIME', 'DATE', 'TIMESTAMP') THEN ' (time)' ELSE '' END
 FROM pragma_table_xinfo(?)`, tb); err != nil {
				t.Fatal(err)
			}
			for _, c := range cols {
				out = append(out, tb+"."+c)
			}
		}
	case db.MySQL:
		if err := d.Select(&out, `SELECT CONCAT(table_name, '.', column_name,
 CASE WHEN data_type IN ('datetime', 'date', 'timestamp') THEN ' (time)' ELSE '' END) FROM information_schema.columns
			WHERE table_schema = DATABASE() AND table_name <> 'goose_db_version'`); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

func TestBothEnginesHaveTheSameSchema(t *testing.T) {
	ctx := context.Background()
	lite, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, err := lite.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	want := columns(t, lite)
	if len(want) < 20 {
		t.Fatalf("suspiciously small schema: %v", want)
	}
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skip("set " + dbtest.EnvMySQL + " to compare with MySQL/MariaDB")
	}
	my := dbtest.MustOpenDB(t)
	got := columns(t, my)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("schemas differ:\nsqlite only: %v\nmysql only: %v", diff(want, got), diff(got, want))
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func TestMigrateIsIdempotentAndReportsStatus(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	n, err := d.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second migrate ran %d, err %v", n, err)
	}
	st, err := d.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.Applied {
			t.Fatalf("%s not applied", s.Name)
		}
	}
	if p, _ := d.Pending(ctx); p != 0 {
		t.Fatalf("pending = %d", p)
	}
}

func TestDuplicateKeyIsConflict(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	_, err := d.Exec(`INSERT INTO units (kind, name) VALUES ('town', '城关镇')`)
	if !db.IsDuplicate(err) {
		t.Fatalf("want duplicate, got %v", err)
	}
	if c := apperr.Code(db.Classify(err)); c != apperr.ECONFLICT {
		t.Fatalf("code = %s", c)
	}
}

func TestUnreachableDatabaseIsOneClearError(t *testing.T) {
	_, err := db.Open(context.Background(), "mysql:root@tcp(127.0.0.1:1)/nothing")
	if err == nil || !strings.Contains(err.Error(), "数据库无法连接") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// TestSQLiteFilesArePrivate opens a fresh SQLite database in a directory
// that does not exist yet, writes to it, and checks that the directory is
// 0700 and the database, its WAL and its shared-memory file 0600 (SQLite
// alone makes them 0644). A file left 0644 by an older version is narrowed.
func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "eco.db")
	d, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("data directory %v, want 0700", m)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(p); m != 0o600 {
			t.Errorf("%s: %v, want 0600", filepath.Base(p), m)
		}
	}
	d.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if m := mode(path); m != 0o600 {
		t.Errorf("reopened: %v, want 0600", m)
	}
}

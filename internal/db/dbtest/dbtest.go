// Package dbtest opens a fresh, migrated database for a test: SQLite in a temp
// dir, or a throwaway database on MariaDB/MySQL when ECOREPORT_TEST_MYSQL_DSN
// is set (e.g. root@tcp(127.0.0.1:3306)/), dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"ecoreport/internal/db"
)

// EnvMySQL names the variable that switches tests to MySQL/MariaDB.
const EnvMySQL = "ECOREPORT_TEST_MYSQL_DSN"

// MustOpenDB returns a migrated, empty database closed in tb.Cleanup.
func MustOpenDB(tb testing.TB) *db.DB {
	tb.Helper()
	d, _ := MustOpenDBSpec(tb)
	return d
}

// MustOpenDBSpec is MustOpenDB that also returns the --db value, so a test can
// start the real binary or a second handle on the same database.
func MustOpenDBSpec(tb testing.TB) (*db.DB, string) {
	tb.Helper()
	ctx := context.Background()
	spec := "sqlite:" + filepath.Join(tb.TempDir(), "test.db")
	if dsn := os.Getenv(EnvMySQL); dsn != "" {
		spec = "mysql:" + createMySQLDatabase(tb, dsn)
	}
	d, err := db.Open(ctx, spec)
	if err != nil {
		tb.Fatalf("open %s: %v", spec, err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return d, spec
}

func createMySQLDatabase(tb testing.TB, dsn string) string {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", EnvMySQL, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "ecotest_" + hex.EncodeToString(b[:])
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

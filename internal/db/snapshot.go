package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"ecoreport/internal/config"
)

// ErrServerDatabase is returned by Snapshot on MySQL/MariaDB: the data lives
// on the server, which is backed up with its own tools (mariadb-dump
// --single-transaction).
var ErrServerDatabase = errors.New("数据库在 MySQL/MariaDB 服务器上，请用 mariadb-dump --single-transaction 备份")

// snapshotSQLite writes a consistent copy of the whole database into a new
// file in one read transaction, while other connections keep reading and
// writing (WAL); the copy is compact and has no -wal file of its own.
const snapshotSQLite = `VACUUM INTO ?`

// Snapshot writes a consistent copy of the database to path, which must not
// exist yet, without stopping the service. On MySQL/MariaDB it returns
// ErrServerDatabase.
func (d *DB) Snapshot(ctx context.Context, path string) error {
	if d.Engine == MySQL {
		return ErrServerDatabase
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("db: snapshot: %s already exists", path)
	}
	if _, err := d.ExecContext(ctx, snapshotSQLite, path); err != nil {
		return Classify(fmt.Errorf("db: snapshot into %s: %w", path, err))
	}
	return nil
}

// SchemaVersion is the newest applied migration (0 on an empty database).
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	st, err := d.Migrations(ctx)
	if err != nil {
		return 0, err
	}
	var v int64
	for _, s := range st {
		if s.Applied && s.Version > v {
			v = s.Version
		}
	}
	return v, nil
}

// File returns the file of an embedded database named by a --db value
// ("sqlite:PATH", without the DSN's ?options), and false for a database on
// a server.
func File(spec string) (string, bool) {
	engine, dsn, err := config.SplitDB(spec)
	if err != nil || engine != SQLite || dsn == ":memory:" {
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path, path != ""
}

// SidecarFiles are the files SQLite keeps beside a database in WAL mode. A
// database file put in place of another must not meet the old one's, which
// SQLite would replay into it.
func SidecarFiles(path string) []string {
	return []string{path + "-wal", path + "-shm", path + "-journal"}
}

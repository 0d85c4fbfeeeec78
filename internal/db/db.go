// Package db opens the ledger database (SQLite or MySQL/MariaDB), applies the
// embedded migrations and offers the few helpers every store needs: a
// transaction wrapper and the mapping of engine errors to application codes.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"ecoreport/internal/apperr"
	"ecoreport/internal/config"
)

// Engines.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// DB is the database handle with the engine it talks to.
type DB struct {
	*sqlx.DB
	Engine string
}

// Open connects to the database named by a --db value (sqlite:PATH or
// mysql:DSN) and checks that it answers. SQLite runs in WAL mode with foreign
// keys on and a busy timeout, times stored as TimeLayout text; MySQL with
// utf8mb4, UTC and parseTime.
func Open(ctx context.Context, spec string) (*DB, error) {
	engine, dsn, err := config.SplitDB(spec)
	if err != nil {
		return nil, err
	}
	var x *sqlx.DB
	switch engine {
	case SQLite:
		if dsn != ":memory:" {
			if err := prepareSQLiteFile(dsn); err != nil {
				return nil, err
			}
		}
		c, err := newSQLiteConnector(sqliteDSN(dsn))
		if err != nil {
			return nil, err
		}
		x = sqlx.NewDb(sql.OpenDB(c), "sqlite")
		// One writer at a time is SQLite's rule; a small pool keeps readers
		// concurrent under WAL while the busy timeout queues writers.
		x.SetMaxOpenConns(8)
		x.SetMaxIdleConns(8)
	case MySQL:
		cfg, err := MySQLConfig(dsn)
		if err != nil {
			return nil, err
		}
		x, err = sqlx.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return nil, fmt.Errorf("db: open mysql: %w", err)
		}
		x.SetMaxOpenConns(64)
		x.SetMaxIdleConns(64)
		x.SetConnMaxLifetime(30 * time.Minute)
	}
	d := &DB{DB: x, Engine: engine}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("数据库无法连接（%s）：%w", engine, err)
	}
	return d, nil
}

// MySQLConfig parses a go-sql-driver DSN and sets what ecoreport relies on:
// parseTime, UTC, utf8mb4, interpolated parameters (one round trip a query).
func MySQLConfig(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("配置错误 --db：MySQL DSN 无法解析：%v", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.InterpolateParams = true
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return cfg, nil
}

// prepareSQLiteFile makes the database file's directory (0700) and the file
// itself (0600) before SQLite opens it: SQLite creates a missing file 0644
// and gives its WAL and shared-memory files the mode of the database file,
// so a file that exists with the right mode is the one way to keep all
// three private. A file that already exists is narrowed to 0600, and so
// are its WAL and SHM; nothing else in the directory is touched.
func prepareSQLiteFile(path string) error {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimPrefix(path, "file:")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("数据库目录 %s 无法创建：%w", dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("数据库文件 %s 无法打开：%w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("数据库文件 %s 无法设为仅本用户可读写：%w", p, err)
		}
	}
	return nil
}

func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "file:" + path + sep +
		"_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_txlock=immediate"
}

// InTx runs fn in a transaction: begin, fn, commit; rollback when fn fails.
func (d *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return Classify(fmt.Errorf("db: begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return Classify(fmt.Errorf("db: commit: %w", err))
	}
	return nil
}

// IsDuplicate reports whether err is a unique-key violation (MySQL 1062,
// SQLite UNIQUE / PRIMARY KEY constraint).
func IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsDeadlock reports whether err means the database rolled the transaction
// back to break a deadlock or a lock wait (MySQL 1213, 1205; SQLite BUSY):
// running the same transaction again is safe and usually succeeds.
func IsDeadlock(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// IsUnavailable reports whether err means the database cannot be reached.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return true
	}
	s := err.Error()
	for _, m := range []string{"connection refused", "broken pipe", "bad connection", "no such host", "i/o timeout", "connection reset", "server has gone away", "Too many connections"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// Classify maps engine errors to application errors: a duplicate key to
// ECONFLICT, an unreachable database to EUNAVAILABLE; other errors pass.
func Classify(err error) error {
	switch {
	case err == nil:
		return nil
	case apperr.Code(err) != apperr.EINTERNAL:
		return err
	case IsDuplicate(err):
		return fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.ECONFLICT, Message: "记录已存在"}, err)
	case IsUnavailable(err):
		return fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "系统暂时无法处理，请稍后再试"}, err)
	}
	return err
}

// NotFound maps sql.ErrNoRows to an ENOTFOUND error with the given message.
func NotFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &apperr.Error{Code: apperr.ENOTFOUND, Message: msg}
	}
	return err
}

// Package db opens the ledger database (SQLite or MySQL/MariaDB), applies the
// embedded migrations and offers the few helpers every store needs: a
// transaction wrapper and the mapping of engine errors to application codes.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
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
	if engine == MySQL {
		return d.readYourWrites(pctx, dsn)
	}
	return d, nil
}

// SyncWaitParam is the session variable that makes a Galera node apply every
// write the cluster committed before it answers a read.
const SyncWaitParam = "wsrep_sync_wait"

// readYourWrites makes a handle on a Galera node read what any node
// committed: Galera applies other nodes' writes asynchronously, so without it
// a code filed through one instance is not found at once through another.
// When the server is a Galera node (wsrep_on = ON) and the DSN does not set
// wsrep_sync_wait itself, the pool is reopened with wsrep_sync_wait=1 (reads
// wait for causality), which the driver sets on every new connection. A DSN
// that names the variable (…?wsrep_sync_wait=0) is left as it is.
func (d *DB) readYourWrites(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := MySQLConfig(dsn)
	if err != nil {
		d.Close()
		return nil, err
	}
	if _, set := cfg.Params[SyncWaitParam]; set {
		return d, nil
	}
	galera, err := d.IsGalera(ctx)
	if err != nil || !galera {
		return d, err
	}
	cfg.Params[SyncWaitParam] = "1"
	x, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("db: open mysql: %w", err)
	}
	x.SetMaxOpenConns(64)
	x.SetMaxIdleConns(64)
	x.SetConnMaxLifetime(30 * time.Minute)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		d.Close()
		return nil, fmt.Errorf("数据库无法连接（%s）：%w", MySQL, err)
	}
	d.Close()
	return &DB{DB: x, Engine: MySQL}, nil
}

// IsGalera reports whether the server is a node of a Galera cluster
// (wsrep_on = ON). MySQL has no such variable and MariaDB without a cluster
// says OFF: both are false.
func (d *DB) IsGalera(ctx context.Context) (bool, error) {
	if d.Engine != MySQL {
		return false, nil
	}
	var name, value string
	err := d.QueryRowContext(ctx, `SHOW VARIABLES LIKE 'wsrep_on'`).Scan(&name, &value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: wsrep_on: %w", err)
	}
	return strings.EqualFold(value, "ON"), nil
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

// Transactions. Every transaction of the application runs through InTx, which
// runs the whole transaction again when the engine gave it up for a reason
// that a second try overcomes: a deadlock, a Galera certification conflict
// (both MySQL error 1213) or a lock wait timeout (1205). Re-running a
// closure must therefore be safe: it may only change the database through tx
// and the variables it assigns afresh on every run (never append to a slice
// declared outside it, send, or call hooks that act outside the transaction).

// Retry policy: attempts in all, and the backoff before the second try,
// doubled for each try after it up to maxTxBackoff. Each wait is drawn
// uniformly from [backoff/2, backoff] so that two instances that collided do
// not collide again in step.
const (
	defaultTxAttempts = 8
	firstTxBackoff    = 5 * time.Millisecond
	maxTxBackoff      = 400 * time.Millisecond
)

// TxOption changes how InTx runs one transaction.
type TxOption func(*txConfig)

type txConfig struct{ attempts int }

// Attempts sets how many times InTx tries the transaction in all (at least
// one). Hot rows that every caller writes (the year's notice counter, the
// reward budget) ask for more than the default.
func Attempts(n int) TxOption {
	return func(c *txConfig) {
		if n > 0 {
			c.attempts = n
		}
	}
}

// InTx runs fn in a transaction: begin, fn, commit; rollback when fn fails.
// When the transaction fails with a retryable error (IsRetryable: deadlock,
// certification conflict, lock wait timeout), at any statement or at commit,
// it is rolled back and the whole of fn runs again in a new transaction,
// after a jittered backoff, up to the configured attempts. An error that is
// still retryable after the last attempt, or that means the database is
// unreachable or not ready, comes back classified (EUNAVAILABLE, 503); a
// failed commit after a lost connection is never retried, since it may have
// committed.
func (d *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error, opts ...TxOption) error {
	cfg := txConfig{attempts: defaultTxAttempts}
	for _, o := range opts {
		o(&cfg)
	}
	backoff := firstTxBackoff
	for attempt := 1; ; attempt++ {
		err := d.tryTx(ctx, fn)
		if err == nil || !IsRetryable(err) || attempt >= cfg.attempts || ctx.Err() != nil {
			return Classify(err)
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Classify(err)
		case <-t.C:
		}
		backoff = min(2*backoff, maxTxBackoff)
	}
}

// tryTx is one attempt of InTx.
func (d *DB) tryTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// MySQL/MariaDB error numbers InTx and Classify act on.
const (
	erLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	erLockDeadlock    = 1213 // ER_LOCK_DEADLOCK; also a Galera certification conflict
	erUnknownCom      = 1047 // WSREP has not yet prepared node for application use
	erServerShutdown  = 1053 // server shutdown in progress
	erDupEntry        = 1062 // ER_DUP_ENTRY
)

// IsRetryable reports whether err is an engine error that running the whole
// transaction again overcomes: MySQL 1213 (deadlock, or a Galera node lost
// certification to a transaction committed on another node) and 1205 (lock
// wait timeout). SQLite's SQLITE_BUSY is not among them: the busy timeout
// already waited for the write lock, and a second wait as long would only
// hold the request.
func IsRetryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == erLockDeadlock || me.Number == erLockWaitTimeout
	}
	return false
}

// IsBusy reports whether err means the database is there but cannot take
// this work now: a retryable error that outlasted its attempts, a Galera
// node not ready (1047, while it joins or resyncs), a server shutting down
// (1053), or SQLite's write lock held past the busy timeout.
func IsBusy(err error) bool {
	if IsRetryable(err) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == erUnknownCom || me.Number == erServerShutdown
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff // primary code: SQLITE_BUSY_* and SQLITE_LOCKED_* too
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsDuplicate reports whether err is a unique-key violation (MySQL 1062,
// SQLite UNIQUE / PRIMARY KEY constraint).
func IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == erDupEntry
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsUnavailable reports whether err means the database cannot be reached.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
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
// ECONFLICT; a busy database (IsBusy) and an unreachable one to EUNAVAILABLE,
// which the edge answers 503 with Retry-After; other errors pass.
func Classify(err error) error {
	switch {
	case err == nil:
		return nil
	case apperr.Code(err) != apperr.EINTERNAL:
		return err
	case IsDuplicate(err):
		return fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.ECONFLICT, Message: "记录已存在"}, err)
	case IsBusy(err):
		return fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.EUNAVAILABLE, Message: BusyMessage}, err)
	case IsUnavailable(err):
		return fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "系统暂时无法处理，请稍后再试"}, err)
	}
	return err
}

// BusyMessage is what a person sees when the database is busy (503).
const BusyMessage = "系统繁忙，请稍后再试"

// NotFound maps sql.ErrNoRows to an ENOTFOUND error with the given message.
func NotFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &apperr.Error{Code: apperr.ENOTFOUND, Message: msg}
	}
	return err
}

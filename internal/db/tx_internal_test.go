package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
)

// TestSQLiteBusyIs503 holds SQLite's write lock on one connection and opens
// a transaction on another whose busy timeout is zero: SQLITE_BUSY comes back
// at once, is not retried (the busy timeout is SQLite's own wait) and is
// answered as 系统繁忙 (EUNAVAILABLE), not as an internal error.
func TestSQLiteBusyIs503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func(timeout string) *DB {
		c, err := newSQLiteConnector("file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(" + timeout + ")&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		d := &DB{DB: sqlx.NewDb(sql.OpenDB(c), "sqlite"), Engine: SQLite}
		t.Cleanup(func() { d.Close() })
		return d
	}
	holder, waiter := open("10000"), open("0")
	ctx := context.Background()
	if _, err := holder.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err = waiter.InTx(ctx, func(tx *sqlx.Tx) error {
		runs++
		_, err := tx.Exec(`INSERT INTO t VALUES (2)`)
		return err
	})
	if !IsBusy(err) || IsRetryable(err) || apperr.Code(err) != apperr.EUNAVAILABLE || apperr.Message(err) != BusyMessage {
		t.Fatalf("err %v (code %s): want SQLITE_BUSY as EUNAVAILABLE %s", err, apperr.Code(err), BusyMessage)
	}
	if runs > 1 {
		t.Fatalf("ran %d times", runs)
	}
}

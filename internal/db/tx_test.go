package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/web"
)

func probeTable(t *testing.T, d *db.DB) {
	t.Helper()
	if _, err := d.Exec(`CREATE TABLE tx_probe (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func probeRows(t *testing.T, d *db.DB) []int {
	t.Helper()
	var ns []int
	if err := d.Select(&ns, `SELECT n FROM tx_probe ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return ns
}

var (
	deadlock    = &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
	lockTimeout = &mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}
)

// TestInTxRetriesTheWholeTransaction injects retryable errors into the
// closure: every attempt's writes are rolled back, the closure runs again
// from the start, and only the last attempt's rows stay.
func TestInTxRetriesTheWholeTransaction(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	probeTable(t, d)
	ctx := context.Background()
	runs := 0
	err := d.InTx(ctx, func(tx *sqlx.Tx) error {
		runs++
		if _, err := tx.ExecContext(ctx, `INSERT INTO tx_probe (id, n) VALUES (?, ?)`, runs, runs); err != nil {
			return err
		}
		switch runs {
		case 1:
			return fmt.Errorf("reward: approve: %w", deadlock)
		case 2:
			return apperr.Errorf(apperr.ECONFLICT, "wrapped: %v", "no") // not retryable: must stop here
		}
		return nil
	})
	if runs != 2 || apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("runs %d, err %v; want 2 runs ending in the closure's ECONFLICT", runs, err)
	}
	if ns := probeRows(t, d); len(ns) != 0 {
		t.Fatalf("rows %v after a failed transaction", ns)
	}

	runs = 0
	err = d.InTx(ctx, func(tx *sqlx.Tx) error {
		runs++
		if _, err := tx.ExecContext(ctx, `INSERT INTO tx_probe (id, n) VALUES (?, ?)`, 10+runs, runs); err != nil {
			return err
		}
		if runs < 3 {
			return []error{deadlock, lockTimeout}[runs-1]
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("runs %d, err %v; want success on the third run", runs, err)
	}
	if ns := probeRows(t, d); fmt.Sprint(ns) != "[3]" {
		t.Fatalf("rows %v, want only the third run's", ns)
	}
}

// TestInTxGivesUpAs503 checks the bound on attempts and what a person is
// answered when the database stays busy or is not there: 503 with 系统繁忙
// or the unavailable message, never 500.
func TestInTxGivesUpAs503(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		err      error
		opts     []db.TxOption
		runs     int
		message  string
		retrying bool
	}{
		{"DeadlockEveryTime", deadlock, nil, 8, db.BusyMessage, true},
		{"CertificationConflictWithMoreAttempts", fmt.Errorf("notice: %w", deadlock), []db.TxOption{db.Attempts(12)}, 12, db.BusyMessage, true},
		{"LockWaitTimeout", lockTimeout, []db.TxOption{db.Attempts(2)}, 2, db.BusyMessage, true},
		{"NodeNotReady", &mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, nil, 1, db.BusyMessage, false},
		{"ServerShutdown", &mysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, nil, 1, db.BusyMessage, false},
		{"InvalidConnection", mysql.ErrInvalidConn, nil, 1, "请稍后再试", false},
		{"BadConnection", fmt.Errorf("db: commit: %w", driver.ErrBadConn), nil, 1, "请稍后再试", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := d.InTx(ctx, func(tx *sqlx.Tx) error { runs++; return tt.err }, tt.opts...)
			if runs != tt.runs {
				t.Fatalf("ran %d times, want %d", runs, tt.runs)
			}
			if db.IsRetryable(err) != tt.retrying {
				t.Fatalf("IsRetryable(%v) = %v", err, !tt.retrying)
			}
			if got := web.StatusOf(err); got != 503 {
				t.Fatalf("status %d for %v, want 503", got, err)
			}
			if m := apperr.Message(err); !strings.Contains(m, tt.message) {
				t.Fatalf("message %q, want %q", m, tt.message)
			}
			if !errors.Is(err, tt.err) && !errors.As(err, new(*mysql.MySQLError)) {
				t.Fatalf("cause lost: %v", err)
			}
		})
	}
}

// TestInTxStopsWhenTheRequestIsGone: a cancelled context ends the retries.
func TestInTxStopsWhenTheRequestIsGone(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := d.InTx(ctx, func(tx *sqlx.Tx) error {
		runs++
		cancel()
		return deadlock
	})
	if runs != 1 || err == nil {
		t.Fatalf("runs %d, err %v", runs, err)
	}
}

// TestInTxOvercomesARealDeadlock makes two transactions lock two rows in
// opposite orders on MariaDB/MySQL: InnoDB gives one up with 1213, InTx runs
// it again, and both end committed.
func TestInTxOvercomesARealDeadlock(t *testing.T) {
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skip("deadlock detection is InnoDB's; SQLite has one writer (set " + dbtest.EnvMySQL + ")")
	}
	d := dbtest.MustOpenDB(t)
	probeTable(t, d)
	ctx := context.Background()
	if _, err := d.Exec(`INSERT INTO tx_probe (id, n) VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	aHolds, bHolds := make(chan struct{}), make(chan struct{})
	var runs [2]int
	var once [2]sync.Once
	worker := func(i int, first, second int, mine, theirs chan struct{}) error {
		return d.InTx(ctx, func(tx *sqlx.Tx) error {
			runs[i]++
			if _, err := tx.ExecContext(ctx, `UPDATE tx_probe SET n = n + 1 WHERE id = ?`, first); err != nil {
				return err
			}
			if runs[i] == 1 { // only the first run dances; a retry just runs
				once[i].Do(func() { close(mine) })
				<-theirs
			}
			_, err := tx.ExecContext(ctx, `UPDATE tx_probe SET n = n + 10 WHERE id = ?`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- worker(0, 1, 2, aHolds, bHolds) }()
	go func() { errs <- worker(1, 2, 1, bHolds, aHolds) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	if runs[0]+runs[1] < 3 {
		t.Fatalf("runs %v: no transaction was run again, so no deadlock was overcome", runs)
	}
	if ns := probeRows(t, d); fmt.Sprint(ns) != "[11 11]" {
		t.Fatalf("rows %v, want [11 11]: each transaction applied exactly once", ns)
	}
}

// TestSyncWaitOnlyOnGalera: a server that is not a Galera node gets no
// wsrep_sync_wait; on a Galera node (ECOREPORT_TEST_MYSQL_DSN pointing at
// one) every connection reads with wsrep_sync_wait=1.
func TestSyncWaitOnlyOnGalera(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	galera, err := d.IsGalera(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Engine != db.MySQL {
		if galera {
			t.Fatal("SQLite is not a Galera node")
		}
		return
	}
	var v sql.NullString
	err = d.QueryRowContext(ctx, `SELECT @@SESSION.wsrep_sync_wait`).Scan(&v)
	t.Logf("galera node: %v, wsrep_sync_wait: %q", galera, v.String)
	switch {
	case galera && (err != nil || v.String != "1"):
		t.Fatalf("Galera node: wsrep_sync_wait = %q (%v), want 1", v.String, err)
	case !galera && err == nil && v.String != "0":
		t.Fatalf("not a Galera node, yet wsrep_sync_wait = %q", v.String)
	}
}

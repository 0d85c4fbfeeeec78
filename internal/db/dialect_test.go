package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// TestDialectHelpersWriteEachEnginesSQL checks the text each helper gives per
// engine, whichever engine this run has, so both forms are read by a test.
func TestDialectHelpersWriteEachEnginesSQL(t *testing.T) {
	lite, my := &db.DB{Engine: db.SQLite}, &db.DB{Engine: db.MySQL}
	const sel = `SELECT id FROM cases WHERE id = ?`
	tests := []struct {
		name      string
		got, want string
	}{
		{"ForUpdateMySQL", my.ForUpdate(sel), sel + ` FOR UPDATE`},
		{"ForUpdateSQLiteUnchanged", lite.ForUpdate(sel), sel},
		{"SecondsBetweenMySQL", my.SecondsBetween("opened_at", "concluded_at"), `TIMESTAMPDIFF(SECOND, opened_at, concluded_at)`},
		{"SecondsBetweenSQLite", lite.SecondsBetween("opened_at", "concluded_at"),
			`CAST(unixepoch(concluded_at, 'subsec') - unixepoch(opened_at, 'subsec') AS INTEGER)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
	if !lite.Embedded() || my.Embedded() {
		t.Fatalf("Embedded: sqlite %t, mysql %t", lite.Embedded(), my.Embedded())
	}
}

func TestForUpdateRunsInATransaction(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	var id int64
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.GetContext(ctx, &id, d.ForUpdate(`SELECT id FROM units WHERE kind = ? ORDER BY id LIMIT 1`), "town"); err != nil {
		t.Fatalf("%s: %v", d.Engine, err)
	}
	if id == 0 {
		t.Fatal("no town read")
	}
}

func TestSetForeignKeysTogglesTheChecksOfOneConnection(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// An event of a case that does not exist.
	const orphan = `INSERT INTO events (case_id, kind, from_status, to_status, actor, public_note, internal_note, created_at)
 VALUES (999999, 'test', '', '', 'test', '', '', ?)`
	tests := []struct {
		name    string
		on      bool
		wantErr bool
	}{
		{"OffAcceptsAnOrphan", false, false},
		{"OnRejectsAnOrphan", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.SetForeignKeys(ctx, conn, tt.on); err != nil {
				t.Fatal(err)
			}
			_, err := conn.ExecContext(ctx, orphan, db.Now())
			if (err != nil) != tt.wantErr {
				t.Fatalf("insert err = %v, want error %t", err, tt.wantErr)
			}
		})
	}
}

func TestSecondsBetweenCountsWholeSecondsOnEitherEngine(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	at := time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC)
	tests := []struct {
		name string
		from time.Time
		to   any
		want sql.NullInt64
	}{
		{"Exact", at, at.Add(90 * time.Second), sql.NullInt64{Int64: 90, Valid: true}},
		{"FractionTruncated", at.Add(250 * time.Millisecond), at.Add(10*time.Second + 999*time.Millisecond), sql.NullInt64{Int64: 10, Valid: true}},
		{"AcrossMonthsInAnotherZone", at, time.Date(2026, 10, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)), sql.NullInt64{Int64: 17*86400 + 23*3600 + 12*60, Valid: true}},
		{"Negative", at, at.Add(-2 * time.Hour), sql.NullInt64{Int64: -7200, Valid: true}},
		{"NullStaysNull", at, nil, sql.NullInt64{}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// feedback_exports has a time column that may be NULL (from_at);
			// here it holds the later time.
			if _, err := d.Exec(`INSERT INTO feedback_exports (id, mode, from_at, to_at, format, operator, exported_at)
 VALUES (?, 'test', ?, ?, 'csv', 'test', ?)`, i+1, tt.to, tt.from, at); err != nil {
				t.Fatal(err)
			}
			var got sql.NullInt64
			if err := d.Get(&got, `SELECT `+d.SecondsBetween("to_at", "from_at")+` FROM feedback_exports WHERE id = ?`, i+1); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

package db_test

import (
	"context"
	"testing"

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

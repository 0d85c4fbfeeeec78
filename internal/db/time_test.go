package db_test

import (
	"database/sql"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

func TestFormatTimeIsFixedWidthUTC(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"WholeSecond", time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC), "2026-09-13T00:48:00.000000Z"},
		{"HalfSecond", time.Date(2026, 9, 13, 0, 48, 0, 500_000_000, time.UTC), "2026-09-13T00:48:00.500000Z"},
		{"Microseconds", time.Date(2026, 9, 13, 0, 48, 0, 123_456_000, time.UTC), "2026-09-13T00:48:00.123456Z"},
		{"NanosecondsTruncated", time.Date(2026, 9, 13, 0, 48, 0, 999_999_999, time.UTC), "2026-09-13T00:48:00.999999Z"},
		{"OtherZoneInUTC", time.Date(2026, 9, 13, 8, 48, 0, 0, shanghai), "2026-09-13T00:48:00.000000Z"},
		{"ZeroTime", time.Time{}, "0001-01-01T00:00:00.000000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := db.FormatTime(tt.in)
			if got != tt.want || len(got) != len(db.TimeLayout) {
				t.Fatalf("FormatTime = %q, want %q", got, tt.want)
			}
			back, err := db.ParseTime(got)
			if err != nil || !back.Equal(db.UTC(tt.in)) || back.Location() != time.UTC {
				t.Fatalf("ParseTime(%q) = %v, %v", got, back, err)
			}
		})
	}
	if _, err := db.ParseTime("2026-09-13 00:48:00 +0000 UTC"); err == nil {
		t.Fatal("ParseTime accepted the old form")
	}
}

// timeRows are the times the storage tests write, deliberately not in order
// and in a mix of zones and precisions.
var timeRows = []time.Time{
	time.Date(2026, 9, 13, 0, 48, 0, 500_000_000, time.UTC),
	time.Date(2026, 9, 13, 8, 48, 0, 0, time.FixedZone("CST", 8*3600)), // 00:48:00 UTC
	time.Date(2026, 9, 13, 0, 48, 0, 1_000, time.UTC),
	time.Date(2026, 9, 12, 23, 59, 59, 999_999_000, time.UTC),
	time.Date(2026, 9, 13, 0, 48, 0, 123_456_000, time.UTC),
	time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
}

func writeTimes(t *testing.T, d *db.DB) {
	t.Helper()
	for i, at := range timeRows {
		// One argument form each: time.Time, *time.Time, sql.NullTime.
		args := []any{at, &at, sql.NullTime{Time: at, Valid: true}}
		if _, err := d.Exec(`INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (?, 'test', 'test', 'test', ?, '')`,
			args[i%3], i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTimesRoundTripSortAndCompare(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	writeTimes(t, d)

	t.Run("ScanBackTheSameInstantInUTC", func(t *testing.T) {
		for i, want := range timeRows {
			var got time.Time
			if err := d.Get(&got, `SELECT at FROM audit_log WHERE object_id = ?`, i); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(db.UTC(want)) || got.Location() != time.UTC {
				t.Fatalf("row %d: got %v, want %v", i, got, want)
			}
		}
	})
	t.Run("StoredAsTimeLayoutOnSQLite", func(t *testing.T) {
		if !d.Embedded() {
			t.Skip("MySQL stores DATETIME(6)")
		}
		var raw []string
		if err := d.Select(&raw, `SELECT CAST(at AS TEXT) FROM audit_log ORDER BY object_id`); err != nil {
			t.Fatal(err)
		}
		for i, s := range raw {
			if s != db.FormatTime(timeRows[i]) {
				t.Fatalf("row %d stored as %q", i, s)
			}
		}
	})
	t.Run("OrderByIsChronological", func(t *testing.T) {
		var ids []int
		if err := d.Select(&ids, `SELECT object_id FROM audit_log ORDER BY at, object_id`); err != nil {
			t.Fatal(err)
		}
		want := []int{3, 1, 2, 4, 0, 5}
		for i := range want {
			if ids[i] != want[i] {
				t.Fatalf("order %v, want %v", ids, want)
			}
		}
	})
	t.Run("ComparisonsWithArguments", func(t *testing.T) {
		shanghai := time.FixedZone("CST", 8*3600)
		tests := []struct {
			name  string
			query string
			arg   time.Time
			want  int
		}{
			{"BeforeInstant", `at < ?`, time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC), 1},
			{"AtOrBeforeInstant", `at <= ?`, time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC), 2},
			{"ArgumentInAnotherZone", `at <= ?`, time.Date(2026, 9, 13, 8, 48, 0, 0, shanghai), 2},
			{"MicrosecondApart", `at > ?`, time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC), 4},
			{"MonthRange", `at >= ? AND at < ?`, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				args := []any{tt.arg}
				if tt.name == "MonthRange" {
					args = append(args, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
				}
				var n int
				if err := d.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE `+tt.query, args...); err != nil {
					t.Fatal(err)
				}
				if n != tt.want {
					t.Fatalf("%s: %d rows, want %d", tt.query, n, tt.want)
				}
			})
		}
	})
	t.Run("AggregateScansIntoTime", func(t *testing.T) {
		var lo, hi, none db.Time
		if err := d.QueryRow(`SELECT MIN(at), MAX(at), MAX(CASE WHEN actor = 'nobody' THEN at END) FROM audit_log`).Scan(&lo, &hi, &none); err != nil {
			t.Fatal(err)
		}
		if !lo.Valid || !lo.Time.Equal(db.UTC(timeRows[3])) || !hi.Time.Equal(timeRows[5]) || none.Valid {
			t.Fatalf("min %v, max %v, none %v", lo, hi, none)
		}
	})
}

package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// openAtVersion returns a SQLite database migrated up to version, its path,
// and a second handle through the bare driver, which writes times in the
// form stored before migration 00078 (Go's Time.String()).
func openAtVersion(t *testing.T, version int64) (*DB, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	d, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	p, err := d.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	bare, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bare.Close() })
	return d, bare
}

// upTo migrates d up to version and no further: the tests of 00078 look at
// the database as that migration leaves it, whatever later ones add.
func upTo(ctx context.Context, d *DB, version int64) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// oldCase is a case row as an older binary wrote it: opened_at in whichever
// form the test gives, a due date, and an update time.
type oldCase struct {
	opened any       // time.Time (written by the driver) or string
	want   time.Time // the instant it stands for
}

func TestMigration00078RewritesOldTimes(t *testing.T) {
	ctx := context.Background()
	d, bare := openAtVersion(t, isoTimesVersion-1)
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Now() // with a monotonic reading: String() appends " m=+…"
	cases := []oldCase{
		{time.Date(2026, 9, 13, 0, 48, 0, 500_000_000, time.UTC), time.Date(2026, 9, 13, 0, 48, 0, 500_000_000, time.UTC)},
		{time.Date(2026, 9, 13, 8, 48, 0, 0, shanghai), time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC)},
		{time.Date(2026, 9, 13, 0, 48, 0, 123_456_000, time.UTC), time.Date(2026, 9, 13, 0, 48, 0, 123_456_000, time.UTC)},
		{now, UTC(now)},
		{"2026-09-12 23:00:00", time.Date(2026, 9, 12, 23, 0, 0, 0, time.UTC)},
		{"2026-09-12T22:00:00Z", time.Date(2026, 9, 12, 22, 0, 0, 0, time.UTC)},
		{"2026-09-12 21:00:00.25+00:00", time.Date(2026, 9, 12, 21, 0, 0, 250_000_000, time.UTC)},
	}
	due := time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC)
	for i, c := range cases {
		concluded := any(nil)
		if i%2 == 0 {
			concluded = due
		}
		if _, err := bare.Exec(`INSERT INTO cases (id, status, source, title, opened_at, due_at, concluded_at, updated_at)
 VALUES (?, 'open', 'portal', 'old', ?, ?, ?, ?)`, i+1, c.opened, due, concluded, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bare.Exec(`INSERT INTO users (id, username, role, password_hash, locked_until, created_at, updated_at)
 VALUES (1, 'old', 'admin', 'x', NULL, ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Exec(`INSERT INTO sessions (id, user_id, csrf, created_at, last_seen_at) VALUES ('s1', 1, 'x', ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	// More rows than one batch of the rewrite, so paging by rowid is used.
	const captchas = 2*rewriteBatch + 500
	tx, err := bare.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range captchas {
		if _, err := tx.Exec(`INSERT INTO captchas (id, digits, expires_at) VALUES (?, '1', ?)`, i, due.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var before, beforeNow string
	if err := bare.QueryRow(`SELECT CAST(due_at AS TEXT), CAST(updated_at AS TEXT) FROM cases WHERE id = 1`).Scan(&before, &beforeNow); err != nil {
		t.Fatal(err)
	}
	if before != "2026-09-28 00:00:00 +0000 UTC" || !strings.Contains(beforeNow, " m=") {
		t.Fatalf("fixture not in the old form: %q, %q", before, beforeNow)
	}

	if err := upTo(ctx, d, isoTimesVersion); err != nil {
		t.Fatal(err)
	}

	t.Run("EveryTimeColumnIsTimeLayout", func(t *testing.T) {
		assertAllTimeLayout(t, d)
	})
	t.Run("ValuesKeepTheirInstant", func(t *testing.T) {
		for i, c := range cases {
			var opened, updated time.Time
			var concluded sql.NullTime
			if err := d.QueryRow(`SELECT opened_at, concluded_at, updated_at FROM cases WHERE id = ?`, i+1).Scan(&opened, &concluded, &updated); err != nil {
				t.Fatal(err)
			}
			if !opened.Equal(c.want) || !updated.Equal(UTC(now)) || concluded.Valid != (i%2 == 0) || concluded.Valid && !concluded.Time.Equal(due) {
				t.Fatalf("case %d: opened %v (want %v), concluded %v, updated %v", i+1, opened, c.want, concluded, updated)
			}
		}
		var latest Time
		var later int
		if err := d.QueryRow(`SELECT MAX(expires_at), SUM(CASE WHEN expires_at >= ? THEN 1 ELSE 0 END) FROM captchas`,
			due.Add(rewriteBatch*time.Millisecond)).Scan(&latest, &later); err != nil {
			t.Fatal(err)
		}
		if !latest.Time.Equal(due.Add((captchas-1)*time.Millisecond)) || later != captchas-rewriteBatch {
			t.Fatalf("captchas: latest %v, %d from the second batch on", latest.Time, later)
		}
		var seen time.Time
		if err := d.Get(&seen, `SELECT last_seen_at FROM sessions WHERE id = 's1'`); err != nil || !seen.Equal(UTC(now)) {
			t.Fatalf("session last seen %v, %v", seen, err)
		}
	})
	t.Run("OrderByAndComparisonsAreChronological", func(t *testing.T) {
		var ids []int
		if err := d.Select(&ids, `SELECT id FROM cases WHERE opened_at < ? ORDER BY opened_at`, time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		want := []int{7, 6, 5, 2, 3, 1}
		if len(ids) != len(want) {
			t.Fatalf("ids %v, want %v", ids, want)
		}
		for i := range want {
			if ids[i] != want[i] {
				t.Fatalf("ids %v, want %v", ids, want)
			}
		}
		var onTime int
		if err := d.Get(&onTime, `SELECT COUNT(*) FROM cases WHERE concluded_at <= due_at`); err != nil || onTime != 4 {
			t.Fatalf("concluded on time %d, %v", onTime, err)
		}
	})
	t.Run("DownRestoresTheOldFormAndUpAgainMatches", func(t *testing.T) {
		p, err := d.provider()
		if err != nil {
			t.Fatal(err)
		}
		after := storedTexts(t, d)
		// Down to just before 00078, whatever migrations came after it.
		if _, err := p.DownTo(ctx, isoTimesVersion-1); err != nil {
			t.Fatal(err)
		}
		var old string
		if err := d.Get(&old, `SELECT CAST(due_at AS TEXT) FROM cases WHERE id = 1`); err != nil || old != "2026-09-28 00:00:00 +0000 UTC" {
			t.Fatalf("down left %q, %v", old, err)
		}
		if err := upTo(ctx, d, isoTimesVersion); err != nil {
			t.Fatal(err)
		}
		again := storedTexts(t, d)
		if strings.Join(again, "\n") != strings.Join(after, "\n") {
			t.Fatalf("up after down differs:\n%v\n%v", after, again)
		}
	})
}

func TestMigration00078FailsOnAnUnreadableTime(t *testing.T) {
	ctx := context.Background()
	d, bare := openAtVersion(t, isoTimesVersion-1)
	now := time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC)
	if _, err := bare.Exec(`INSERT INTO captchas (id, digits, expires_at) VALUES ('a', '1', ?), ('b', '2', 'next tuesday')`, now); err != nil {
		t.Fatal(err)
	}
	_, err := d.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "captchas") || !strings.Contains(err.Error(), "rowid 2") {
		t.Fatalf("err = %v", err)
	}
	// The migration's transaction rolled back: nothing half-rewritten.
	var first string
	if err := bare.QueryRow(`SELECT CAST(expires_at AS TEXT) FROM captchas WHERE id = 'a'`).Scan(&first); err != nil || first != now.String() {
		t.Fatalf("row a is %q, %v", first, err)
	}
	// 00078 and every later migration are still to do.
	st, err := d.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	later := 0
	for _, m := range st {
		if m.Version >= isoTimesVersion {
			later++
		}
	}
	if n, _ := d.Pending(ctx); n != later {
		t.Fatalf("pending = %d, want %d", n, later)
	}
}

// storedTexts lists every stored time of every table as text.
func storedTexts(t *testing.T, d *DB) []string {
	t.Helper()
	tx, err := d.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tables, err := timeColumns(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables["cases"]) < 7 || len(tables["rewards"]) < 10 {
		t.Fatalf("time columns found: %v", tables)
	}
	var out []string
	for table, cols := range tables {
		for _, c := range cols {
			rows, err := tx.Query(`SELECT rowid, CAST("` + c + `" AS TEXT) FROM "` + table + `" WHERE "` + c + `" IS NOT NULL ORDER BY rowid`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				var s string
				if err := rows.Scan(&id, &s); err != nil {
					t.Fatal(err)
				}
				out = append(out, table+"."+c+" "+s)
			}
			rows.Close()
		}
	}
	sort.Strings(out)
	return out
}

func assertAllTimeLayout(t *testing.T, d *DB) {
	t.Helper()
	got := storedTexts(t, d)
	if len(got) < 20 {
		t.Fatalf("only %d stored times: %v", len(got), got)
	}
	for _, s := range got {
		v := s[strings.LastIndex(s, " ")+1:]
		if _, err := ParseTime(v); err != nil || len(v) != len(TimeLayout) {
			t.Fatalf("%s: not TimeLayout", s)
		}
	}
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

// Migration 00078 on SQLite rewrites every stored time as TimeLayout text.
// It is Go, not SQL, for two reasons: SQLite's date functions keep only
// milliseconds and cannot read Go's "+0000 UTC" suffix, and the columns to
// rewrite are found in the schema (every column declared DATETIME, DATE or
// TIMESTAMP), so a table added before it is covered without being listed.
// MySQL stores DATETIME(6) natively; its 00078 is an empty file.
const isoTimesVersion = 78

// isoTimesSource names the migration in `ecoreport migrate status`.
const isoTimesSource = "00078_iso_times (Go: internal/db/migrate_times.go)"

func isoTimesMigration() *goose.Migration {
	return goose.NewGoMigration(isoTimesVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return rewriteTimes(ctx, tx, FormatTime) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return rewriteTimes(ctx, tx, oldTimeString) }})
}

// oldTimeString is the form modernc.org/sqlite writes by default, which the
// down migration restores for an older binary.
func oldTimeString(t time.Time) string { return t.UTC().String() }

// storedTimeLayouts are the forms a time may have been stored in: TimeLayout,
// Go's Time.String() (the driver's default, a monotonic " m=+…" reading cut
// off first), and the forms the driver parses on read. A form without a zone
// is UTC, as the driver reads it.
var storedTimeLayouts = []string{
	TimeLayout,
	"2006-01-02 15:04:05.999999999 -0700 MST",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseStoredTime reads a time in any of storedTimeLayouts.
func parseStoredTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i]
	}
	for _, l := range storedTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}

// timeColumns lists, per table, the columns declared as times.
func timeColumns(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'
   AND upper(p.type) IN ('DATETIME', 'DATE', 'TIMESTAMP')
 ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return nil, err
		}
		out[table] = append(out[table], col)
	}
	return out, rows.Err()
}

// rewriteTimes rewrites every stored time of every table with format, a batch
// of rows at a time by rowid. A value it cannot read fails the migration,
// naming the row, rather than being left behind in a form that sorts wrong.
func rewriteTimes(ctx context.Context, tx *sql.Tx, format func(time.Time) string) error {
	tables, err := timeColumns(ctx, tx)
	if err != nil {
		return fmt.Errorf("iso times: schema: %w", err)
	}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		if err := rewriteTable(ctx, tx, t, tables[t], format); err != nil {
			return fmt.Errorf("iso times: %s: %w", t, err)
		}
	}
	return nil
}

const rewriteBatch = 1000

func rewriteTable(ctx context.Context, tx *sql.Tx, table string, cols []string, format func(time.Time) string) error {
	texts := make([]string, len(cols))
	sets := make([]string, len(cols))
	for i, c := range cols {
		// CAST: the stored text itself, not the driver's time.Time.
		texts[i] = `CAST("` + c + `" AS TEXT)`
		sets[i] = `"` + c + `" = ?`
	}
	read := `SELECT rowid, ` + strings.Join(texts, ", ") + ` FROM "` + table + `" WHERE rowid > ? ORDER BY rowid LIMIT ?`
	update, err := tx.PrepareContext(ctx, `UPDATE "`+table+`" SET `+strings.Join(sets, ", ")+` WHERE rowid = ?`)
	if err != nil {
		return err
	}
	defer update.Close()
	type row struct {
		id   int64
		vals []sql.NullString
	}
	for last := int64(0); ; {
		rs, err := tx.QueryContext(ctx, read, last, rewriteBatch)
		if err != nil {
			return err
		}
		var batch []row
		for rs.Next() {
			r := row{vals: make([]sql.NullString, len(cols))}
			dest := []any{&r.id}
			for i := range r.vals {
				dest = append(dest, &r.vals[i])
			}
			if err := rs.Scan(dest...); err != nil {
				rs.Close()
				return err
			}
			batch = append(batch, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			args := make([]any, 0, len(cols)+1)
			changed := false
			for i, v := range r.vals {
				if !v.Valid {
					args = append(args, nil)
					continue
				}
				t, err := parseStoredTime(v.String)
				if err != nil {
					return fmt.Errorf("rowid %d, %s: %w", r.id, cols[i], err)
				}
				s := format(t)
				changed = changed || s != v.String
				args = append(args, s)
			}
			if !changed {
				continue
			}
			if _, err := update.ExecContext(ctx, append(args, r.id)...); err != nil {
				return fmt.Errorf("rowid %d: %w", r.id, err)
			}
		}
		if len(batch) < rewriteBatch {
			return nil
		}
		last = batch[len(batch)-1].id
	}
}

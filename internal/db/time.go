package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// TimeLayout is how SQLite stores a time: ISO-8601 in UTC with microseconds,
// always 27 characters ("2026-09-13T00:48:00.123456Z"). Text of one width
// in one zone compares and sorts as the times do, so `<`, BETWEEN, ORDER BY
// and indexes work on the column as stored, and SQLite's date functions
// (julianday, unixepoch, date) read it as it is. Microseconds match MySQL's
// DATETIME(6). The trailing Z is a literal: FormatTime converts to UTC first.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime returns t as SQLite stores it (TimeLayout), truncated to the
// microsecond.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a time stored in TimeLayout.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("db: time %q: %w", s, err)
	}
	return t, nil
}

// Time is a nullable time for a column the SQLite driver cannot type: an
// aggregate or expression over a DATETIME column (MIN(due_at)) comes back as
// the stored text there, and as time.Time from MySQL. Scan accepts both.
type Time struct {
	Time  time.Time
	Valid bool // false for NULL
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	var err error
	switch x := v.(type) {
	case nil:
		*t = Time{}
		return nil
	case time.Time:
		t.Time = x.UTC()
	case string:
		t.Time, err = ParseTime(x)
	case []byte:
		t.Time, err = ParseTime(string(x))
	default:
		return fmt.Errorf("db: time from %T", v)
	}
	t.Valid = err == nil
	return err
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time, nil
}

// Now returns the current time as stored: UTC, microseconds (MySQL DATETIME(6)).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// UTC normalises a time for storage (UTC, microseconds).
func UTC(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

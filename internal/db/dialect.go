package db

import (
	"context"
	"database/sql"
	"fmt"
)

// The SQL in this file is everything that differs between the engines. Domain
// packages write one query for both and ask the DB for the few pieces that
// cannot be shared; no package outside this one compares Engine.

// Lock clauses. SQLite needs none: every transaction begins IMMEDIATE
// (_txlock=immediate), so it holds the database's only write lock from its
// first statement and no other writer can change the row it read.
const (
	forUpdateMySQL  = ` FOR UPDATE`
	forUpdateSQLite = ``
)

// ForUpdate returns query (a SELECT) with the engine's row-lock clause
// appended, for reading a row in a transaction that then changes it.
func (d *DB) ForUpdate(query string) string {
	if d.Engine == MySQL {
		return query + forUpdateMySQL
	}
	return query + forUpdateSQLite
}

// Seconds between two DATETIME expressions, truncated toward zero on both
// engines. SQLite reads the stored ISO-8601 text directly (see TimeLayout).
// With 'subsec' it subtracts the times to the millisecond and then truncates,
// as TIMESTAMPDIFF does; plain unixepoch would truncate each time first and
// count 0.9 s to 1.1 s as a second.
const (
	secondsBetweenMySQL  = `TIMESTAMPDIFF(SECOND, %[1]s, %[2]s)`
	secondsBetweenSQLite = `CAST(unixepoch(%[2]s, 'subsec') - unixepoch(%[1]s, 'subsec') AS INTEGER)`
)

// SecondsBetween returns an SQL expression for the whole seconds from the
// time expression from to the time expression to (negative when to is
// earlier, NULL when either is NULL). The arguments are SQL, not values:
// pass column names, never user input.
func (d *DB) SecondsBetween(from, to string) string {
	if d.Engine == MySQL {
		return fmt.Sprintf(secondsBetweenMySQL, from, to)
	}
	return fmt.Sprintf(secondsBetweenSQLite, from, to)
}

// Referential checks for one connection. SQLite ignores the pragma inside a
// transaction, so it must run on a connection outside one.
const (
	foreignKeysOnMySQL   = `SET SESSION foreign_key_checks = 1`
	foreignKeysOffMySQL  = `SET SESSION foreign_key_checks = 0`
	foreignKeysOnSQLite  = `PRAGMA foreign_keys = ON`
	foreignKeysOffSQLite = `PRAGMA foreign_keys = OFF`
)

// Execer is a connection, transaction or handle that runs a statement.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// SetForeignKeys turns referential checks on or off for the one connection
// conn (a *sql.Conn or *sqlx.Conn outside any transaction), for bulk loads
// that write rows referring to each other in whatever order they come.
func (d *DB) SetForeignKeys(ctx context.Context, conn Execer, on bool) error {
	q := foreignKeysOffSQLite
	switch {
	case d.Engine == MySQL && on:
		q = foreignKeysOnMySQL
	case d.Engine == MySQL:
		q = foreignKeysOffMySQL
	case on:
		q = foreignKeysOnSQLite
	}
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("db: foreign keys %t: %w", on, err)
	}
	return nil
}

// Embedded reports whether the database is a file this process owns
// (SQLite) rather than a server shared with others (MySQL/MariaDB): an
// embedded database is migrated at start without being asked.
func (d *DB) Embedded() bool { return d.Engine == SQLite }

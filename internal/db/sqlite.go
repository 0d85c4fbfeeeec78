package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"modernc.org/sqlite"
)

// modernc.org/sqlite writes a time.Time argument as Go's Time.String()
// ("2026-09-13 00:48:00.5 +0000 UTC") unless told otherwise, and none of its
// _time_format choices has a fixed width. So the connections it opens are
// wrapped: every time argument reaches the driver already formatted as
// TimeLayout. Reading needs nothing: the driver parses TimeLayout text in a
// DATETIME column back into a time.Time in UTC.

// sqliteConnector opens modernc.org/sqlite connections that write times as
// TimeLayout (the driver's documented way to interpose on its connections).
type sqliteConnector struct{ driver.Connector }

func newSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	return sqliteConnector{c}, nil
}

// Connect implements driver.Connector.
func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("db: sqlite connection %T lacks the context interfaces", conn)
	}
	return sqliteConn{full}, nil
}

// sqliteDriverConn is what every modernc.org/sqlite connection implements.
// Embedding it whole forwards each method, so database/sql keeps using the
// context-aware ones (cancelling a wait for the write lock, BeginTx options,
// connection validation).
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type sqliteConn struct{ sqliteDriverConn }

// Unwrap returns the driver's own connection (sqlite.Limit looks for it).
func (c sqliteConn) Unwrap() driver.Conn { return c.sqliteDriverConn }

// CheckNamedValue implements driver.NamedValueChecker: it converts an
// argument as database/sql would (Valuers such as sql.NullTime included) and
// then writes a time as TimeLayout text.
func (sqliteConn) CheckNamedValue(nv *driver.NamedValue) error {
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return err
	}
	if t, ok := v.(time.Time); ok {
		v = FormatTime(t)
	}
	nv.Value = v
	return nil
}

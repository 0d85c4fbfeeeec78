// Package migrations embeds the SQL migrations, one folder per engine. Both
// folders describe the same tables and columns; a test in internal/db checks it.
// Files are numbered: 00001-00019 foundation, 00020-00029 portal, 00030-00039
// hotline, 00040-00059 back office and inspection, 00060-00069 rewards.
// Version 00078 (times as ISO-8601 text) is Go on SQLite, registered by
// internal/db (migrate_times.go), and an empty file on MySQL.
package migrations

import "embed"

// FS holds sqlite/*.sql and mysql/*.sql.
//
//go:embed sqlite/*.sql mysql/*.sql
var FS embed.FS

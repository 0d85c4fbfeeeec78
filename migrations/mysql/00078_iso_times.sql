-- +goose Up
-- Nothing to do on MySQL/MariaDB: DATETIME(6) columns store times natively.
-- On SQLite this version is a Go migration (internal/db/migrate_times.go)
-- that rewrites every stored time as sortable ISO-8601 UTC text; the number
-- is taken here too so both engines count the same migrations.

-- +goose Down

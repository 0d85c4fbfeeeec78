package db

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"ecoreport/migrations"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

func (d *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, d.Engine)
	if err != nil {
		return nil, err
	}
	dialect, opts := goose.DialectSQLite3, []goose.ProviderOption{goose.WithGoMigrations(isoTimesMigration())}
	if d.Engine == MySQL {
		dialect, opts = goose.DialectMySQL, nil
	}
	p, err := goose.NewProvider(dialect, d.DB.DB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many ran.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	p, err := d.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("数据库迁移失败：%w", err)
	}
	return len(res), nil
}

// Migrations lists every embedded migration with its state.
func (d *DB) Migrations(ctx context.Context) ([]MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, Classify(fmt.Errorf("db: migration status: %w", err))
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		name := s.Source.Path
		if s.Source.Type == goose.TypeGo && s.Source.Version == isoTimesVersion {
			name = isoTimesSource
		}
		out = append(out, MigrationStatus{Version: s.Source.Version, Name: name, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// Pending returns how many migrations are not yet applied.
func (d *DB) Pending(ctx context.Context) (int, error) {
	st, err := d.Migrations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if !s.Applied {
			n++
		}
	}
	return n, nil
}

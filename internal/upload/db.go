package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// ChunkSize is the largest piece of a file one row of upload_chunks holds:
// far below MariaDB's default max_allowed_packet (16 MiB), so the default
// server settings do.
const ChunkSize = 1 << 20

// MaxDBSize bounds one file in the database store: a sanitised photo is a
// few MiB (photo.MaxBytes is what a phone may send), and a file is read
// into memory before its transaction so that no transaction waits on a
// reader.
const MaxDBSize = 32 << 20

// DB keeps files in the database (upload_objects, upload_chunks): every
// instance on the same database sees them, and the database's backup holds
// them. A file is written in one transaction, so it is there whole or not
// at all.
type DB struct {
	DB  *db.DB
	Now func() time.Time
}

// NewDB is the database store of d.
func NewDB(d *db.DB) *DB { return &DB{DB: d} }

func (s *DB) Kind() string  { return KindDB }
func (s *DB) Where() string { return "数据库表 upload_objects / upload_chunks" }

const (
	dbDeleteChunksSQL = `DELETE FROM upload_chunks WHERE name = ?`
	dbDeleteObjectSQL = `DELETE FROM upload_objects WHERE name = ?`
	dbInsertObjectSQL = `INSERT INTO upload_objects (name, size_bytes, sha256, chunks, created_at) VALUES (?, ?, ?, ?, ?)`
	dbInsertChunkSQL  = `INSERT INTO upload_chunks (name, seq, data) VALUES (?, ?, ?)`
	dbObjectSQL       = `SELECT name, size_bytes, sha256, chunks, created_at FROM upload_objects WHERE name = ?`
	dbChunksSQL       = `SELECT data FROM upload_chunks WHERE name = ? ORDER BY seq`
	dbWalkSQL         = `SELECT name, size_bytes, sha256, chunks, created_at FROM upload_objects WHERE name > ? ORDER BY name LIMIT 500`
)

type dbObject struct {
	Name    string    `db:"name"`
	Size    int64     `db:"size_bytes"`
	SHA256  string    `db:"sha256"`
	Chunks  int       `db:"chunks"`
	Created time.Time `db:"created_at"`
}

func (o dbObject) object() Object { return Object{Key: o.Name, Size: o.Size, Modified: o.Created} }

// Put reads the file into memory (at most MaxDBSize), then replaces what
// is under key with it in one transaction.
func (s *DB) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkPut(key, size); err != nil {
		return err
	}
	if size > MaxDBSize {
		return fmt.Errorf("upload: %s is %d bytes; the database store keeps at most %d", key, size, MaxDBSize)
	}
	data, err := io.ReadAll(exact(r, size))
	if err != nil {
		return fmt.Errorf("upload: put %s: %w", key, err)
	}
	sum := sha256.Sum256(data)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	chunks := int((size + ChunkSize - 1) / ChunkSize)
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, dbDeleteChunksSQL, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, dbDeleteObjectSQL, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, dbInsertObjectSQL, key, size, hex.EncodeToString(sum[:]), chunks, db.UTC(now())); err != nil {
			return err
		}
		for i := 0; i < chunks; i++ {
			part := data[i*ChunkSize : min(len(data), (i+1)*ChunkSize)]
			if _, err := tx.ExecContext(ctx, dbInsertChunkSQL, key, i, part); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.Classify(fmt.Errorf("upload: put %s: %w", key, err))
	}
	return nil
}

func (s *DB) object(ctx context.Context, key string) (dbObject, error) {
	var o dbObject
	err := s.DB.GetContext(ctx, &o, dbObjectSQL, key)
	if errors.Is(err, sql.ErrNoRows) {
		return o, notExist(key)
	}
	if err != nil {
		return o, db.Classify(fmt.Errorf("upload: %s: %w", key, err))
	}
	return o, nil
}

// Open reads the whole file and checks its size and SHA-256 before handing
// it out: a file is a few MiB, and a torn or altered one is an error, not a
// broken photo.
func (s *DB) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var lastErr error
	for range 2 { // a second try in case a replace (restore, migration) ran between the two reads
		o, err := s.object(ctx, key)
		if err != nil {
			return nil, err
		}
		var parts [][]byte
		if err := s.DB.SelectContext(ctx, &parts, dbChunksSQL, key); err != nil {
			return nil, db.Classify(fmt.Errorf("upload: read %s: %w", key, err))
		}
		data := bytes.Join(parts, nil)
		sum := sha256.Sum256(data)
		if int64(len(data)) == o.Size && len(parts) == o.Chunks && hex.EncodeToString(sum[:]) == o.SHA256 {
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		lastErr = fmt.Errorf("upload: %s in the database does not match its size or checksum (%d bytes in %d chunks, want %d in %d)",
			key, len(data), len(parts), o.Size, o.Chunks)
	}
	return nil, lastErr
}

func (s *DB) Stat(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	o, err := s.object(ctx, key)
	if err != nil {
		return Object{}, err
	}
	return o.object(), nil
}

func (s *DB) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, dbDeleteChunksSQL, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, dbDeleteObjectSQL, key)
		return err
	})
	if err != nil {
		return db.Classify(fmt.Errorf("upload: delete %s: %w", key, err))
	}
	return nil
}

// Walk reads the objects a page at a time, so that fn may write to the
// same database between pages.
func (s *DB) Walk(ctx context.Context, fn func(Object) error) error {
	after := ""
	for {
		var page []dbObject
		if err := s.DB.SelectContext(ctx, &page, dbWalkSQL, after); err != nil {
			return db.Classify(fmt.Errorf("upload: list: %w", err))
		}
		for _, o := range page {
			if err := fn(o.object()); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].Name
	}
}

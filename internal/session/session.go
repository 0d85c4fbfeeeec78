// Package session keeps staff sessions of the back office (工作人员会话) in the
// shared database, so several instances can serve one office: the cookie
// holds a random token, the table only its SHA-256. It is storage only; the
// cookie, the CSRF check and the role guard are the back office's
// (internal/office/session.go).
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Defaults.
const (
	DefaultIdle     = 30 * time.Minute
	DefaultAbsolute = 12 * time.Hour
	DefaultTouch    = time.Minute
)

// Session is one logged-in staff member's session.
type Session struct {
	ID         string    `db:"id"` // SHA-256 (hex) of the cookie token
	UserID     int64     `db:"user_id"`
	CSRF       string    `db:"csrf"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
}

// Store keeps sessions. Change the fields before use.
type Store struct {
	DB       *db.DB
	Now      func() time.Time
	Idle     time.Duration // a session unused this long ends
	Absolute time.Duration // a session ends this long after login, used or not
	Touch    time.Duration // last_seen_at is written at most this often
}

// New returns a Store with the defaults: 30 minutes idle, 12 hours absolute.
func New(d *db.DB) *Store {
	return &Store{DB: d, Now: time.Now, Idle: DefaultIdle, Absolute: DefaultAbsolute, Touch: DefaultTouch}
}

func (s *Store) now() time.Time { return db.UTC(s.Now()) }

// RandomToken returns 32 random bytes in hex.
func RandomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// HashToken is the stored id of a cookie token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const (
	insertSQL     = `INSERT INTO sessions (id, user_id, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`
	selectSQL     = `SELECT id, user_id, csrf, created_at, last_seen_at FROM sessions WHERE id = ?`
	touchSQL      = `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`
	deleteSQL     = `DELETE FROM sessions WHERE id = ?`
	deleteUserSQL = `DELETE FROM sessions WHERE user_id = ?`
	purgeSQL      = `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`
)

// Create starts a session for a user and returns the cookie token (shown to
// nobody but the browser; the table holds its hash).
func (s *Store) Create(ctx context.Context, userID int64) (string, *Session, error) {
	token := RandomToken()
	now := s.now()
	ss := &Session{ID: HashToken(token), UserID: userID, CSRF: RandomToken(), CreatedAt: now, LastSeenAt: now}
	if _, err := s.DB.ExecContext(ctx, insertSQL, ss.ID, ss.UserID, ss.CSRF, ss.CreatedAt, ss.LastSeenAt); err != nil {
		return "", nil, db.Classify(fmt.Errorf("session: create: %w", err))
	}
	return token, ss, nil
}

// ErrNoSession is returned for a missing, unknown or expired session.
var ErrNoSession = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "请先登录"}

// Lookup returns the live session of a cookie token. An expired session
// (idle or absolute) is deleted and reported as ErrNoSession. last_seen_at
// is written only when it is older than Touch, not on every request.
func (s *Store) Lookup(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	var ss Session
	if err := s.DB.GetContext(ctx, &ss, selectSQL, HashToken(token)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoSession
		}
		return nil, db.Classify(fmt.Errorf("session: lookup: %w", err))
	}
	now := s.now()
	if now.Sub(ss.LastSeenAt) > s.Idle || now.Sub(ss.CreatedAt) > s.Absolute {
		s.DB.ExecContext(ctx, deleteSQL, ss.ID)
		return nil, ErrNoSession
	}
	if now.Sub(ss.LastSeenAt) >= s.Touch {
		if _, err := s.DB.ExecContext(ctx, touchSQL, now, ss.ID, now.Add(-s.Touch)); err != nil {
			return nil, db.Classify(fmt.Errorf("session: touch: %w", err))
		}
		ss.LastSeenAt = now
	}
	return &ss, nil
}

// Delete ends one session by its cookie token; an unknown token is no error.
func (s *Store) Delete(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, deleteSQL, HashToken(token))
	return db.Classify(err)
}

// DeleteUser ends every session of a user (password changed, account disabled).
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	_, err := s.DB.ExecContext(ctx, deleteUserSQL, userID)
	return db.Classify(err)
}

// Execer runs a statement: a transaction or the database.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// DeleteUserTx ends every session of a user inside the caller's
// transaction (an account disabled or its password reset by an admin), so
// that the change and the logout commit together.
func DeleteUserTx(ctx context.Context, x Execer, userID int64) error {
	if _, err := x.ExecContext(ctx, deleteUserSQL, userID); err != nil {
		return fmt.Errorf("session: end sessions of %d: %w", userID, err)
	}
	return nil
}

// Purge deletes expired sessions and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.DB.ExecContext(ctx, purgeSQL, now.Add(-s.Idle), now.Add(-s.Absolute))
	if err != nil {
		return 0, db.Classify(fmt.Errorf("session: purge: %w", err))
	}
	return res.RowsAffected()
}

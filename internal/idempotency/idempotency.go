// Package idempotency keeps idempotency keys (幂等键) of filings: a client
// that sends a filing again under the same key — a double submit, a retry
// after an answer lost at commit — files nothing more and gets the first
// filing's answer again.
//
// A key lives TTL (a day). Its row holds the HMAC of the surface and the
// key (never the key), the SHA-256 of the request and the answer sealed
// with the data key (the answer holds a tracking code). The row is written
// in the filing's own transaction (Claim.Take before the complaint,
// Claim.Keep after it): the complaint and its key commit together or not at
// all. A concurrent request with the same key waits at the database for
// that transaction (the row's unique key), then fails to insert its own
// row and finds the first one's answer (Claim.Settle). Nothing here knows
// of HTTP: an answer is a status and bytes the surface made.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// TTL is how long a key is kept: a retry within it files nothing.
const TTL = 24 * time.Hour

// MaxKeyLen is the longest key accepted.
const MaxKeyLen = 255

// Store keeps the keys of every surface.
type Store struct {
	DB   *db.DB
	Keys *secret.Keys
	Now  func() time.Time
	TTL  time.Duration // TTL when 0
}

// New returns a store on d that hashes and seals with keys.
func New(d *db.DB, keys *secret.Keys, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{DB: d, Keys: keys, Now: now}
}

func (s *Store) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return TTL
}

// Answer is what a filing answered: its HTTP status and body as the
// surface wrote them (or, for the form, where it sent the browser).
type Answer struct {
	Status int    `json:"status"`
	Body   []byte `json:"body"`
}

var (
	// ErrKeyReused answers a key sent again with a different request (409).
	ErrKeyReused = &apperr.Error{Code: apperr.ECONFLICT, Message: "Idempotency-Key 已用于另一份内容不同的请求：重试请发送相同内容，新的请求请使用新的 Idempotency-Key"}
	// ErrInFlight answers a key whose first request has not finished (409):
	// the client retries later with the same key and gets its answer.
	ErrInFlight = &apperr.Error{Code: apperr.ECONFLICT, Message: "请求正在处理，请稍后使用同一 Idempotency-Key 重试"}
	// errTaken is what Take returns when the key's row exists: the filing
	// is not written; Settle turns it into the stored answer. An ECONFLICT,
	// so that whatever passes it on unchanged answers 409 in flight.
	errTaken = &apperr.Error{Code: apperr.ECONFLICT, Message: ErrInFlight.Message}
)

// CheckKey checks a client's key: 1 to MaxKeyLen printable ASCII
// characters. The error names field.
func CheckKey(field, key string) error {
	msg := ""
	switch {
	case key == "":
		msg = "不能为空"
	case len(key) > MaxKeyLen:
		msg = fmt.Sprintf("不能超过%d个字符", MaxKeyLen)
	default:
		for i := 0; i < len(key); i++ {
			if key[i] < 0x20 || key[i] > 0x7e {
				msg = "只能使用可打印的 ASCII 字符"
				break
			}
		}
	}
	if msg == "" {
		return nil
	}
	return apperr.Invalid(map[string]string{field: field + " " + msg})
}

// Claim is one request's claim on a key.
type Claim struct {
	s        *Store
	id, body string
}

// Claim returns the claim of the request body under key in scope (the
// surface, and the partner for a partner's surface: two partners' keys
// never meet). The key is checked with CheckKey first.
func (s *Store) Claim(scope, key string, body []byte) *Claim {
	sum := sha256.Sum256(body)
	return &Claim{s: s, id: s.Keys.MAC("idempotency", scope, key), body: hex.EncodeToString(sum[:])}
}

const (
	lookupSQL = `SELECT body_hash, answer FROM idempotency_keys WHERE id = ? AND expires_at > ?`
	// A row past its time is removed before the insert, so that a key used
	// again after TTL is new even before Purge ran.
	dropExpiredSQL = `DELETE FROM idempotency_keys WHERE id = ? AND expires_at <= ?`
	insertSQL      = `INSERT INTO idempotency_keys (id, body_hash, answer, created_at, expires_at) VALUES (?, ?, '', ?, ?)`
	keepSQL        = `UPDATE idempotency_keys SET answer = ? WHERE id = ?`
	purgeSQL       = `DELETE FROM idempotency_keys WHERE expires_at <= ?`
)

// Replay returns the answer stored under the claim's key, nil when there is
// none (the request is to be filed). ErrKeyReused when the key was used
// with another body.
func (c *Claim) Replay(ctx context.Context) (*Answer, error) {
	var row struct {
		Body   string `db:"body_hash"`
		Answer string `db:"answer"`
	}
	err := c.s.DB.GetContext(ctx, &row, lookupSQL, c.id, c.s.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("idempotency: look up: %w", err))
	}
	if row.Body != c.body {
		return nil, ErrKeyReused
	}
	if row.Answer == "" {
		return nil, ErrInFlight
	}
	plain, err := c.s.Keys.Open(row.Answer)
	if err != nil {
		return nil, fmt.Errorf("idempotency: open answer: %w", err)
	}
	var a Answer
	if err := json.Unmarshal(plain, &a); err != nil {
		return nil, fmt.Errorf("idempotency: answer: %w", err)
	}
	return &a, nil
}

// Take writes the claim's row in the filing's transaction, before the
// filing. When the key's row exists (committed by an earlier request, or
// by a concurrent one this waited for) it returns an error that fails the
// filing; pass that to Settle.
func (c *Claim) Take(ctx context.Context, tx *sqlx.Tx) error {
	now := c.s.Now()
	if _, err := tx.ExecContext(ctx, dropExpiredSQL, c.id, now); err != nil {
		return fmt.Errorf("idempotency: drop expired: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertSQL, c.id, c.body, now, now.Add(c.s.ttl())); err != nil {
		if db.IsDuplicate(err) {
			return errTaken
		}
		return fmt.Errorf("idempotency: take: %w", err)
	}
	return nil
}

// Keep stores the filing's answer in its transaction, after the filing.
func (c *Claim) Keep(ctx context.Context, tx *sqlx.Tx, a Answer) error {
	plain, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, keepSQL, c.s.Keys.Seal(plain), c.id); err != nil {
		return fmt.Errorf("idempotency: keep: %w", err)
	}
	return nil
}

// Settle turns a filing's error into what the request answers: when Take
// found the key taken, the stored answer (or ErrKeyReused, or ErrInFlight
// when the row is gone again); any other error unchanged, with a nil
// answer.
func (c *Claim) Settle(ctx context.Context, err error) (*Answer, error) {
	if !errors.Is(err, errTaken) {
		return nil, err
	}
	a, err := c.Replay(ctx)
	if err == nil && a == nil {
		err = ErrInFlight
	}
	return a, err
}

// Purge removes the keys whose time is over; it returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	r, err := s.DB.ExecContext(ctx, purgeSQL, s.Now())
	if err != nil {
		return 0, db.Classify(fmt.Errorf("idempotency: purge: %w", err))
	}
	return r.RowsAffected()
}

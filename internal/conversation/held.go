package conversation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// HeldTTL is how long photos are kept for a form that was sent back: long
// enough to fix the form at leisure, short enough that nothing lingers.
const HeldTTL = time.Hour

// MaxHeld bounds the photos one token may keep at once.
const MaxHeld = 12

// HeldPhoto is a photo kept for a report form that was sent back (保留的照片):
// already sanitised and on disk, waiting to be filed under its token.
type HeldPhoto struct {
	Seq       int       `db:"seq"` // 1, 2, 3 … within the token
	Name      string    `db:"stored_name"`
	MIME      string    `db:"mime"`
	Size      int64     `db:"size_bytes"`
	Width     int       `db:"width"`
	Height    int       `db:"height"`
	ExpiresAt time.Time `db:"expires_at"`
}

// Photo is the held photo as an attachment to be.
func (h HeldPhoto) Photo() Photo { return Photo{Name: h.Name, MIME: h.MIME, Size: h.Size} }

// ErrHeldGone is what a filing gets when photos it meant to keep expired or
// were filed by another submission of the same form meanwhile.
var ErrHeldGone = &apperr.Error{Code: apperr.ECONFLICT, Message: "保留的照片已过期或已随另一次提交保存，请重新选择照片后提交",
	Fields: map[string]string{"photos": "保留的照片已过期或已随另一次提交保存，请重新选择照片"}}

// NewHeldToken returns a fresh opaque token for held photos (43 characters,
// 256 random bits).
func NewHeldToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidHeldToken reports whether t has the shape NewHeldToken makes, so that
// junk and forged values never reach SQL.
func ValidHeldToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

func heldHash(token string) string {
	h := sha256.Sum256([]byte("ecoreport/held-photos/" + token))
	return hex.EncodeToString(h[:])
}

// HeldClaim names the held photos a filing takes: the token and the
// sequence numbers the resident kept. A zero HeldClaim takes nothing.
type HeldClaim struct {
	Token string
	Seqs  []int
}

const (
	heldColumns       = `seq, stored_name, mime, size_bytes, width, height, expires_at`
	heldLiveSQL       = `SELECT ` + heldColumns + ` FROM held_photos WHERE token_hash = ? AND expires_at > ? AND swept = ? ORDER BY seq`
	heldMaxSeqSQL     = `SELECT COALESCE(MAX(seq), 0) FROM held_photos WHERE token_hash = ?`
	insertHeldSQL     = `INSERT INTO held_photos (token_hash, seq, stored_name, mime, size_bytes, width, height, swept, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	extendHeldSQL     = `UPDATE held_photos SET expires_at = ? WHERE token_hash = ? AND expires_at > ? AND swept = ?`
	releaseHeldSQL    = `UPDATE held_photos SET expires_at = ? WHERE token_hash = ? AND swept = ? AND seq IN (?)`
	claimHeldSQL      = `DELETE FROM held_photos WHERE token_hash = ? AND expires_at > ? AND swept = ? AND seq IN (?)`
	markSweptSQL      = `UPDATE held_photos SET swept = ? WHERE expires_at <= ? AND swept = ?`
	sweptSQL          = `SELECT id, stored_name FROM held_photos WHERE swept = ? ORDER BY id LIMIT 200`
	deleteSweptSQL    = `DELETE FROM held_photos WHERE id = ? AND swept = ?`
	heldSelectSeqsSQL = `SELECT ` + heldColumns + ` FROM held_photos WHERE token_hash = ? AND expires_at > ? AND swept = ? AND seq IN (?) ORDER BY seq`
)

// Hold records photos to keep under token, after those it holds already,
// and gives every live photo of the token a fresh HeldTTL. The rows are
// written before the caller writes the files (photos carry the names the
// files will have), so a process killed before the files are written leaves
// rows that expire and are swept, never an unreferenced file. It returns
// the token's live photos. EINVALID when the token is malformed, ECONFLICT
// when the token would hold more than MaxHeld.
func (s *Service) Hold(ctx context.Context, token string, photos []HeldPhoto) ([]HeldPhoto, error) {
	if !ValidHeldToken(token) {
		return nil, apperr.Invalid(map[string]string{"photo_token": "保留照片的凭据无效"})
	}
	th := heldHash(token)
	now := s.now()
	exp := now.Add(HeldTTL)
	var live []HeldPhoto
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var last int
		if err := tx.GetContext(ctx, &last, heldMaxSeqSQL, th); err != nil {
			return fmt.Errorf("conversation: held photos: %w", err)
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM held_photos WHERE token_hash = ? AND expires_at > ? AND swept = ?`, th, now, false); err != nil {
			return fmt.Errorf("conversation: held photos: %w", err)
		}
		if n+len(photos) > MaxHeld {
			return apperr.Errorf(apperr.ECONFLICT, "保留的照片过多，请刷新页面后重新填写")
		}
		if _, err := tx.ExecContext(ctx, extendHeldSQL, exp, th, now, false); err != nil {
			return fmt.Errorf("conversation: extend held photos: %w", err)
		}
		for i, p := range photos {
			if _, err := tx.ExecContext(ctx, insertHeldSQL, th, last+1+i, p.Name, p.MIME, p.Size, p.Width, p.Height, false, now, exp); err != nil {
				return fmt.Errorf("conversation: hold photo: %w", err)
			}
		}
		live = nil // Select appends, and InTx may run this again
		return tx.SelectContext(ctx, &live, heldLiveSQL, th, now, false)
	})
	if err != nil {
		return nil, db.Classify(err)
	}
	return live, nil
}

// Held returns the live photos of token, oldest first; none for an unknown,
// expired or malformed token.
func (s *Service) Held(ctx context.Context, token string) ([]HeldPhoto, error) {
	if !ValidHeldToken(token) {
		return nil, nil
	}
	var out []HeldPhoto
	if err := s.DB.SelectContext(ctx, &out, heldLiveSQL, heldHash(token), s.now(), false); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: held photos: %w", err))
	}
	return out, nil
}

// Release lets the photos seqs of token go (the resident unticked them, or
// their files could not be written): they expire now and the sweep removes
// them.
func (s *Service) Release(ctx context.Context, token string, seqs []int) error {
	if !ValidHeldToken(token) || len(seqs) == 0 {
		return nil
	}
	q, args, err := sqlx.In(releaseHeldSQL, s.now().Add(-time.Second), heldHash(token), false, seqs)
	if err != nil {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, q, args...); err != nil {
		return db.Classify(fmt.Errorf("conversation: release held photos: %w", err))
	}
	return nil
}

// claimTx takes the held photos of c inside the filing's transaction: one
// conditional DELETE of exactly the kept rows, so that of two submissions of
// one form only one gets them (the other deletes fewer rows than it asked
// for and gets ErrHeldGone, rolling back its filing). It returns the photos
// in the resident's order.
func (s *Service) claimTx(ctx context.Context, tx *sqlx.Tx, c HeldClaim) ([]Photo, error) {
	if len(c.Seqs) == 0 {
		return nil, nil
	}
	if !ValidHeldToken(c.Token) {
		return nil, ErrHeldGone
	}
	th, now := heldHash(c.Token), s.now()
	q, args, err := sqlx.In(heldSelectSeqsSQL, th, now, false, c.Seqs)
	if err != nil {
		return nil, err
	}
	var rows []HeldPhoto
	if err := tx.SelectContext(ctx, &rows, s.DB.ForUpdate(q), args...); err != nil {
		return nil, fmt.Errorf("conversation: held photos: %w", err)
	}
	q, args, err = sqlx.In(claimHeldSQL, th, now, false, c.Seqs)
	if err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("conversation: claim held photos: %w", err)
	}
	if n, _ := res.RowsAffected(); int(n) != len(c.Seqs) || len(rows) != len(c.Seqs) {
		return nil, ErrHeldGone
	}
	out := make([]Photo, len(rows))
	for i, r := range rows {
		out[i] = r.Photo()
	}
	return out, nil
}

// SweepHeld removes held photos that expired: it marks them swept (a filing
// can no longer take them), removes each file with remove (a file already
// gone is fine) and then deletes its row. A process killed at any step
// leaves marked rows that the next sweep finishes. It returns how many it
// removed.
func (s *Service) SweepHeld(ctx context.Context, remove func(name string) error) (int, error) {
	if _, err := s.DB.ExecContext(ctx, markSweptSQL, true, s.now(), false); err != nil {
		return 0, db.Classify(fmt.Errorf("conversation: sweep held photos: %w", err))
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"stored_name"`
	}
	if err := s.DB.SelectContext(ctx, &rows, sweptSQL, true); err != nil {
		return 0, db.Classify(fmt.Errorf("conversation: sweep held photos: %w", err))
	}
	n := 0
	var errs []error
	for _, r := range rows {
		if err := remove(r.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.DB.ExecContext(ctx, deleteSweptSQL, r.ID, true); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, db.Classify(errors.Join(errs...))
}

// HeldSeqs reads the kept sequence numbers a form sent back (positive, no
// repeats, at most MaxHeld); anything else is ignored.
func HeldSeqs(values []string) []int {
	var out []int
	seen := map[int]bool{}
	for _, v := range values {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1<<20 || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
		if len(out) == MaxHeld {
			break
		}
	}
	return out
}

// Package captcha wraps github.com/dchest/captcha (图形/语音验证码) with a store
// on the shared captchas table, so that a challenge made by one instance can
// be answered on another. Challenges are single-use and expire; a honeypot
// field (a form field people never see) is checked before anything else.
package captcha

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	dc "github.com/dchest/captcha"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Defaults.
const (
	Length = 6                // digits per challenge
	TTL    = 20 * time.Minute // how long a challenge may be answered
	Width  = dc.StdWidth
	Height = dc.StdHeight
)

// Errors Verify returns; both are EINVALID with the field captcha_solution.
var (
	ErrHoneypot = &apperr.Error{Code: apperr.EINVALID, Message: "提交失败，请刷新页面后重试",
		Fields: map[string]string{"captcha_solution": "提交失败，请刷新页面后重试"}}
	ErrWrong = &apperr.Error{Code: apperr.EINVALID, Message: "验证码错误或已过期，请重新输入",
		Fields: map[string]string{"captcha_solution": "验证码错误或已过期，请重新输入"}}
)

// ErrNotFound is what Image and Audio return for an unknown or expired id.
var ErrNotFound = &apperr.Error{Code: apperr.ENOTFOUND, Message: "验证码已过期，请换一张"}

// Captcha makes and checks challenges. With Required false, Verify accepts a
// missing answer (the honeypot is still checked), for load tests and kiosks.
type Captcha struct {
	Store    *Store
	Required bool
}

// New returns a Captcha over the database.
func New(d *db.DB, required bool, now func() time.Time) *Captcha {
	if now == nil {
		now = time.Now
	}
	return &Captcha{Store: &Store{DB: d, Now: now, TTL: TTL}, Required: required}
}

// New makes a challenge and returns its id: one INSERT (expired challenges
// are deleted in the background, Store.Expire).
func (c *Captcha) New(ctx context.Context) (string, error) {
	id := newID()
	digits := dc.RandomDigits(Length)
	if err := c.Store.Put(ctx, id, digits); err != nil {
		return "", err
	}
	return id, nil
}

// Verify checks a form: honeypot first (any content is a bot), then the
// answer, which is consumed whether right or wrong. Returns ErrHoneypot,
// ErrWrong, or a database error.
func (c *Captcha) Verify(ctx context.Context, id, solution, honeypot string) error {
	if honeypot != "" {
		return ErrHoneypot
	}
	if !c.Required && strings.TrimSpace(solution) == "" {
		return nil
	}
	want, err := c.Store.Take(ctx, id)
	if err != nil {
		return err
	}
	got := normalize(solution)
	if want == nil || len(got) != len(want) {
		return ErrWrong
	}
	ok := true
	for i := range want {
		if got[i] != want[i] {
			ok = false
		}
	}
	if !ok {
		return ErrWrong
	}
	return nil
}

// WriteImage writes the challenge's PNG image. ErrNotFound for unknown ids.
func (c *Captcha) WriteImage(ctx context.Context, w io.Writer, id string) error {
	digits, err := c.Store.Peek(ctx, id)
	if err != nil {
		return err
	}
	if digits == nil {
		return ErrNotFound
	}
	var b bytes.Buffer
	if _, err := dc.NewImage(id, digits, Width, Height).WriteTo(&b); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// WriteAudio writes the challenge read aloud in Chinese as WAV.
func (c *Captcha) WriteAudio(ctx context.Context, w io.Writer, id string) error {
	digits, err := c.Store.Peek(ctx, id)
	if err != nil {
		return err
	}
	if digits == nil {
		return ErrNotFound
	}
	var b bytes.Buffer
	if _, err := dc.NewAudio(id, digits, "zh").WriteTo(&b); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// normalize reads what a person typed: full-width digits and spaces forgiven;
// anything else makes the answer wrong. It returns digit values 0-9.
func normalize(s string) []byte {
	if len(s) > 64 {
		return nil
	}
	var out []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, byte(r-'0'))
		case r >= '０' && r <= '９':
			out = append(out, byte(r-'０'))
		case r == ' ' || r == '\u3000' || r == '-':
		default:
			return nil
		}
	}
	return out
}

func newID() string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]) // 20 chars, URL-safe
}

// ValidID reports whether id has the shape New makes (so junk never reaches SQL
// or a URL).
func ValidID(id string) bool {
	if len(id) != 20 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Store keeps challenges in the captchas table (id, digits, expires_at). It
// also implements dchest/captcha's Store interface for code that wants the
// package-level functions.
type Store struct {
	DB  *db.DB
	Now func() time.Time
	TTL time.Duration
}

const (
	insertCaptchaSQL = `INSERT INTO captchas (id, digits, expires_at) VALUES (?, ?, ?)`
	cleanCaptchasSQL = `DELETE FROM captchas WHERE expires_at < ?`
	selectCaptchaSQL = `SELECT digits FROM captchas WHERE id = ? AND expires_at >= ?`
	deleteCaptchaSQL = `DELETE FROM captchas WHERE id = ?`
	digitsAlphabet   = "0123456789"
)

func (s *Store) now() time.Time { return db.UTC(s.Now()) }

// Put stores a challenge: one write per form shown. Expired challenges
// stay until Expire deletes them; Peek and Take never see them.
func (s *Store) Put(ctx context.Context, id string, digits []byte) error {
	if _, err := s.DB.ExecContext(ctx, insertCaptchaSQL, id, encode(digits), s.now().Add(s.TTL)); err != nil {
		return db.Classify(fmt.Errorf("captcha: store: %w", err))
	}
	return nil
}

// Expire deletes the challenges whose time is over and returns how many.
// Serve runs it every minute (ExpireEvery) in the background.
func (s *Store) Expire(ctx context.Context) (int64, error) {
	res, err := s.DB.ExecContext(ctx, cleanCaptchasSQL, s.now())
	if err != nil {
		return 0, db.Classify(fmt.Errorf("captcha: expire: %w", err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ExpireEvery is how often serve deletes expired challenges: the table
// holds at most TTL plus this of challenges.
const ExpireEvery = time.Minute

// Peek returns a live challenge's digits without using it up, nil if none.
func (s *Store) Peek(ctx context.Context, id string) ([]byte, error) {
	if !ValidID(id) {
		return nil, nil
	}
	var d string
	err := s.DB.GetContext(ctx, &d, selectCaptchaSQL, id, s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("captcha: read: %w", err))
	}
	return decode(d), nil
}

// Take returns a live challenge's digits and deletes it; when two requests
// race for one challenge only the one whose delete succeeds (one DELETE,
// rows affected 1) gets the digits.
func (s *Store) Take(ctx context.Context, id string) ([]byte, error) {
	digits, err := s.Peek(ctx, id)
	if err != nil || digits == nil {
		return nil, err
	}
	if afterPeek != nil {
		afterPeek()
	}
	res, err := s.DB.ExecContext(ctx, deleteCaptchaSQL, id)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("captcha: use: %w", err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil
	}
	return digits, nil
}

// afterPeek, set by tests, runs in Take between the read and the delete.
var afterPeek func()

// Set implements dchest/captcha.Store.
func (s *Store) Set(id string, digits []byte) { _ = s.Put(context.Background(), id, digits) }

// Get implements dchest/captcha.Store.
func (s *Store) Get(id string, clear bool) []byte {
	if clear {
		d, _ := s.Take(context.Background(), id)
		return d
	}
	d, _ := s.Peek(context.Background(), id)
	return d
}

var _ dc.Store = (*Store)(nil)

func encode(digits []byte) string {
	b := make([]byte, len(digits))
	for i, d := range digits {
		b[i] = digitsAlphabet[d%10]
	}
	return string(b)
}

func decode(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b = append(b, byte(r-'0'))
		}
	}
	return b
}

// Answer returns a live challenge's digits as text without using it up. It
// exists for tests (of this package and of handlers) that must solve one.
func (c *Captcha) Answer(ctx context.Context, id string) string {
	d, _ := c.Store.Peek(ctx, id)
	return encode(d)
}

// Package ratelimit holds in-memory, per-instance request limits (频率限制).
//
// A Limiter counts requests per key in fixed windows. Keys for clients are
// never addresses: Hasher turns an address into HMAC(daily salt, address),
// where the salt is derived from the rate key and the date, so yesterday's
// keys cannot be linked to today's and nothing identifying is kept. Nothing is
// written to the database; with several instances each counts on its own, so
// the effective limit grows with the number of instances.
package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// DefaultMaxKeys bounds how many keys a Limiter remembers.
const DefaultMaxKeys = 100_000

// Limiter allows Limit requests per key in each Window.
type Limiter struct {
	Limit   int
	Window  time.Duration
	MaxKeys int              // 0 means DefaultMaxKeys
	Now     func() time.Time // nil means time.Now

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// New returns a limiter of limit requests per window.
func New(limit int, per time.Duration) *Limiter {
	return &Limiter{Limit: limit, Window: per}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Allow counts one request for key. When the key is over its limit it returns
// false and how long until the window ends (at least one second).
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*window{}
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.Window || now.Before(w.start) {
		if w == nil {
			l.makeRoom(now)
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	if w.count >= l.Limit {
		wait := max(w.start.Add(l.Window).Sub(now), time.Second)
		return false, wait.Round(time.Second)
	}
	w.count++
	return true, 0
}

// Peek reports whether Allow would let a request for key through now,
// without counting one: for limits that count only some outcomes (a wrong
// captcha answer), checked before the work and counted after it.
func (l *Limiter) Peek(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.Window || now.Before(w.start) || w.count < l.Limit {
		return true, 0
	}
	wait := max(w.start.Add(l.Window).Sub(now), time.Second)
	return false, wait.Round(time.Second)
}

// Refund takes back one request Allow counted for key in the current
// window: the attempt turned out not to be the kind the limit counts (a
// filing sent back for a field to fix). Counting first and refunding after
// keeps the limit exact under parallel requests, which a check before and
// a count after would not.
func (l *Limiter) Refund(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.windows[key]; w != nil && w.count > 0 && now.Sub(w.start) < l.Window && !now.Before(w.start) {
		w.count--
	}
}

// makeRoom keeps memory bounded: when the map is full, windows that ended are
// dropped; if it is still full, arbitrary keys are dropped (their counts start
// again, which errs on the side of letting people through).
func (l *Limiter) makeRoom(now time.Time) {
	max := l.MaxKeys
	if max <= 0 {
		max = DefaultMaxKeys
	}
	if len(l.windows) < max {
		return
	}
	for k, w := range l.windows {
		if now.Sub(w.start) >= l.Window {
			delete(l.windows, k)
		}
	}
	for k := range l.windows {
		if len(l.windows) < max {
			break
		}
		delete(l.windows, k)
	}
}

// Len returns how many keys are remembered (for tests and metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}

// Hasher turns client addresses and other identifiers into limiter keys with
// a salt that rotates every day (in UTC).
type Hasher struct {
	key []byte

	mu   sync.Mutex
	day  string
	salt []byte
}

// NewHasher returns a Hasher over the rate key (secret.Keys.RateKey()).
func NewHasher(rateKey []byte) *Hasher {
	return &Hasher{key: append([]byte(nil), rateKey...)}
}

// Key returns the limiter key for value (an address, a code's MAC) on the day
// of now, prefixed by scope so that one value gives different keys per use.
func (h *Hasher) Key(scope, value string, now time.Time) string {
	day := now.UTC().Format("2006-01-02")
	h.mu.Lock()
	if h.day != day {
		m := hmac.New(sha256.New, h.key)
		m.Write([]byte("ecoreport/ratelimit/" + day))
		h.salt, h.day = m.Sum(nil), day
	}
	salt := h.salt
	h.mu.Unlock()
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

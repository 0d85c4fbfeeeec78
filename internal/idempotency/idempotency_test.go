package idempotency_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/secret"
)

func TestCheckKey(t *testing.T) {
	for _, tt := range []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"550e8400-e29b-41d4-a716-446655440000", true},
		{"with space ~!", true},
		{strings.Repeat("x", 255), true},
		{"", false},
		{strings.Repeat("x", 256), false},
		{"tab\there", false},
		{"中文", false},
		{"del\x7f", false},
	} {
		err := idempotency.CheckKey("Idempotency-Key", tt.key)
		if (err == nil) != tt.ok {
			t.Fatalf("%q: %v", tt.key, err)
		}
		if err != nil && apperr.Fields(err)["Idempotency-Key"] == "" {
			t.Fatalf("%q: %v names no field", tt.key, err)
		}
	}
}

// TestExpiry: a key lives TTL; after it Replay finds nothing, the key can
// be taken again, and Purge removes what is past its time.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	s := idempotency.New(d, keys, func() time.Time { return now })
	take := func(c *idempotency.Claim, a idempotency.Answer) error {
		return d.InTx(ctx, func(tx *sqlx.Tx) error {
			if err := c.Take(ctx, tx); err != nil {
				return err
			}
			return c.Keep(ctx, tx, a)
		})
	}
	count := func() (n int) {
		if err := d.Get(&n, "SELECT COUNT(*) FROM idempotency_keys"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := s.Claim("api", "k", []byte("body"))
	if err := take(c, idempotency.Answer{Status: 201, Body: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	if err := take(s.Claim("other", "old", nil), idempotency.Answer{Status: 201}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		at     time.Duration // since the first take
		claim  *idempotency.Claim
		answer string // "" none
		err    error
	}{
		{"same", time.Hour, c, "one", nil},
		{"other body", time.Hour, s.Claim("api", "k", []byte("other")), "", idempotency.ErrKeyReused},
		{"other scope", time.Hour, s.Claim("portal", "k", []byte("body")), "", nil},
		{"last moment", idempotency.TTL - time.Microsecond, c, "one", nil},
		{"expired", idempotency.TTL, c, "", nil},
	}
	for _, st := range steps {
		now = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).Add(st.at)
		a, err := st.claim.Replay(ctx)
		if err != st.err {
			t.Fatalf("%s: %v, want %v", st.name, err, st.err)
		}
		if got := ""; a != nil {
			got = string(a.Body)
			if got != st.answer {
				t.Fatalf("%s: answer %q, want %q", st.name, got, st.answer)
			}
		} else if st.answer != "" {
			t.Fatalf("%s: no answer, want %q", st.name, st.answer)
		}
	}
	// Taken while another holds it: the filing fails, Settle finds the answer.
	now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	err = take(c, idempotency.Answer{Status: 201, Body: []byte("two")})
	if a, err := c.Settle(ctx, err); err != nil || a == nil || string(a.Body) != "one" {
		t.Fatalf("settle %v %v", a, err)
	}
	// Past its day the key is new: taken again without a purge.
	now = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	if err := take(c, idempotency.Answer{Status: 201, Body: []byte("two")}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rows", n)
	}
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purged %d: %v", n, err)
	}
	if a, err := c.Replay(ctx); err != nil || a == nil || string(a.Body) != "two" {
		t.Fatalf("after purge %v %v", a, err)
	}
	now = now.Add(idempotency.TTL)
	if n, err := s.Purge(ctx); err != nil || n != 1 || count() != 0 {
		t.Fatalf("purged %d: %v", n, err)
	}
}

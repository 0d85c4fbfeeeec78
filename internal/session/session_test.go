package session_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/session"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var ctx = context.Background()

// setup returns a store on a fresh database with one user (sessions refer
// to users) and a clock the test moves.
func setup(t *testing.T) (*session.Store, *clock, int64) {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)}
	res, err := d.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, failed_logins, created_at, updated_at)
		VALUES ('insp', '', 'inspector', 'x', ?, 0, ?, ?)`, true, clk.t, clk.t)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	s := session.New(d)
	s.Now = clk.now
	return s, clk, id
}

func TestCreateStoresOnlyTheTokensHash(t *testing.T) {
	s, _, uid := setup(t)
	token, ss, err := s.Create(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	s.DB.Get(&stored, `SELECT id FROM sessions`)
	if stored != session.HashToken(token) || strings.Contains(stored, token) || ss.ID != stored || len(ss.CSRF) != 64 {
		t.Fatalf("stored %q for token %q", stored, token)
	}
	got, err := s.Lookup(ctx, token)
	if err != nil || got.UserID != uid || got.CSRF != ss.CSRF {
		t.Fatalf("lookup %+v %v", got, err)
	}
	for _, bad := range []string{"", "nonsense", session.HashToken(token)} {
		if _, err := s.Lookup(ctx, bad); !apperr.Is(err, apperr.EUNAUTHORIZED) {
			t.Fatalf("lookup %q: %v", bad, err)
		}
	}
}

// TestLookupExpiry walks one session through the idle and absolute limits:
// last_seen_at is written at most once a minute, a session unused for 30
// minutes ends, and a busy one ends 12 hours after login.
func TestLookupExpiry(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // time between lookups
		live  []bool          // whether each lookup finds the session
	}{
		{"OKWithin29Minutes", []time.Duration{29 * time.Minute, 29 * time.Minute}, []bool{true, true}},
		{"ErrIdle31Minutes", []time.Duration{10 * time.Minute, 31 * time.Minute, time.Minute}, []bool{true, false, false}},
		{"ErrAbsoluteAfter12Hours", repeat(29*time.Minute, 25), append(trues(24), false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, uid := setup(t)
			token, _, err := s.Create(ctx, uid)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tt.steps {
				clk.t = clk.t.Add(d)
				_, err := s.Lookup(ctx, token)
				if (err == nil) != tt.live[i] {
					t.Fatalf("step %d (+%v): err %v, want live %v", i, d, err, tt.live[i])
				}
			}
			var n int
			s.DB.Get(&n, `SELECT COUNT(*) FROM sessions`)
			if want := tt.live[len(tt.live)-1]; (n == 1) != want {
				t.Fatalf("%d sessions left", n)
			}
		})
	}
}

func TestTouchAtMostOnceAMinute(t *testing.T) {
	s, clk, uid := setup(t)
	token, _, _ := s.Create(ctx, uid)
	var before, after time.Time
	s.DB.Get(&before, `SELECT last_seen_at FROM sessions`)
	clk.t = clk.t.Add(30 * time.Second)
	s.Lookup(ctx, token)
	s.DB.Get(&after, `SELECT last_seen_at FROM sessions`)
	if !after.Equal(before) {
		t.Fatal("touched within the minute")
	}
	clk.t = clk.t.Add(31 * time.Second)
	s.Lookup(ctx, token)
	s.DB.Get(&after, `SELECT last_seen_at FROM sessions`)
	if !after.Equal(clk.t) {
		t.Fatalf("not touched after a minute: %v", after)
	}
}

func TestDeleteDeleteUserAndPurge(t *testing.T) {
	s, clk, uid := setup(t)
	a, _, _ := s.Create(ctx, uid)
	b, _, _ := s.Create(ctx, uid)
	if err := s.Delete(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, a); !apperr.Is(err, apperr.EUNAUTHORIZED) {
		t.Fatal("deleted session still live")
	}
	if _, err := s.Lookup(ctx, b); err != nil {
		t.Fatal("the other session went too")
	}
	if err := s.DeleteUser(ctx, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, b); !apperr.Is(err, apperr.EUNAUTHORIZED) {
		t.Fatal("DeleteUser left a session")
	}
	s.Create(ctx, uid)
	clk.t = clk.t.Add(10 * time.Minute)
	s.Create(ctx, uid)
	clk.t = clk.t.Add(25 * time.Minute) // the first is idle 35 min, the second 25
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge %d %v", n, err)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func trues(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

package session_test

import (
	"context"
	"testing"
	"time"

	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/session"
)

// TestPurgeDeletesExpiredSessionsToTheMicrosecond checks the two time
// comparisons of Purge at their boundaries, on whichever engine runs.
func TestPurgeDeletesExpiredSessionsToTheMicrosecond(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)
	users := auth.NewStore(d)
	users.Now = func() time.Time { return now }
	if _, err := users.Create(ctx, auth.NewUser{Username: "insp", Role: auth.Inspector, Password: "correct horse"}, "test"); err != nil {
		t.Fatal(err)
	}
	u, err := users.ByUsername(ctx, "insp")
	if err != nil {
		t.Fatal(err)
	}
	s := session.New(d)
	s.Now = func() time.Time { return now }
	tests := []struct {
		name              string
		created, lastSeen time.Time
		kept              bool
	}{
		{"IdleAtTheLimitKept", now.Add(-time.Hour), now.Add(-s.Idle), true},
		{"IdleAMicrosecondPastDeleted", now.Add(-time.Hour), now.Add(-s.Idle - time.Microsecond), false},
		{"AbsoluteAtTheLimitKept", now.Add(-s.Absolute), now, true},
		{"AbsoluteAMicrosecondPastDeleted", now.Add(-s.Absolute - time.Microsecond), now, false},
		{"FreshKept", now, now, true},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		_, ss, err := s.Create(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = ss.ID
		if _, err := d.Exec(`UPDATE sessions SET created_at = ?, last_seen_at = ? WHERE id = ?`, tt.created, tt.lastSeen, ss.ID); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Purge(ctx)
	if err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var left int
			if err := d.Get(&left, `SELECT COUNT(*) FROM sessions WHERE id = ?`, ids[i]); err != nil {
				t.Fatal(err)
			}
			if (left == 1) != tt.kept {
				t.Fatalf("kept = %t, want %t", left == 1, tt.kept)
			}
		})
	}
}

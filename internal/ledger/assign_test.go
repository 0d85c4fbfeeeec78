package ledger_test

import (
	"fmt"
	"sync"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// addStaff inserts inspector accounts and returns them as assignees.
func addStaff(t *testing.T, s *ledger.Service, names ...string) []ledger.Assignee {
	t.Helper()
	var out []ledger.Assignee
	for _, n := range names {
		res, err := s.DB.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, failed_logins, created_at, updated_at)
 VALUES (?, ?, 'inspector', 'x', ?, 0, ?, ?)`, n, n+"名", true, s.Now(), s.Now())
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		out = append(out, ledger.Assignee{ID: id, Name: n + "名"})
	}
	return out
}

func TestAssignCaseAndFindItUnderMine(t *testing.T) {
	s, _ := newService(t)
	staff := addStaff(t, s, "wang", "li")
	f := fileOne(t, s, webComplaint())
	caseID, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	nobody := ledger.Assignee{}
	t.Run("OK", func(t *testing.T) {
		if err := s.AssignCase(ctx, caseID, nobody, staff[0], inspector); err != nil {
			t.Fatal(err)
		}
		m, err := s.Held(ctx, staff[0].ID)
		if err != nil || len(m.Cases) != 1 || m.Cases[0].ID != caseID || !m.Cases[0].AssigneeID.Valid {
			t.Fatalf("held by wang: %+v, %v", m, err)
		}
	})
	t.Run("ReassignedIsATimelineEvent", func(t *testing.T) {
		if err := s.AssignCase(ctx, caseID, staff[0], staff[1], inspector); err != nil {
			t.Fatal(err)
		}
		evs, err := s.CaseTimeline(ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Kind != "case.reassigned" || last.InternalNote != "承办人：wang名 → li名" || last.PublicNote != "" {
			t.Fatalf("last event %+v", last)
		}
		if m, _ := s.Held(ctx, staff[0].ID); len(m.Cases) != 0 {
			t.Fatalf("wang still holds %v", m.Cases)
		}
	})
	t.Run("ErrStaleHolder", func(t *testing.T) {
		err := s.AssignCase(ctx, caseID, staff[0], nobody, inspector) // li holds it now
		if !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrNoChange", func(t *testing.T) {
		if err := s.AssignCase(ctx, caseID, staff[1], staff[1], inspector); !apperr.Is(err, apperr.EINVALID) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrNoSuchCase", func(t *testing.T) {
		if err := s.AssignCase(ctx, caseID+100, nobody, staff[0], inspector); !apperr.Is(err, apperr.ENOTFOUND) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("FinishedCasesLeaveMine", func(t *testing.T) {
		if err := s.StartVerification(ctx, caseID, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordVerification(ctx, caseID, ledger.Unsubstantiated, "经核查不属实", inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Held(ctx, staff[1].ID); len(m.Cases) != 0 {
			t.Fatalf("a dismissed case is still held: %v", m.Cases)
		}
	})
}

func TestParallelAssignmentsOneWins(t *testing.T) {
	s, _ := newService(t)
	staff := addStaff(t, s, "a", "b", "c", "d", "e", "f", "g", "h")
	f := fileOne(t, s, webComplaint())
	caseID, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		assign func(to ledger.Assignee) error
		id     int64
		table  string
	}{
		{"Case", func(to ledger.Assignee) error { return s.AssignCase(ctx, caseID, ledger.Assignee{}, to, inspector) }, caseID, "cases"},
		{"Complaint", func(to ledger.Assignee) error {
			return s.AssignComplaint(ctx, f.Complaint.ID+1, ledger.Assignee{}, to, inspector)
		}, f.Complaint.ID + 1, "complaints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.table == "complaints" {
				fileOne(t, s, webComplaint())
			}
			var wg sync.WaitGroup
			errs := make([]error, len(staff))
			for i, to := range staff {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = tc.assign(to) }()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !apperr.Is(err, apperr.ECONFLICT):
					t.Fatalf("unexpected error %v", err)
				}
			}
			kind := map[string]string{"cases": "case.assignee_set", "complaints": "complaint.assignee_set"}[tc.table]
			if won != 1 || count(t, s, `SELECT COUNT(*) FROM events WHERE kind = ?`, kind) != 1 {
				t.Fatalf("%d assignments won, events %d", won, count(t, s, `SELECT COUNT(*) FROM events WHERE kind = ?`, kind))
			}
			if n := count(t, s, fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE id = ? AND assignee_id IS NOT NULL`, tc.table), tc.id); n != 1 {
				t.Fatal("nobody holds it")
			}
		})
	}
}

func TestAssignComplaintOnlyInTriage(t *testing.T) {
	s, _ := newService(t)
	staff := addStaff(t, s, "zhao")
	f := fileOne(t, s, webComplaint())
	if err := s.AssignComplaint(ctx, f.Complaint.ID, ledger.Assignee{}, staff[0], inspector); err != nil {
		t.Fatal(err)
	}
	m, err := s.Held(ctx, staff[0].ID)
	if err != nil || len(m.Complaints) != 1 {
		t.Fatalf("held %+v %v", m, err)
	}
	if _, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Held(ctx, staff[0].ID); len(m.Complaints) != 0 {
		t.Fatalf("an accepted complaint is still in triage: %v", m.Complaints)
	}
	err = s.AssignComplaint(ctx, f.Complaint.ID, staff[0], ledger.Assignee{}, inspector)
	if !apperr.Is(err, apperr.ECONFLICT) {
		t.Fatalf("assign an accepted complaint: %v", err)
	}
}

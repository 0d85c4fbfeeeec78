package ledger_test

import (
	"slices"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// allowedCase is workflows.md's case table, written out again on purpose:
// the code's table must agree with it.
var allowedCase = map[ledger.CaseStatus][]ledger.CaseStatus{
	ledger.Open:      {ledger.Verifying, ledger.Merged},
	ledger.Verifying: {ledger.Dismissed, ledger.Assigned, ledger.Merged},
	ledger.Assigned:  {ledger.Submitted},
	ledger.Submitted: {ledger.Closed, ledger.Reopened},
	ledger.Reopened:  {ledger.Submitted},
	ledger.Closed:    {ledger.Reopened},
}

func allowed(from, to ledger.CaseStatus) bool {
	return slices.Contains(allowedCase[from], to)
}

// moves performs the action that leads to each target status.
var moves = map[ledger.CaseStatus]func(s *ledger.Service, id, other int64) error{
	ledger.Verifying: func(s *ledger.Service, id, _ int64) error {
		return s.StartVerification(ctx, id, inspector, ledger.EventInput{})
	},
	ledger.Dismissed: func(s *ledger.Service, id, _ int64) error {
		return s.RecordVerification(ctx, id, ledger.Unsubstantiated, "经现场核查，未发现所反映问题。", inspector, ledger.EventInput{})
	},
	ledger.Assigned: func(s *ledger.Service, id, _ int64) error {
		return s.Assign(ctx, id, 1, inspector, ledger.EventInput{})
	},
	ledger.Submitted: func(s *ledger.Service, id, _ int64) error {
		return s.SubmitRectification(ctx, id, ledger.Actor{Name: "town1"}, ledger.EventInput{})
	},
	ledger.Closed: func(s *ledger.Service, id, _ int64) error {
		return s.Close(ctx, id, "已整改到位。", inspector, ledger.EventInput{})
	},
	ledger.Reopened: func(s *ledger.Service, id, _ int64) error {
		return s.Reopen(ctx, id, "现场仍有扬尘", inspector, ledger.EventInput{})
	},
	ledger.Merged: func(s *ledger.Service, id, other int64) error {
		return s.Merge(ctx, id, other, inspector)
	},
}

func TestEveryCaseTransition(t *testing.T) {
	for _, from := range ledger.AllCaseStatuses {
		for _, to := range ledger.AllCaseStatuses {
			move := moves[to]
			if move == nil {
				if allowed(from, to) {
					t.Fatalf("no action leads to %s", to)
				}
				continue
			}
			if ledger.CanMoveCase(from, to) != allowed(from, to) {
				t.Fatalf("code table disagrees with workflows.md for %s → %s", from, to)
			}
			name := string(from) + "→" + string(to)
			if !allowed(from, to) {
				name = "Err" + name
			}
			t.Run(name, func(t *testing.T) {
				s, _ := newService(t)
				f := fileOne(t, s, webComplaint())
				id, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
				if err != nil {
					t.Fatal(err)
				}
				other, err := s.OpenCase(ctx, ledger.NewCase{Source: ledger.SourceInspection, Title: "例行督查发现"}, inspector)
				if err != nil {
					t.Fatal(err)
				}
				// Put the case in the from state (set-up only).
				if _, err := s.DB.Exec(`UPDATE cases SET status = ?, verification = ? WHERE id = ?`, from, ledger.Substantiated, id); err != nil {
					t.Fatal(err)
				}
				events := count(t, s, `SELECT COUNT(*) FROM events WHERE case_id = ?`, id)
				audits := count(t, s, `SELECT COUNT(*) FROM audit_log`)

				err = move(s, id, other)

				c, _ := s.Case(ctx, id)
				if !allowed(from, to) {
					if apperr.Code(err) != apperr.ECONFLICT {
						t.Fatalf("forbidden move: err = %v", err)
					}
					if c.Status != from || count(t, s, `SELECT COUNT(*) FROM events WHERE case_id = ?`, id) != events ||
						count(t, s, `SELECT COUNT(*) FROM audit_log`) != audits {
						t.Fatal("forbidden move changed something")
					}
					return
				}
				if err != nil {
					t.Fatalf("allowed move failed: %v", err)
				}
				if c.Status != to {
					t.Fatalf("status = %s, want %s", c.Status, to)
				}
				var ev ledger.Event
				if err := s.DB.Get(&ev, `SELECT id, case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at
					FROM events WHERE case_id = ? AND to_status = ? ORDER BY id DESC LIMIT 1`, id, to); err != nil {
					t.Fatalf("no timeline event: %v", err)
				}
				if ev.FromStatus != string(from) || ev.Actor == "" {
					t.Fatalf("event %+v", ev)
				}
				if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE object_type = 'case' AND object_id = ? AND action = ?`, id, ev.Kind); n != 1 {
					t.Fatalf("audit entries for %s: %d", ev.Kind, n)
				}
				cpl, _ := s.Complaint(ctx, f.Complaint.ID)
				if to == ledger.Merged {
					if cpl.CaseID.Int64 != other {
						t.Fatalf("complaint did not follow the merge")
					}
				} else if cpl.Status != ledger.ComplaintStatusFor(to) {
					t.Fatalf("complaint status %s, want %s", cpl.Status, ledger.ComplaintStatusFor(to))
				}
			})
		}
	}
}

func TestEveryComplaintDecision(t *testing.T) {
	statuses := []ledger.ComplaintStatus{ledger.Received, ledger.Accepted, ledger.Refused, ledger.Investigating, ledger.Rectifying, ledger.Concluded, ledger.ComplaintDone}
	decisions := map[ledger.ComplaintStatus]func(s *ledger.Service, id int64) error{
		ledger.Accepted: func(s *ledger.Service, id int64) error {
			_, err := s.Accept(ctx, id, 0, inspector, ledger.EventInput{})
			return err
		},
		ledger.Refused: func(s *ledger.Service, id int64) error {
			return s.Refuse(ctx, id, ledger.RefuseNotOurs, inspector, ledger.EventInput{})
		},
	}
	for _, from := range statuses {
		for to, decide := range decisions {
			ok := from == ledger.Received
			name := string(from) + "→" + string(to)
			if !ok {
				name = "Err" + name
			}
			t.Run(name, func(t *testing.T) {
				s, _ := newService(t)
				f := fileOne(t, s, webComplaint())
				s.DB.Exec(`UPDATE complaints SET status = ? WHERE id = ?`, from, f.Complaint.ID)
				audits := count(t, s, `SELECT COUNT(*) FROM audit_log`)
				err := decide(s, f.Complaint.ID)
				c, _ := s.Complaint(ctx, f.Complaint.ID)
				if !ok {
					if apperr.Code(err) != apperr.ECONFLICT || c.Status != from || count(t, s, `SELECT COUNT(*) FROM audit_log`) != audits {
						t.Fatalf("forbidden decision: err=%v status=%s", err, c.Status)
					}
					return
				}
				if err != nil || c.Status != to {
					t.Fatalf("err=%v status=%s", err, c.Status)
				}
				if n := count(t, s, `SELECT COUNT(*) FROM events WHERE complaint_id = ? AND to_status = ?`, c.ID, to); n != 1 {
					t.Fatalf("events %d", n)
				}
				if count(t, s, `SELECT COUNT(*) FROM audit_log`) != audits+1+boolInt(to == ledger.Accepted) {
					t.Fatal("audit entries missing")
				}
				tl, _ := s.PublicTimeline(ctx, c)
				if tl[len(tl)-1].PublicNote == "" {
					t.Fatal("the reporter hears nothing back")
				}
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

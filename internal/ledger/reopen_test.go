package ledger_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// intoPaths are the four ways something lands in an existing case: a new
// complaint accepted into it, or another case merged into it, each plain or
// as "reopen: the problem came back".
var intoPaths = []struct {
	name   string
	reopen bool
	merge  bool
}{
	{"Accept", false, false}, {"AcceptReopening", true, false},
	{"Merge", false, true}, {"MergeReopening", true, true},
}

// takes is docs/ledger.md's table of what each case status takes, written
// out again on purpose: a plain accept or merge goes into an unfinished
// case only; the reopening one into a closed case only.
func takes(status ledger.CaseStatus, reopen bool) bool {
	if reopen {
		return status == ledger.Closed
	}
	return !status.Finished()
}

// TestClosedStaysClosed walks every path into a case of every status: the
// forbidden ones are refused with ECONFLICT and change nothing; the allowed
// ones attach the complaint (or the merged case's complaints) with the
// case's status, and the reopening ones reopen the case with a new deadline,
// a case.reopened event and the old reply withdrawn everywhere.
func TestClosedStaysClosed(t *testing.T) {
	for _, status := range ledger.AllCaseStatuses {
		for _, p := range intoPaths {
			ok := takes(status, p.reopen)
			name := p.name + "Into" + string(status)
			if !ok {
				name = "Err" + name
			}
			t.Run(name, func(t *testing.T) {
				s, clk := newService(t)
				target := fileOne(t, s, webComplaint())
				id, err := s.Accept(ctx, target.Complaint.ID, 0, inspector, ledger.EventInput{})
				if err != nil {
					t.Fatal(err)
				}
				other, _ := s.OpenCase(ctx, ledger.NewCase{Source: ledger.SourceInspection, Title: "例行督查发现"}, inspector)
				// Put the target in the status (set-up only): a closed case
				// has its answer, a merged one its main case.
				if _, err := s.DB.Exec(`UPDATE cases SET status = ?, verification = ?, public_reply = ?, closed_at = ?, revisit_due_at = ?,
					concluded_at = ?, merged_into_id = ? WHERE id = ?`, status, ledger.Substantiated, "经复查已整改到位，予以销号。",
					clk.t, clk.t.Add(90*day), clk.t, map[bool]any{true: other, false: nil}[status == ledger.Merged], id); err != nil {
					t.Fatal(err)
				}
				if _, err := s.DB.Exec(`UPDATE complaints SET status = ? WHERE case_id = ?`, ledger.ComplaintStatusFor(status), id); err != nil {
					t.Fatal(err)
				}
				clk.t = clk.t.Add(30 * day)

				// What lands: a received complaint, or a case holding one.
				newcomer := fileOne(t, s, webComplaint()).Complaint.ID
				var from int64
				if p.merge {
					if from, err = s.Accept(ctx, newcomer, 0, inspector, ledger.EventInput{}); err != nil {
						t.Fatal(err)
					}
				}
				before := snapshot(t, s)
				switch {
				case p.merge && p.reopen:
					err = s.MergeReopening(ctx, from, id, inspector)
				case p.merge:
					err = s.Merge(ctx, from, id, inspector)
				case p.reopen:
					_, err = s.AcceptReopening(ctx, newcomer, id, inspector, ledger.EventInput{})
				default:
					_, err = s.Accept(ctx, newcomer, id, inspector, ledger.EventInput{})
				}
				if !ok {
					if apperr.Code(err) != apperr.ECONFLICT || apperr.Message(err) == "" {
						t.Fatalf("err = %v, want ECONFLICT with a message", err)
					}
					if after := snapshot(t, s); after != before {
						t.Fatalf("a refused path changed the ledger:\n%s\n%s", before, after)
					}
					return
				}
				if err != nil {
					t.Fatalf("allowed path failed: %v", err)
				}
				c, _ := s.Case(ctx, id)
				cm, _ := s.Complaint(ctx, newcomer)
				if cm.CaseID.Int64 != id || cm.Status != ledger.ComplaintStatusFor(c.Status) {
					t.Fatalf("newcomer in case %d as %s; case is %s", cm.CaseID.Int64, cm.Status, c.Status)
				}
				if !p.reopen {
					if c.Status != status {
						t.Fatalf("a plain attach moved the case to %s", c.Status)
					}
					return
				}
				// Reopened: the problem came back.
				if c.Status != ledger.Reopened || c.ClosedAt.Valid || c.RevisitDueAt.Valid || c.ConcludedAt.Valid {
					t.Fatalf("case %+v", c)
				}
				if want := ledger.DueDate(clk.t, ledger.DefaultLimits.ConcludeDays, s.Location); !c.DueAt.Equal(want) {
					t.Fatalf("new deadline %v, want %v", c.DueAt, want)
				}
				if r := c.Reply(); r.Text != "" || !r.Withdrawn || r.Final || c.SupersededReply != "经复查已整改到位，予以销号。" {
					t.Fatalf("reply %+v, superseded %q", r, c.SupersededReply)
				}
				if !strings.HasPrefix(c.ReopenReason, "问题反弹") {
					t.Fatalf("reopen reason %q", c.ReopenReason)
				}
				if n := count(t, s, `SELECT COUNT(*) FROM events WHERE case_id = ? AND complaint_id IS NULL AND kind = 'case.reopened'
					AND from_status = 'closed' AND public_note <> ''`, id); n != 1 {
					t.Fatalf("%d reopen events", n)
				}
				// Every reporter of the case: rectifying, no old answer.
				cms, _ := s.Complaints(ctx, id)
				for _, x := range cms {
					if x.Status != ledger.Rectifying {
						t.Fatalf("complaint %s is %s", x.Ref(), x.Status)
					}
					rs, err := s.PublicRequests(ctx, ledger.PublicFilter{IDs: []int64{x.ID}, Limit: 1})
					if err != nil || len(rs) != 1 || rs[0].Answer() != "" || rs[0].Status.Finished() {
						t.Fatalf("public request %+v %v", rs, err)
					}
					if k := rs[0].LatestNote.Kind; k != "case.reopened" && k != "complaint.accepted" {
						t.Fatalf("latest public note of %s is %s", x.Ref(), k)
					}
				}
			})
		}
	}
}

// snapshot is everything a refused path must leave as it was.
func snapshot(t *testing.T, s *ledger.Service) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{`SELECT COUNT(*) FROM events`, `SELECT COUNT(*) FROM audit_log`} {
		fmt.Fprintf(&b, "%d ", count(t, s, q))
	}
	var rows []struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
		Case   *int64 `db:"case_id"`
	}
	if err := s.DB.Select(&rows, `SELECT id, status, case_id FROM complaints ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "c%d:%s:%v ", r.ID, r.Status, r.Case != nil && *r.Case > 0)
	}
	var cs []struct {
		ID     int64     `db:"id"`
		Status string    `db:"status"`
		Reply  string    `db:"public_reply"`
		Due    time.Time `db:"due_at"`
	}
	if err := s.DB.Select(&cs, `SELECT id, status, public_reply, due_at FROM cases ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "k%d:%s:%s:%s ", c.ID, c.Status, c.Reply, c.Due.Format(time.RFC3339))
	}
	return b.String()
}

// TestEveryReopeningWithdrawsTheReply: whatever sends a closed case back
// (an inspector, a revisit, a reporter's "not solved", a new complaint, a
// merge), the old answer is withdrawn and the unit is told why; a send-back
// at acceptance (submitted) keeps the verification's reply, which still
// stands.
func TestEveryReopeningWithdrawsTheReply(t *testing.T) {
	reopen := map[string]func(s *ledger.Service, id int64) error{
		"Reopen": func(s *ledger.Service, id int64) error {
			return s.Reopen(ctx, id, "复查发现仍有扬尘", inspector, ledger.EventInput{})
		},
		"RecordRevisit": func(s *ledger.Service, id int64) error {
			return s.RecordRevisit(ctx, id, false, "夜间又有粉尘", inspector)
		},
		"ReopenClosedTx": func(s *ledger.Service, id int64) error {
			tx, err := s.DB.Beginx()
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if err := s.ReopenClosedTx(ctx, tx, id, "举报人反映问题未解决", inspector, ledger.EventInput{PublicNote: "问题需要继续整改。"}); err != nil {
				return err
			}
			return tx.Commit()
		},
		"AcceptReopening": func(s *ledger.Service, id int64) error {
			_, err := s.AcceptReopening(ctx, fileOne(t, s, webComplaint()).Complaint.ID, id, inspector, ledger.EventInput{})
			return err
		},
		"MergeReopening": func(s *ledger.Service, id int64) error {
			other, err := s.Accept(ctx, fileOne(t, s, webComplaint()).Complaint.ID, 0, inspector, ledger.EventInput{})
			if err != nil {
				return err
			}
			return s.MergeReopening(ctx, other, id, inspector)
		},
	}
	for name, fn := range reopen {
		t.Run(name, func(t *testing.T) {
			s, _ := newService(t)
			id, _ := closedCase(t, s)
			if err := fn(s, id); err != nil {
				t.Fatal(err)
			}
			c, _ := s.Case(ctx, id)
			if c.Status != ledger.Reopened || c.PublicReply != "" || c.SupersededReply != "已整改到位。" || !c.Reply().Withdrawn || c.ReopenReason == "" {
				t.Fatalf("case %s reply %q superseded %q reason %q", c.Status, c.PublicReply, c.SupersededReply, c.ReopenReason)
			}
			// Closed again later: a new answer stands, the old stays on record.
			if err := s.SubmitRectification(ctx, id, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(ctx, id, "再次复查，已彻底整改。", inspector, ledger.EventInput{}); err != nil {
				t.Fatal(err)
			}
			c, _ = s.Case(ctx, id)
			if r := c.Reply(); r.Text != "再次复查，已彻底整改。" || !r.Final || r.Withdrawn || c.SupersededReply != "已整改到位。" || !c.ConcludedAt.Valid {
				t.Fatalf("after the second close: %+v, superseded %q", r, c.SupersededReply)
			}
		})
	}
	t.Run("SendBackKeepsTheVerificationReply", func(t *testing.T) {
		s, _ := newService(t)
		id := verifiedCase(t, s)
		if _, err := s.IssueNotice(ctx, newNotice(id, s), inspector); err != nil {
			t.Fatal(err)
		}
		if err := s.SubmitRectification(ctx, id, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Case(ctx, id)
		if err := s.Reopen(ctx, id, "除尘设施未通电", inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		c, _ := s.Case(ctx, id)
		if c.PublicReply != "经现场核查，问题属实。" || c.Reply().Withdrawn || c.ReopenReason != "除尘设施未通电" || !c.DueAt.Equal(before.DueAt) {
			t.Fatalf("send-back: reply %q withdrawn %v reason %q due %v→%v", c.PublicReply, c.Reply().Withdrawn, c.ReopenReason, before.DueAt, c.DueAt)
		}
	})
}

// TestAcceptOrMergeRacingAClose runs, again and again, a close of a case
// waiting for acceptance against a complaint accepted and a case merged
// into it at the same time. Whichever wins, nothing lands in the case after
// it closed: either the newcomer came first and was closed with it, or it was
// refused and is untouched. Run it on MariaDB too (ECOREPORT_TEST_MYSQL_DSN).
func TestAcceptOrMergeRacingAClose(t *testing.T) {
	s, _ := newService(t)
	const rounds = 12
	for i := range rounds {
		id := verifiedCase(t, s)
		if _, err := s.IssueNotice(ctx, newNotice(id, s), inspector); err != nil {
			t.Fatal(err)
		}
		if err := s.SubmitRectification(ctx, id, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		newcomer := fileOne(t, s, webComplaint()).Complaint.ID
		dup, err := s.Accept(ctx, fileOne(t, s, webComplaint()).Complaint.ID, 0, inspector, ledger.EventInput{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var closeErr, acceptErr, mergeErr error
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			closeErr = s.Close(ctx, id, "已整改到位。", inspector, ledger.EventInput{})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, acceptErr = s.Accept(ctx, newcomer, id, inspector, ledger.EventInput{})
		}()
		go func() { defer wg.Done(); <-start; mergeErr = s.Merge(ctx, dup, id, inspector) }()
		close(start)
		wg.Wait()
		if closeErr != nil {
			t.Fatalf("round %d: the close failed: %v", i, closeErr)
		}
		for what, err := range map[string]error{"accept": acceptErr, "merge": mergeErr} {
			if err != nil && apperr.Code(err) != apperr.ECONFLICT {
				t.Fatalf("round %d: %s: %v", i, what, err)
			}
		}
		// The case's timeline: nothing attached after case.closed.
		evs, _ := s.CaseTimeline(ctx, id)
		closedAt := -1
		for j, ev := range evs {
			if ev.Kind == "case.closed" {
				closedAt = j
			}
			if closedAt >= 0 && j > closedAt && (ev.Kind == "complaint.accepted" || ev.Kind == "case.merged_in") {
				t.Fatalf("round %d: %s after the close", i, ev.Kind)
			}
		}
		cms, _ := s.Complaints(ctx, id)
		for _, cm := range cms {
			if cm.Status != ledger.ComplaintDone {
				t.Fatalf("round %d: %s in the closed case is %s", i, cm.Ref(), cm.Status)
			}
		}
		cm, _ := s.Complaint(ctx, newcomer)
		if acceptErr != nil && (cm.Status != ledger.Received || cm.CaseID.Valid) {
			t.Fatalf("round %d: a refused complaint is %s in case %v", i, cm.Status, cm.CaseID)
		}
		d, _ := s.Case(ctx, dup)
		if (mergeErr == nil) != (d.Status == ledger.Merged) {
			t.Fatalf("round %d: merge err %v, duplicate is %s", i, mergeErr, d.Status)
		}
	}
}

// TestTwoReopeningsAtOnce: two inspectors each take a "came back" complaint
// into the same closed case at once. One reopens it; the other is told the
// case is no longer closed and changes nothing.
func TestTwoReopeningsAtOnce(t *testing.T) {
	s, _ := newService(t)
	id, _ := closedCase(t, s)
	a, b := fileOne(t, s, webComplaint()).Complaint.ID, fileOne(t, s, webComplaint()).Complaint.ID
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, cm := range []int64{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.AcceptReopening(ctx, cm, id, inspector, ledger.EventInput{})
		}()
	}
	close(start)
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || apperr.Code(errors.Join(errs[0], errs[1])) != apperr.ECONFLICT {
		t.Fatalf("errs %v", errs)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM events WHERE case_id = ? AND kind = 'case.reopened'`, id); n != 1 {
		t.Fatalf("%d reopenings", n)
	}
}

package ledger_test

import (
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// verifiedCase files a complaint, accepts it and verifies it substantiated.
func verifiedCase(t *testing.T, s *ledger.Service) int64 {
	t.Helper()
	f := fileOne(t, s, webComplaint())
	id, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartVerification(ctx, id, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordVerification(ctx, id, ledger.Substantiated, "经现场核查，问题属实。", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	return id
}

func newNotice(caseID int64, s *ledger.Service) ledger.NewNotice {
	return ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "立即停止夜间生产，加装除尘设施。",
		Deadline: s.Now().Add(15 * 24 * time.Hour)}
}

func TestIssueNoticeAssignsTheCase(t *testing.T) {
	s, _ := newService(t)
	id := verifiedCase(t, s)
	n, err := s.IssueNotice(ctx, newNotice(id, s), inspector)
	if err != nil {
		t.Fatal(err)
	}
	if n.Ref() != "石环督整〔2026〕1号" {
		t.Fatalf("ref %s", n.Ref())
	}
	if got := n.CopiedToList(); len(got) != 3 || got[1] != "县纪委监委" || got[2] != "县考核办" {
		t.Fatalf("copied to %v", got)
	}
	if got := n.Deadline.In(s.Location).Format("2006-01-02 15:04"); got != "2026-11-18 23:59" {
		t.Fatalf("deadline %s", got)
	}
	c, _ := s.Case(ctx, id)
	if c.Status != ledger.Assigned || c.UnitID.Int64 != 1 {
		t.Fatalf("case %s unit %v", c.Status, c.UnitID)
	}
	evs, _ := s.CaseTimeline(ctx, id)
	if last := evs[len(evs)-1]; last.Kind != "notice.issued" || last.InternalNote != n.Ref() {
		t.Fatalf("last event %+v", last)
	}
	if k := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action IN ('case.assigned', 'notice.issued') AND object_id = ?`, id); k != 2 {
		t.Fatalf("audit entries %d", k)
	}

	t.Run("ErrNotVerified", func(t *testing.T) {
		f := fileOne(t, s, webComplaint())
		cid, _ := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
		before := count(t, s, `SELECT last_number FROM notice_counters`)
		_, err := s.IssueNotice(ctx, newNotice(cid, s), inspector)
		if !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("err %v", err)
		}
		if after := count(t, s, `SELECT last_number FROM notice_counters`); after != before {
			t.Fatalf("counter moved %d → %d on a failed issue", before, after)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := s.IssueNotice(ctx, ledger.NewNotice{CaseID: id}, inspector)
		f := apperr.Fields(err)
		if f["unit_id"] == "" || f["requirements"] == "" || f["deadline"] == "" {
			t.Fatalf("fields %v", f)
		}
	})
	t.Run("OtherUnitCannotReport", func(t *testing.T) {
		err := s.ReportRectification(ctx, n.ID, 2, "已整改完毕。", ledger.Actor{Name: "town2"})
		if !apperr.Is(err, apperr.ENOTFOUND) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ReportThenReopenThenReissue", func(t *testing.T) {
		if err := s.ReportRectification(ctx, n.ID, 1, "已加装除尘设施，夜间停产。", ledger.Actor{Name: "town1"}); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Case(ctx, id); c.Status != ledger.Submitted {
			t.Fatalf("case %s", c.Status)
		}
		if err := s.Reopen(ctx, id, "现场仍有粉尘", inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		in := newNotice(id, s)
		in.UnitID = 26
		n2, err := s.IssueNotice(ctx, in, inspector)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := s.Case(ctx, id)
		if c.Status != ledger.Reopened || c.UnitID.Int64 != 26 || n2.Number != 2 {
			t.Fatalf("reissue: case %s unit %v number %d", c.Status, c.UnitID, n2.Number)
		}
		old, _ := s.Notice(ctx, n.ID)
		if old.Status != ledger.NoticeSuperseded {
			t.Fatalf("old notice %s", old.Status)
		}
		if err := s.ReportRectification(ctx, n.ID, 1, "再次整改。", ledger.Actor{Name: "town1"}); !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("report on superseded notice: %v", err)
		}
		if err := s.ReportRectification(ctx, n2.ID, 26, "已整改。", ledger.Actor{Name: "dept26"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNoticeNumbersAreGaplessUnderConcurrentIssues issues 50 notices at once
// (run it with ECOREPORT_TEST_MYSQL_DSN set for MariaDB too).
func TestNoticeNumbersAreGaplessUnderConcurrentIssues(t *testing.T) {
	s, _ := newService(t)
	issueAtOnce(t, []*ledger.Service{s}, 50)
}

// issueAtOnce issues n notices at once, goroutine i through ss[i%len(ss)],
// and checks that every number 1..n is used once, seen through every
// service's database handle.
func issueAtOnce(t *testing.T, ss []*ledger.Service, n int) {
	t.Helper()
	s := ss[0]
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = verifiedCase(t, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func(s *ledger.Service, id int64) {
			defer wg.Done()
			<-start
			_, err := s.IssueNotice(ctx, newNotice(id, s), inspector)
			errs <- err
		}(ss[i%len(ss)], id)
	}
	close(start)
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d notices failed", failed, n)
	}
	for node, s := range ss {
		var nums []int
		if err := s.DB.Select(&nums, `SELECT number FROM notices WHERE year = 2026`); err != nil {
			t.Fatal(err)
		}
		sort.Ints(nums)
		if len(nums) != n {
			t.Fatalf("node %d: %d notices", node+1, len(nums))
		}
		for i, x := range nums {
			if x != i+1 {
				t.Fatalf("node %d: numbers not 1..%d without gaps: %v", node+1, n, nums)
			}
		}
		if last := count(t, s, `SELECT last_number FROM notice_counters WHERE year = 2026`); last != n {
			t.Fatalf("node %d: counter %d", node+1, last)
		}
		if k := count(t, s, `SELECT COUNT(*) FROM cases WHERE status = 'assigned'`); k != n {
			t.Fatalf("node %d: %d cases assigned", node+1, k)
		}
	}
}

// TestNoticeNumbersCarryTheCountysPrefix: a county configures its own
// prefix; a notice keeps the prefix it was issued with when the setting
// changes, and is found by its number either way.
func TestNoticeNumbersCarryTheCountysPrefix(t *testing.T) {
	s, _ := newService(t)
	first, err := s.IssueNotice(ctx, newNotice(verifiedCase(t, s), s), inspector)
	if err != nil {
		t.Fatal(err)
	}
	s.NoticePrefix = "汉环督整"
	second, err := s.IssueNotice(ctx, newNotice(verifiedCase(t, s), s), inspector)
	if err != nil {
		t.Fatal(err)
	}
	if first.Ref() != "石环督整〔2026〕1号" || second.Ref() != "汉环督整〔2026〕2号" {
		t.Fatalf("refs %s, %s", first.Ref(), second.Ref())
	}
	again, err := s.Notice(ctx, first.ID)
	if err != nil || again.Ref() != first.Ref() {
		t.Fatalf("the first notice now reads %v (%v)", again, err)
	}
	p, err := s.Search(ctx, ledger.SearchQuery{Text: second.Ref(), Kind: ledger.SearchCases}, ledger.Scope{All: true})
	if err != nil || len(p.Cases) != 1 || p.Cases[0].ID != second.CaseID {
		t.Fatalf("search by the new number: %v %v", p, err)
	}
}

// TestNoticeQuotesTheWholeProblem: a notice states the problem in full, the
// case's description unless the inspector words it; the case's short title
// is never what the unit reads.
func TestNoticeQuotesTheWholeProblem(t *testing.T) {
	long := "建材厂每天夜里11点以后开机生产，烟囱冒黑烟，气味刺鼻，机器噪声很大，周边居民无法入睡。" +
		"附近小学的学生早上上学时也能闻到刺鼻气味，已经持续了两个多月。"
	tests := []struct {
		name, problem, want, code string
	}{
		{"OKCaseDescription", "", long, ""},
		{"OKInspectorsWords", "该厂夜间违规生产，除尘设施未运行。", "该厂夜间违规生产，除尘设施未运行。", ""},
		{"ErrTooLong", strings.Repeat("长", 4001), "", apperr.EINVALID},
		{"ErrControlCharacters", "夜间\x00生产", "", apperr.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			in := webComplaint()
			in.Description = long
			f := fileOne(t, s, in)
			id, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := s.Case(ctx, id)
			if c.Description != long || c.Address != in.Address || strings.Contains(c.Title, "两个多月") {
				t.Fatalf("case %q / %q / %q", c.Title, c.Description, c.Address)
			}
			s.StartVerification(ctx, id, inspector, ledger.EventInput{})
			s.RecordVerification(ctx, id, ledger.Substantiated, "属实", inspector, ledger.EventInput{})
			nn := newNotice(id, s)
			nn.Problem = tt.problem
			n, err := s.IssueNotice(ctx, nn, inspector)
			if apperr.Code(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if err != nil {
				return
			}
			got, _ := s.Notice(ctx, n.ID)
			if got.Problem != tt.want || n.Problem != tt.want {
				t.Fatalf("problem %q", got.Problem)
			}
		})
	}
}

// TestNoticeOverdue: overdue is derived from the deadline, while the case
// waits for the unit, for the notice in force only.
func TestNoticeOverdue(t *testing.T) {
	s, clk := newService(t)
	id := verifiedCase(t, s)
	n, err := s.IssueNotice(ctx, newNotice(id, s), inspector)
	if err != nil {
		t.Fatal(err)
	}
	after := n.Deadline.Add(36 * time.Hour)
	tests := []struct {
		name   string
		status ledger.CaseStatus
		notice ledger.NoticeStatus
		at     time.Time
		want   int
	}{
		{"OnTime", ledger.Assigned, ledger.NoticeIssued, clk.t, 0},
		{"Late", ledger.Assigned, ledger.NoticeIssued, after, 2},
		{"LateAfterASendBack", ledger.Reopened, ledger.NoticeReported, after, 2},
		{"ReportedAndWaiting", ledger.Submitted, ledger.NoticeReported, after, 0},
		{"Closed", ledger.Closed, ledger.NoticeReported, after, 0},
		{"Superseded", ledger.Reopened, ledger.NoticeSuperseded, after, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := *n
			x.Status = tt.notice
			if got := x.DaysOverdue(tt.status, tt.at); got != tt.want || x.Overdue(tt.status, tt.at) != (tt.want > 0) {
				t.Fatalf("days overdue %d, want %d", got, tt.want)
			}
		})
	}
}

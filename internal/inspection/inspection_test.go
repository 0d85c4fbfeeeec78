package inspection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

var ctx = context.Background()

type env struct {
	t   *testing.T
	l   *ledger.Service
	s   *inspection.Service
	now time.Time
}

var inspector = ledger.Actor{Name: "insp"}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, now: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)} // 10:00 in Shiquan
	e.l = ledger.NewService(d, keys)
	e.l.Now = func() time.Time { return e.now }
	e.s = inspection.NewService(e.l)
	return e
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.l.DB.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if apperr.Code(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func goodTask(e *env) inspection.NewTask {
	return inspection.NewTask{Kind: inspection.Routine, Theme: "汉江沿岸砂石企业例行督查", Area: []string{"城关镇", "池河镇"},
		Team: []string{"王建国", "李芳"}, StartOn: e.now.Add(24 * time.Hour), EndOn: e.now.Add(5 * 24 * time.Hour)}
}

func TestNewTaskValidate(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		edit  func(*inspection.NewTask)
		field string
	}{
		{"OK", func(*inspection.NewTask) {}, ""},
		{"ErrKind", func(n *inspection.NewTask) { n.Kind = "weekly" }, "kind"},
		{"ErrTheme", func(n *inspection.NewTask) { n.Theme = "  " }, "theme"},
		{"ErrArea", func(n *inspection.NewTask) { n.Area = nil }, "area"},
		{"ErrTeam", func(n *inspection.NewTask) { n.Team = nil }, "team"},
		{"ErrStart", func(n *inspection.NewTask) { n.StartOn = time.Time{} }, "start_on"},
		{"ErrEndBeforeStart", func(n *inspection.NewTask) { n.EndOn = n.StartOn.Add(-48 * time.Hour) }, "end_on"},
		{"ErrControlChars", func(n *inspection.NewTask) { n.Theme = "督查\x00" }, "theme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := goodTask(e)
			tt.edit(&n)
			err := n.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, apperr.EINVALID)
			if apperr.Fields(err)[tt.field] == "" {
				t.Fatalf("no message for %s: %v", tt.field, apperr.Fields(err))
			}
		})
	}
}

func TestTaskLifecycle(t *testing.T) {
	e := newEnv(t)
	t.Run("ErrUnknownTown", func(t *testing.T) {
		n := goodTask(e)
		n.Area = []string{"不存在镇"}
		_, err := e.s.CreateTask(ctx, n, inspector)
		wantCode(t, err, apperr.EINVALID)
	})
	id, err := e.s.CreateTask(ctx, goodTask(e), inspector)
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.s.Task(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != inspection.Planned || task.Area != "城关镇、池河镇" || task.Team != "王建国、李芳" {
		t.Fatalf("task = %+v", task)
	}
	started := goodTask(e)
	started.StartOn = e.now.Add(-24 * time.Hour)
	id2, err := e.s.CreateTask(ctx, started, inspector)
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := e.s.Task(ctx, id2); t2.Status != inspection.InProgress {
		t.Fatalf("a task that started is %s", t2.Status)
	}
	tests := []struct {
		name string
		to   inspection.TaskStatus
		code string
	}{
		{"OK", inspection.InProgress, ""},
		{"ErrBackwards", inspection.Planned, apperr.ECONFLICT},
		{"ErrInvalid", "paused", apperr.EINVALID},
		{"OKDone", inspection.Done, ""},
		{"ErrAfterDone", inspection.InProgress, apperr.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.s.SetTaskStatus(ctx, id, tt.to, inspector), tt.code)
		})
	}
	wantCode(t, e.s.SetTaskStatus(ctx, 9999, inspection.Done, inspector), apperr.ENOTFOUND)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE object_type = 'inspection_task'`); n != 4 {
		t.Fatalf("audit entries = %d, want 4 (2 created, 2 moves)", n)
	}
}

func goodFinding() inspection.Finding {
	return inspection.Finding{Title: "砂石厂堆场未覆盖", Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Subject: "城关镇某砂石厂", Description: "现场检查发现砂石堆场约2000平方米未苫盖，无喷淋设施。"}
}

func TestRecordFinding(t *testing.T) {
	e := newEnv(t)
	taskID, err := e.s.CreateTask(ctx, goodTask(e), inspector)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*inspection.Finding)
		code string
	}{
		{"ErrTitle", func(f *inspection.Finding) { f.Title = "" }, apperr.EINVALID},
		{"ErrNoCategory", func(f *inspection.Finding) { f.Categories = nil }, apperr.EINVALID},
		{"ErrBadCategory", func(f *inspection.Finding) { f.Categories = ledger.Categories{"smell"} }, apperr.EINVALID},
		{"ErrDescription", func(f *inspection.Finding) { f.Description = " " }, apperr.EINVALID},
		{"ErrTownIsDepartment", func(f *inspection.Finding) { f.TownID = 23 }, apperr.EINVALID},
		{"ErrTooManyPhotos", func(f *inspection.Finding) {
			f.Photos = make([]ledger.Photo, ledger.MaxPhotosPerAction+1)
		}, apperr.EINVALID},
		{"OK", func(f *inspection.Finding) {
			f.Address = "城关镇汉江大道东段"
			f.Photos = []ledger.Photo{{Name: "0123456789abcdef0123456789abcdef.jpg", MIME: "image/jpeg", Size: 900}}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodFinding()
			tt.edit(&f)
			_, err := e.s.RecordFinding(ctx, taskID, f, inspector)
			wantCode(t, err, tt.code)
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM cases`); n != 1 {
		t.Fatalf("cases = %d: a failed finding left a case", n)
	}
	fs, err := e.s.Findings(ctx, taskID)
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings = %v, %v", fs, err)
	}
	c, err := e.l.Case(ctx, fs[0].CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != ledger.SourceInspection || c.Status != ledger.Open || c.Title != "砂石厂堆场未覆盖" || c.TownID.Int64 != 1 ||
		c.Description != goodFinding().Description || c.Address != "城关镇汉江大道东段" {
		t.Fatalf("case = %+v", c)
	}
	// The finding's on-site photo is the case's, kind onsite.
	if ps, err := e.l.CasePhotos(ctx, c.ID); err != nil || len(ps) != 1 || ps[0].Kind != ledger.PhotoOnSite || ps[0].NoticeID.Valid {
		t.Fatalf("photos = %+v, %v", ps, err)
	}
	evs, _ := e.l.CaseTimeline(ctx, c.ID)
	if len(evs) != 2 || evs[0].Kind != "case.opened" || evs[1].Kind != "inspection.finding" {
		t.Fatalf("timeline = %+v", evs)
	}
	if task, _ := e.s.Task(ctx, taskID); task.Status != inspection.InProgress {
		t.Fatalf("a planned task with a finding is %s", task.Status)
	}
	t.Run("ErrUnknownTask", func(t *testing.T) {
		_, err := e.s.RecordFinding(ctx, 999, goodFinding(), inspector)
		wantCode(t, err, apperr.ENOTFOUND)
	})
	t.Run("ErrTaskDone", func(t *testing.T) {
		if err := e.s.SetTaskStatus(ctx, taskID, inspection.Done, inspector); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.RecordFinding(ctx, taskID, goodFinding(), inspector)
		wantCode(t, err, apperr.ECONFLICT)
	})
	// The finding's case works like any other.
	if err := e.l.StartVerification(ctx, c.ID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterSuperior(t *testing.T) {
	e := newEnv(t)
	good := inspection.SuperiorFeedback{Body: inspection.ProvinceInspection, Reference: "陕督交〔2026〕12号", Title: "池河镇河道非法采砂",
		Categories: ledger.Categories{ledger.Ecology, ledger.Water}, TownID: 5, Description: "省督察组交办：群众反映夜间采砂。"}
	tests := []struct {
		name string
		edit func(*inspection.SuperiorFeedback)
		code string
	}{
		{"ErrBody", func(f *inspection.SuperiorFeedback) { f.Body = "county" }, apperr.EINVALID},
		{"ErrTitle", func(f *inspection.SuperiorFeedback) { f.Title = "" }, apperr.EINVALID},
		{"ErrTown", func(f *inspection.SuperiorFeedback) { f.TownID = 99 }, apperr.EINVALID},
		{"OK", func(*inspection.SuperiorFeedback) {}, ""},
		{"OKAuditNoDescription", func(f *inspection.SuperiorFeedback) {
			f.Body, f.Description, f.Reference = inspection.AuditFeedback, "", ""
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			tt.edit(&f)
			id, err := e.s.RegisterSuperior(ctx, f, inspector)
			wantCode(t, err, tt.code)
			if err != nil {
				return
			}
			c, err := e.l.Case(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Source != ledger.SourceSuperior || c.SourceDetail != f.SourceDetail() {
				t.Fatalf("case source %s %q", c.Source, c.SourceDetail)
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM cases WHERE source = 'superior' AND source_detail = ?`, "省生态环境保护督察 陕督交〔2026〕12号"); n != 1 {
		t.Fatalf("superior cases = %d", n)
	}
}

func (e *env) openCase(title string) int64 {
	e.t.Helper()
	id, err := e.l.OpenCase(ctx, ledger.NewCase{Source: ledger.SourceLeader, Title: title, TownID: 5}, inspector)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestInterviews(t *testing.T) {
	e := newEnv(t)
	c1, c2 := e.openCase("问题一"), e.openCase("问题二")
	good := inspection.NewInterview{UnitID: 5, HeldOn: e.now, Leader: "县委副书记 张明", Problems: "整改不力，群众反复投诉。", CaseIDs: []int64{c1, c2, c1}}
	tests := []struct {
		name  string
		edit  func(*inspection.NewInterview)
		field string
	}{
		{"ErrUnit", func(n *inspection.NewInterview) { n.UnitID = 0 }, "unit_id"},
		{"ErrUnknownUnit", func(n *inspection.NewInterview) { n.UnitID = 999 }, "unit_id"},
		{"ErrHeldOn", func(n *inspection.NewInterview) { n.HeldOn = time.Time{} }, "held_on"},
		{"ErrFuture", func(n *inspection.NewInterview) { n.HeldOn = e.now.Add(72 * time.Hour) }, "held_on"},
		{"ErrLeader", func(n *inspection.NewInterview) { n.Leader = "" }, "leader"},
		{"ErrProblems", func(n *inspection.NewInterview) { n.Problems = "" }, "problems"},
		{"ErrUnknownCase", func(n *inspection.NewInterview) { n.CaseIDs = []int64{c1, 999} }, "case_ids"},
		{"OK", func(*inspection.NewInterview) {}, ""},
	}
	var id int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := good
			tt.edit(&n)
			got, err := e.s.RecordInterview(ctx, n, inspector)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				id = got
				return
			}
			wantCode(t, err, apperr.EINVALID)
			if apperr.Fields(err)[tt.field] == "" {
				t.Fatalf("fields %v", apperr.Fields(err))
			}
		})
	}
	iv, err := e.s.Interview(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	loc := e.l.Location
	if iv.CaseIDs != fmt.Sprintf("%d,%d", c1, c2) || // ids as assigned: Galera steps auto-increment by node count
		iv.HeldOn.In(loc).Format("2006-01-02 15:04") != "2026-11-10 00:00" ||
		iv.ReportDueOn.In(loc).Format("2006-01-02") != "2026-11-17" {
		t.Fatalf("interview = %+v", iv)
	}
	if st := iv.ReportState(e.now); st != inspection.ReportPending {
		t.Fatalf("state = %s", st)
	}
	if st := iv.ReportState(e.now.Add(8 * 24 * time.Hour)); st != inspection.ReportOverdue {
		t.Fatalf("state after 8 days = %s", st)
	}
	for _, c := range []int64{c1, c2} {
		if n := e.count(`SELECT COUNT(*) FROM events WHERE case_id = ? AND kind = 'interview.held'`, c); n != 1 {
			t.Fatalf("case %d interview events = %d", c, n)
		}
	}
	t.Run("RecordReport", func(t *testing.T) {
		wantCode(t, e.s.RecordReport(ctx, id, time.Time{}, inspector), apperr.EINVALID)
		wantCode(t, e.s.RecordReport(ctx, id, e.now.Add(-72*time.Hour), inspector), apperr.EINVALID) // before the interview
		wantCode(t, e.s.RecordReport(ctx, 999, e.now, inspector), apperr.ENOTFOUND)
		e.now = e.now.Add(5 * 24 * time.Hour)
		if err := e.s.RecordReport(ctx, id, e.now, inspector); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.s.RecordReport(ctx, id, e.now, inspector), apperr.ECONFLICT)
		iv, _ := e.s.Interview(ctx, id)
		if st := iv.ReportState(e.now.Add(30 * 24 * time.Hour)); st != inspection.ReportOnTime {
			t.Fatalf("state = %s", st)
		}
	})
	t.Run("LateReportIsOverdue", func(t *testing.T) {
		n := good
		n.HeldOn = e.now.Add(-20 * 24 * time.Hour)
		n.CaseIDs = nil
		id2, err := e.s.RecordInterview(ctx, n, inspector)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.RecordReport(ctx, id2, e.now, inspector); err != nil {
			t.Fatal(err)
		}
		iv, _ := e.s.Interview(ctx, id2)
		if iv.CaseIDs != "" || iv.ReportState(e.now) != inspection.ReportOverdue {
			t.Fatalf("late report: %+v %s", iv, iv.ReportState(e.now))
		}
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE object_type = 'interview'`); n != 4 {
		t.Fatalf("interview audit entries = %d", n)
	}
}

func TestReferrals(t *testing.T) {
	e := newEnv(t)
	c := e.openCase("违法排污")
	good := inspection.NewReferral{CaseID: c, Recipient: inspection.ToEnforcement, ReferredOn: e.now, Reference: "石环督移〔2026〕1号"}
	tests := []struct {
		name  string
		edit  func(*inspection.NewReferral)
		field string
	}{
		{"ErrCase", func(n *inspection.NewReferral) { n.CaseID = 0 }, "case_id"},
		{"ErrUnknownCase", func(n *inspection.NewReferral) { n.CaseID = 77 }, "case_id"},
		{"ErrRecipient", func(n *inspection.NewReferral) { n.Recipient = "police" }, "recipient"},
		{"ErrDate", func(n *inspection.NewReferral) { n.ReferredOn = time.Time{} }, "referred_on"},
		{"ErrFuture", func(n *inspection.NewReferral) { n.ReferredOn = e.now.Add(96 * time.Hour) }, "referred_on"},
		{"OK", func(*inspection.NewReferral) {}, ""},
	}
	var id int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := good
			tt.edit(&n)
			got, err := e.s.RecordReferral(ctx, n, inspector)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				id = got
				return
			}
			wantCode(t, err, apperr.EINVALID)
			if apperr.Fields(err)[tt.field] == "" {
				t.Fatalf("fields %v", apperr.Fields(err))
			}
		})
	}
	wantCode(t, e.s.UpdateOutcome(ctx, id, " ", inspector), apperr.EINVALID)
	wantCode(t, e.s.UpdateOutcome(ctx, 999, "已立案", inspector), apperr.ENOTFOUND)
	if err := e.s.UpdateOutcome(ctx, id, "已立案查处", inspector); err != nil {
		t.Fatal(err)
	}
	if err := e.s.UpdateOutcome(ctx, id, "已立案查处，罚款5万元", inspector); err != nil {
		t.Fatal(err)
	}
	rs, err := e.s.Referrals(ctx, c)
	if err != nil || len(rs) != 1 || rs[0].Outcome != "已立案查处，罚款5万元" {
		t.Fatalf("referrals = %+v, %v", rs, err)
	}
	if all, _ := e.s.Referrals(ctx, 0); len(all) != 1 {
		t.Fatalf("all referrals = %d", len(all))
	}
	if n := e.count(`SELECT COUNT(*) FROM events WHERE case_id = ? AND kind LIKE 'referral.%'`, c); n != 3 {
		t.Fatalf("referral events = %d", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE object_type = 'referral'`); n != 3 {
		t.Fatalf("referral audit = %d", n)
	}
}

func TestParseCaseRefs(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
		ok   bool
	}{
		{"", nil, true},
		{"C000012, 15", []int64{12, 15}, true},
		{"c3、C4；5", []int64{3, 4, 5}, true},
		{"C12x", nil, false},
		{"-3", nil, false},
	}
	for _, tt := range tests {
		got, ok := inspection.ParseCaseRefs(tt.in)
		if ok != tt.ok || len(got) != len(tt.want) {
			t.Fatalf("%q: %v %v", tt.in, got, ok)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("%q: %v", tt.in, got)
			}
		}
	}
}

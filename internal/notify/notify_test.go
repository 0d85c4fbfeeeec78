package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify"
	"ecoreport/internal/secret"
)

var ctx = context.Background()

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

// env is a ledger with the outbox hung on it, on a fresh database, at
// 14:22 in Shiquan.
type env struct {
	ledger *ledger.Service
	outbox *notify.Outbox
	clk    *clock
	users  *auth.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 3, 6, 22, 5, 0, time.UTC)}
	l := ledger.NewService(d, keys)
	l.Now = clk.now
	o := &notify.Outbox{DB: d, Keys: keys, Settings: notify.DefaultSettings, Location: shanghai, Now: clk.now}
	o.Settings.PublicURL = "https://jubao.example.cn"
	o.Settings.RetryBase = time.Minute
	l.OnEvent = append(l.OnEvent, o.Hook)
	return &env{ledger: l, outbox: o, clk: clk, users: &auth.Store{DB: d, Now: clk.now}}
}

var inspector = ledger.Actor{UserID: 0, Name: "inspector1"}

func complaint(identity ledger.Identity, phone string) ledger.NewComplaint {
	in := ledger.NewComplaint{
		Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Address: "城关镇汉江大道107号", Subject: "某砂石厂", Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。",
		Identity: identity,
	}
	if identity == ledger.Confidential {
		in.Contact = &ledger.Contact{Name: "张三", Phone: phone}
	}
	return in
}

func (e *env) file(t *testing.T, in ledger.NewComplaint) ledger.Filed {
	t.Helper()
	f, err := e.ledger.File(ctx, in, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.outbox.DB.GetContext(ctx, &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// fakeSender records what it was asked to send and answers what fail says.
type fakeSender struct {
	mu   sync.Mutex
	sent []notify.Envelope
	fail func(e *notify.Envelope) error
}

func (f *fakeSender) Send(_ context.Context, e *notify.Envelope) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(e); err != nil {
			return "", err
		}
	}
	f.sent = append(f.sent, *e)
	return fmt.Sprintf("ref-%d", len(f.sent)), nil
}

func (f *fakeSender) n() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }

func (e *env) worker(s notify.Sender) *notify.Worker {
	return &notify.Worker{Outbox: e.outbox, Senders: map[string]notify.Sender{
		notify.ChannelSMS: s, notify.ChannelEmail: s, notify.ChannelLog: notify.LogSender{}, notify.ChannelWebhook: s}}
}

func TestReporterHearsBackOnlyWhenConfidentialWithAPhone(t *testing.T) {
	tests := []struct {
		name     string
		identity ledger.Identity
		phone    string
		want     int
	}{
		{"ConfidentialMobile", ledger.Confidential, "138 1234 5678", 1},
		{"ConfidentialLandline", ledger.Confidential, "0915-6321234", 0},
		{"ConfidentialNoPhone", ledger.Confidential, "", 0},
		{"AnonymousNever", ledger.Anonymous, "13812345678", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			f := e.file(t, complaint(tt.identity, tt.phone))
			if _, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
				t.Fatal(err)
			}
			got := e.count(t, `SELECT COUNT(*) FROM outbox WHERE rule = ?`, notify.RuleReporterAccepted)
			if got != tt.want {
				t.Fatalf("%d reporter messages, want %d", got, tt.want)
			}
			if tt.want == 0 {
				return
			}
			items, _ := e.outbox.List(ctx, notify.ViewQueue, 10)
			m := items[0]
			ref := f.Complaint.Ref()
			if m.Body != "您的举报 "+ref+" 有新的办理进展，请凭查询码查询：https://jubao.example.cn。" {
				t.Fatalf("body %q", m.Body)
			}
			for _, secret := range []string{"13812345678", "砂石厂", "城关镇", "张三", f.TrackingCode} {
				var n int
				e.outbox.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM outbox WHERE body LIKE ? OR recipient LIKE ? OR recipient_label LIKE ? OR subject LIKE ?`,
					"%"+secret+"%", "%"+secret+"%", "%"+secret+"%", "%"+secret+"%")
				if n != 0 {
					t.Fatalf("the outbox holds %q", secret)
				}
			}
			if !strings.Contains(m.RecipientLabel, "138****5678") {
				t.Fatalf("label %q", m.RecipientLabel)
			}
		})
	}
}

func TestNoMessageForAChangeThatRolledBack(t *testing.T) {
	e := newEnv(t)
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	boom := errors.New("boom")
	e.ledger.OnEvent = append(e.ledger.OnEvent, func(context.Context, *sqlx.Tx, *ledger.Event) error { return boom })
	if _, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); !errors.Is(err, boom) {
		t.Fatalf("accept: %v", err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("%d rows for a rolled-back change", n)
	}
}

// walk takes a complaint through the ledger as the browser test does:
// accepted, verifying, verified substantiated, a notice to 城关镇, the
// unit's report, closed. It returns the case id.
func (e *env) walk(t *testing.T, complaintID int64, by ledger.Actor, unit ledger.Actor) int64 {
	t.Helper()
	caseID, err := e.ledger.Accept(ctx, complaintID, 0, by, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.StartVerification(ctx, caseID, by, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.RecordVerification(ctx, caseID, ledger.Substantiated, "属实，已责令整改。", by, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	n, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "立即停止夜间生产。", Deadline: e.clk.now().AddDate(0, 0, 15)}, by)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.ReportRectification(ctx, n.ID, 1, "已停止夜间生产。", unit); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.Close(ctx, caseID, "已整改到位。", by, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	return caseID
}

func (e *env) user(t *testing.T, name string, role auth.Role, unitID int64, email string) ledger.Actor {
	t.Helper()
	if _, err := e.users.Create(ctx, auth.NewUser{Username: name, Role: role, UnitID: unitID, Password: "Correct-Horse-2026!"}, "test"); err != nil {
		t.Fatal(err)
	}
	if email != "" {
		if err := e.outbox.SetAddress(ctx, name, email, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	if err := e.outbox.DB.GetContext(ctx, &id, `SELECT id FROM users WHERE username = ?`, name); err != nil {
		t.Fatal(err)
	}
	return ledger.Actor{UserID: id, Name: name}
}

func TestACaseFromAcceptanceToCloseOwesTheseMessages(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.Mail = true
	insp := e.user(t, "insp1", auth.Inspector, 0, "insp1@example.cn")
	e.user(t, "insp2", auth.Inspector, 0, "")
	unit := e.user(t, "chengguan", auth.UnitUser, 1, "cg@example.cn")
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.walk(t, f.Complaint.ID, insp, unit)

	items, err := e.outbox.List(ctx, notify.ViewAll, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		got = append(got, it.Rule+" "+it.Channel+" "+it.RecipientLabel)
	}
	want := []string{
		"reporter.accepted sms " + f.Complaint.Ref() + " 举报人 138****5678",
		"reporter.verified sms " + f.Complaint.Ref() + " 举报人 138****5678",
		"unit.notice email chengguan",
		"inspector.report email insp1",
		"reporter.closed sms " + f.Complaint.Ref() + " 举报人 138****5678",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRulesSwitchedOffWriteNothing(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.Off = map[string]bool{notify.RuleReporterAccepted: true}
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	if _, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("%d rows", n)
	}
}

func TestWorkerSendsEachMessageOnceWithSeveralWorkers(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 12; i++ {
		f := e.file(t, complaint(ledger.Confidential, fmt.Sprintf("1381234%04d", i)))
		if _, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
	}
	s := &fakeSender{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := e.worker(s)
			wk.Batch = 5
			for i := 0; i < 5; i++ {
				if _, err := wk.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if s.n() != 12 {
		t.Fatalf("%d sends for 12 messages", s.n())
	}
	seen := map[string]bool{}
	for _, m := range s.sent {
		if seen[m.Key] {
			t.Fatalf("%s sent twice", m.Key)
		}
		seen[m.Key] = true
		if !strings.HasPrefix(m.To, "1381234") {
			t.Fatalf("sent to %q", m.To)
		}
	}
	st, _ := e.outbox.Stats(ctx)
	if st.Sent != 12 || st.Queued != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestAFailingProviderNeverFailsTheChangeAndIsRetriedThenDead(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.MaxAttempts = 3
	e.outbox.Settings.DailyCap = 0
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	if _, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	down := &fakeSender{fail: func(*notify.Envelope) error { return errors.New("connection refused") }}
	w := e.worker(down)
	if n, _ := w.RunOnce(ctx); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	if n, _ := w.RunOnce(ctx); n != 0 {
		t.Fatalf("retried at once: %d", n)
	}
	items, _ := e.outbox.List(ctx, notify.ViewFailed, 10)
	if len(items) != 1 || !items[0].Failed || items[0].Status != notify.Pending || !strings.Contains(items[0].LastError, "refused") {
		t.Fatalf("%+v", items)
	}
	wait1 := items[0].NextAt.Sub(e.clk.now())
	e.clk.add(wait1 + time.Second)
	w.RunOnce(ctx)
	items, _ = e.outbox.List(ctx, notify.ViewFailed, 10)
	if wait2 := items[0].NextAt.Sub(e.clk.now()); wait2 < wait1*3/2 {
		t.Fatalf("backoff did not grow: %s then %s", wait1, wait2)
	}
	e.clk.add(time.Hour)
	w.RunOnce(ctx)
	it, _ := e.outbox.Get(ctx, items[0].ID)
	if it.Status != notify.Dead || len(it.History) != 3 {
		t.Fatalf("after 3 attempts: %s, %d attempts recorded", it.Status, len(it.History))
	}

	t.Run("RetriedByAnOperator", func(t *testing.T) {
		up := &fakeSender{}
		if err := e.outbox.Retry(ctx, it.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		e.worker(up).RunOnce(ctx)
		it, _ := e.outbox.Get(ctx, it.ID)
		if it.Status != notify.Sent || up.n() != 1 || it.ProviderRef != "ref-1" {
			t.Fatalf("%s, %d sends", it.Status, up.n())
		}
		if err := e.outbox.Retry(ctx, it.ID, "admin"); err == nil {
			t.Fatal("a sent message retried")
		}
	})
}

func TestPermanentErrorsAreDeadAtOnce(t *testing.T) {
	e := newEnv(t)
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	e.worker(&fakeSender{fail: func(*notify.Envelope) error { return notify.Permanent(errors.New("isv.MOBILE_NUMBER_ILLEGAL")) }}).RunOnce(ctx)
	st, _ := e.outbox.Stats(ctx)
	if st.Dead != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestQuietHoursHoldResidentsSMSUntilMorning(t *testing.T) {
	e := newEnv(t)
	e.clk.t = time.Date(2026, 11, 3, 23, 30, 0, 0, shanghai) // 23:30 local
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	s := &fakeSender{}
	w := e.worker(s)
	w.RunOnce(ctx)
	if s.n() != 0 {
		t.Fatal("an SMS at 23:30")
	}
	it := mustOne(t, e, notify.ViewQueue)
	if want := time.Date(2026, 11, 4, 8, 0, 0, 0, shanghai); !it.NextAt.Equal(want) || it.Attempts != 0 || it.Failed {
		t.Fatalf("next %s (want %s), attempts %d, failed %v", it.NextAt.In(shanghai), want, it.Attempts, it.Failed)
	}
	e.clk.t = time.Date(2026, 11, 4, 7, 59, 0, 0, shanghai)
	w.RunOnce(ctx)
	e.clk.t = time.Date(2026, 11, 4, 8, 0, 1, 0, shanghai)
	w.RunOnce(ctx)
	if s.n() != 1 {
		t.Fatalf("%d SMS by 08:00", s.n())
	}
}

func mustOne(t *testing.T, e *env, view string) notify.Item {
	t.Helper()
	items, err := e.outbox.List(ctx, view, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %+v", err, items)
	}
	return items[0]
}

func TestABurstIsMergedAndCappedPerPhone(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.DailyCap = 2
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.clk.t = time.Date(2026, 11, 3, 23, 0, 0, 0, shanghai)
	caseID, _ := e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	e.ledger.StartVerification(ctx, caseID, inspector, ledger.EventInput{})
	e.ledger.RecordVerification(ctx, caseID, ledger.Unsubstantiated, "经核查不属实。", inspector, ledger.EventInput{})
	s := &fakeSender{}
	w := e.worker(s)
	e.clk.t = time.Date(2026, 11, 4, 8, 30, 0, 0, shanghai)
	w.RunOnce(ctx)
	if s.n() != 1 {
		t.Fatalf("%d SMS for a night's two changes", s.n())
	}
	st, _ := e.outbox.Stats(ctx)
	if st.Merged != 1 || st.Sent != 1 {
		t.Fatalf("%+v", st)
	}

	// Two more reporters' worth of SMS to one phone in one day: the cap
	// holds the third until tomorrow morning.
	for i := 0; i < 2; i++ {
		g := e.file(t, complaint(ledger.Confidential, "13812345678"))
		e.ledger.Accept(ctx, g.Complaint.ID, 0, inspector, ledger.EventInput{})
	}
	w.RunOnce(ctx)
	if s.n() != 2 {
		t.Fatalf("%d SMS, the cap is 2", s.n())
	}
	it := mustOne(t, e, notify.ViewQueue)
	if want := time.Date(2026, 11, 5, 8, 0, 0, 0, shanghai); !it.NextAt.Equal(want) || !strings.Contains(it.LastError, "上限") {
		t.Fatalf("held until %s: %q", it.NextAt.In(shanghai), it.LastError)
	}
}

func TestAClaimOfAWorkerThatDiedIsTakenOverWhenItsLeaseEnds(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.Timeout = 10 * time.Second
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	// A worker claims the row and dies mid-send (kill -9): nothing but
	// its claim is left.
	hung := make(chan struct{})
	dying := &notify.Worker{Outbox: e.outbox, Senders: map[string]notify.Sender{notify.ChannelSMS: notify.SenderFunc(
		func(ctx context.Context, _ *notify.Envelope) (string, error) { close(hung); select {} })}}
	go dying.RunOnce(ctx)
	<-hung
	s := &fakeSender{}
	w := e.worker(s)
	w.RunOnce(ctx)
	if s.n() != 0 {
		t.Fatal("a claimed row was sent by another worker while its lease held")
	}
	e.clk.add(16 * time.Second)
	w.RunOnce(ctx)
	if s.n() != 1 {
		t.Fatalf("%d sends after the lease ended", s.n())
	}
	it := mustOne(t, e, notify.ViewSent)
	if it.Attempts != 2 {
		t.Fatalf("%d attempts counted, want 2 (the dead worker's and ours)", it.Attempts)
	}
}

func TestStoppingMidSendRetriesAtTheNextStart(t *testing.T) {
	e := newEnv(t)
	f := e.file(t, complaint(ledger.Confidential, "13812345678"))
	e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	cctx, cancel := context.WithCancel(ctx)
	stopping := &notify.Worker{Outbox: e.outbox, Senders: map[string]notify.Sender{notify.ChannelSMS: notify.SenderFunc(
		func(ctx context.Context, _ *notify.Envelope) (string, error) {
			cancel()
			<-ctx.Done()
			return "", ctx.Err()
		})}}
	stopping.RunOnce(cctx)
	s := &fakeSender{}
	e.worker(s).RunOnce(ctx)
	if s.n() != 1 {
		t.Fatalf("%d sends after a stop mid-send", s.n())
	}
}

func TestSchedulerRemindsOncePerDeadline(t *testing.T) {
	e := newEnv(t)
	insp := e.user(t, "insp1", auth.Inspector, 0, "")
	e.user(t, "chengguan", auth.UnitUser, 1, "")
	e.user(t, "leader1", auth.Leader, 0, "")
	f := e.file(t, complaint(ledger.Anonymous, ""))
	caseID, _ := e.ledger.Accept(ctx, f.Complaint.ID, 0, insp, ledger.EventInput{})
	e.ledger.StartVerification(ctx, caseID, insp, ledger.EventInput{})
	e.ledger.RecordVerification(ctx, caseID, ledger.Substantiated, "属实。", insp, ledger.EventInput{})
	if _, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "限期整改。", Deadline: e.clk.now().AddDate(0, 0, 10)}, insp); err != nil {
		t.Fatal(err)
	}
	sch := &notify.Scheduler{Outbox: e.outbox}
	rules := func() string {
		var rs []string
		e.outbox.DB.SelectContext(ctx, &rs, `SELECT rule FROM outbox WHERE rule NOT IN ('unit.notice') ORDER BY id`)
		return strings.Join(rs, " ")
	}
	steps := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai), ""},
		{time.Date(2026, 11, 11, 9, 0, 0, 0, shanghai), "unit.due_3d"},
		{time.Date(2026, 11, 12, 9, 0, 0, 0, shanghai), "unit.due_3d"},
		{time.Date(2026, 11, 13, 9, 0, 0, 0, shanghai), "unit.due_3d unit.due_1d"},
		{time.Date(2026, 11, 14, 9, 0, 0, 0, shanghai), "unit.due_3d unit.due_1d unit.overdue"},
	}
	for _, st := range steps {
		e.clk.t = st.at
		for i := 0; i < 3; i++ { // several runs, as several instances would
			if _, err := sch.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := rules(); got != st.want {
			t.Fatalf("at %s: %q, want %q", st.at, got, st.want)
		}
	}
}

func TestTheLeadersGetOneDigestADay(t *testing.T) {
	e := newEnv(t)
	e.user(t, "leader1", auth.Leader, 0, "")
	e.user(t, "leader2", auth.Leader, 0, "")
	for i := 0; i < 3; i++ {
		f := e.file(t, complaint(ledger.Anonymous, ""))
		e.ledger.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
	}
	sch := &notify.Scheduler{Outbox: e.outbox}
	e.clk.add(70 * 24 * time.Hour) // 60 days to conclude, 10 overdue
	for i := 0; i < 3; i++ {
		sch.RunOnce(ctx)
	}
	var bodies []string
	e.outbox.DB.SelectContext(ctx, &bodies, `SELECT body FROM outbox WHERE rule = ?`, notify.RuleLeaderDigest)
	if len(bodies) != 2 || !strings.Contains(bodies[0], "以下 3 个问题逾期超过 7 天") {
		t.Fatalf("%d digests: %q", len(bodies), bodies)
	}
}

func TestAdminsHearOfRepeatedLoginFailuresOnceAnHour(t *testing.T) {
	e := newEnv(t)
	e.outbox.Settings.Mail = true
	e.user(t, "root1", auth.Admin, 0, "root1@example.cn")
	e.user(t, "insp1", auth.Inspector, 0, "")
	e.users.Alert = e.outbox
	// The login edge tells the outbox when a name starts to need a captcha.
	for i := 0; i < auth.CaptchaAfter; i++ {
		if _, err := e.users.Login(ctx, auth.Attempt{Username: "insp1", Password: "wrong password", Client: "10.0.0.7", CaptchaOK: true}); err == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	var got []struct {
		Recipient string `db:"recipient"`
		Channel   string `db:"channel"`
		Body      string `db:"body"`
	}
	if err := e.outbox.DB.SelectContext(ctx, &got, `SELECT recipient, channel, body FROM outbox WHERE rule = ?`, notify.RuleAdminLogin); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Channel != notify.ChannelEmail || !strings.Contains(got[0].Body, "账号：insp1") || strings.Contains(got[0].Body, "10.0.0.7") {
		t.Fatalf("%+v", got)
	}
	// The same kind for the same account within the hour is not told again;
	// the next hour it is.
	ev := auth.Event{Kind: auth.EventCaptchaRequired, At: e.clk.now(), Username: "insp1", Failures: auth.CaptchaAfter}
	e.outbox.SecurityEvent(ctx, ev)
	if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE rule = ?`, notify.RuleAdminLogin); n != 1 {
		t.Fatalf("%d alerts within the hour", n)
	}
	e.clk.add(time.Hour)
	ev.At = e.clk.now()
	e.outbox.SecurityEvent(ctx, ev)
	if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE rule = ?`, notify.RuleAdminLogin); n != 2 {
		t.Fatalf("%d alerts after the next hour", n)
	}
}

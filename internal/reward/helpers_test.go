package reward_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
	"ecoreport/internal/secret"
)

var ctx = context.Background()

// clock is a settable, goroutine-safe clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is one test's database, services and staff.
type env struct {
	t        *testing.T
	db       *db.DB
	ledger   *ledger.Service
	rewards  *reward.Service
	clk      *clock
	officer  ledger.Actor // reward_officer
	approver ledger.Actor // reward_approver
	second   ledger.Actor // another reward_approver
	finance  ledger.Actor
	admin    ledger.Actor
	inspect  ledger.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, dbtest.MustOpenDB(t))
}

// newEnvOn is newEnv on a database the test opened (the first node's
// handle of dbtest.MustOpenNodes).
func newEnvOn(t *testing.T, d *db.DB) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)} // 14:00 in Shiquan
	l, r := servicesOn(t, d, clk)
	e := &env{t: t, db: d, ledger: l, rewards: r, clk: clk}
	e.officer = e.user("officer1", "reward_officer")
	e.approver = e.user("approver1", "reward_approver")
	e.second = e.user("approver2", "reward_approver")
	e.finance = e.user("finance1", "finance")
	e.admin = e.user("admin1", "admin")
	e.inspect = e.user("inspector1", "inspector")
	return e
}

// servicesOn wires a ledger and a reward service on d, as one instance of
// ecoreport does on its database handle.
func servicesOn(t *testing.T, d *db.DB, clk *clock) (*ledger.Service, *reward.Service) {
	t.Helper()
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewService(d, keys)
	l.Now = clk.now
	r := reward.NewService(d, keys, l)
	r.Now = clk.now
	l.OnVerified = append(l.OnVerified, r.Hook())
	return l, r
}

func (e *env) user(name, role string) ledger.Actor {
	e.t.Helper()
	now := db.UTC(e.clk.now())
	res, err := e.db.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, 'x', 1, ?, ?)`,
		name, name, role, now, now)
	if err != nil {
		e.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return ledger.Actor{UserID: id, Name: name}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// complaint describes one complaint of a test case.
type complaint struct {
	channel ledger.Channel
	wants   bool
	by      ledger.Actor // zero: the resident
	ago     time.Duration
}

func resident(wants bool, ago time.Duration) complaint {
	return complaint{channel: ledger.ChannelWeb, wants: wants, by: ledger.Resident, ago: ago}
}

// verifiedCase files the complaints, accepts them into one case (of source
// when not complaint), verifies the case as result and returns the case id
// and the tracking codes in the order given.
func (e *env) verifiedCase(source ledger.CaseSource, result ledger.Verification, cs ...complaint) (int64, []ledger.Filed) {
	e.t.Helper()
	var caseID int64
	var err error
	if source != ledger.SourceComplaint {
		if caseID, err = e.ledger.OpenCase(ctx, ledger.NewCase{Source: source, Title: "督查发现某砂石厂扬尘"}, e.inspect); err != nil {
			e.t.Fatal(err)
		}
	}
	var filed []ledger.Filed
	for i, c := range cs {
		by := c.by
		if by.Name == "" {
			by = ledger.Resident
		}
		f, err := e.ledger.File(ctx, ledger.NewComplaint{
			Channel: c.channel, Categories: ledger.Categories{ledger.Air}, Address: "城关镇汉江大道107号", Subject: "某砂石厂",
			Description: fmt.Sprintf("每天夜里机器轰鸣，粉尘很大，严重影响休息。%d", i), Identity: ledger.Anonymous,
			WantsReward: c.wants, ReceivedAt: e.clk.now().Add(-c.ago),
		}, by)
		if err != nil {
			e.t.Fatal(err)
		}
		id, err := e.ledger.Accept(ctx, f.Complaint.ID, caseID, e.inspect, ledger.EventInput{})
		if err != nil {
			e.t.Fatal(err)
		}
		caseID = id
		filed = append(filed, f)
	}
	if err := e.ledger.StartVerification(ctx, caseID, e.inspect, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.RecordVerification(ctx, caseID, result, "经查属实，已责令整改。", e.inspect, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	return caseID, filed
}

// eligible creates a verified case with one reporter who wants a reward and
// returns the reward and the tracking code.
func (e *env) eligible() (*reward.Reward, string) {
	e.t.Helper()
	caseID, filed := e.verifiedCase(ledger.SourceComplaint, ledger.Substantiated, resident(true, time.Hour))
	return e.rewardOfCase(caseID), filed[0].TrackingCode
}

func (e *env) rewardOfCase(caseID int64) *reward.Reward {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM rewards WHERE case_id = ?`, caseID); err != nil {
		e.t.Fatalf("reward of case %d: %v", caseID, err)
	}
	return e.get(id)
}

func (e *env) get(id int64) *reward.Reward {
	e.t.Helper()
	r, err := e.rewards.Get(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) budget(year int) *reward.Budget {
	e.t.Helper()
	b, err := e.rewards.Budget(ctx, year)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if apperr.Code(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func goodClaim() reward.ClaimInput {
	return reward.ClaimInput{RealName: "张三", IDNumber: "61090220000229456x", Phone: "138 1234 5678", Method: reward.Bank,
		BankName: "中国农业银行石泉县支行", BankAccount: "6228 4801 2345 6789 012"}
}

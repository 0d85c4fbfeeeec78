// Package demo fills an empty ledger with a realistic month of Shiquan
// County (石泉县): complaints from every channel in every state, cases with
// rectification notices, overdue and closed ones, an inspection task with
// findings, interviews and referrals, and an account for every role, the
// administrator included. Everything
// goes through the real services with a clock that walks through the month,
// so every timeline event and audit entry is what the system itself writes.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db"
	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

// Deps is what Fill needs.
type Deps struct {
	DB     *db.DB          // Ledger.DB when nil
	Ledger *ledger.Service // required; its clock is not changed (Fill works on a copy)
	Users  *auth.Store     // auth.NewStore(DB) when nil
	// Now is the end of the demo month ("today"); Ledger.Now when nil.
	Now func() time.Time
	// Setup, when set, hangs the verification hooks (the reward workflow)
	// on Fill's copy of the ledger, with the demo clock: the copy then
	// starts without Ledger's own OnVerified hooks, whose clocks would not
	// walk through the month. Without Setup the copy keeps them.
	Setup func(l *ledger.Service, now func() time.Time)
}

// Account is a demo staff account and its password (shown once).
type Account struct {
	Username    string
	DisplayName string
	Role        auth.Role
	Unit        string // for role unit
	Password    string // empty for an administrator that was already there
	// Existing is set for the administrator found in the database (the one
	// serve creates on its first start): Fill leaves it and its password alone.
	Existing bool
}

// Accounts are the accounts Fill created.
type Accounts []Account

// ErrNotEmpty is returned when the database already holds data.
var ErrNotEmpty = &apperr.Error{Code: apperr.ECONFLICT,
	Message: "数据库中已有数据（举报、问题、督查记录或管理员以外的账号），演示数据只能填入新建的空数据库，未做任何改动"}

// Empty reports whether the database holds no ledger data and no account
// but (at most) one admin: the only state Fill will touch.
func Empty(ctx context.Context, d *db.DB) (bool, error) {
	for _, q := range []string{`SELECT COUNT(*) FROM complaints`, `SELECT COUNT(*) FROM cases`,
		`SELECT COUNT(*) FROM inspection_tasks`, `SELECT COUNT(*) FROM interviews`, `SELECT COUNT(*) FROM referrals`,
		`SELECT COUNT(*) FROM users WHERE role <> 'admin'`} {
		var n int
		if err := d.GetContext(ctx, &n, q); err != nil {
			return false, db.Classify(fmt.Errorf("demo: %s: %w", q, err))
		}
		if n > 0 {
			return false, nil
		}
	}
	var admins int
	if err := d.GetContext(ctx, &admins, `SELECT COUNT(*) FROM users`); err != nil {
		return false, db.Classify(fmt.Errorf("demo: count users: %w", err))
	}
	return admins <= 1, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type act struct {
	at time.Time
	fn func(ctx context.Context) error
	do string
}

// filler holds the month being written.
type filler struct {
	l       *ledger.Service
	insp    *inspection.Service
	users   *auth.Store
	clk     *clock
	r       *rand.Rand
	loc     *time.Location
	start   time.Time // first day of the month, 00:00 local
	end     time.Time // "now"
	acts    []act
	towns   []ledger.Unit
	staff   map[string]ledger.Actor
	seq     int
	tickets int
}

// Fill writes the demo month into an empty database and returns its
// accounts with their passwords: an administrator (created, or the one the
// database already had, marked Existing) and the staff. ECONFLICT (ErrNotEmpty) when the
// database holds complaints, cases, inspection records or accounts beyond a
// first admin; nothing is written then.
func Fill(ctx context.Context, d Deps) (Accounts, error) {
	if d.Ledger == nil {
		return nil, fmt.Errorf("demo: no ledger service")
	}
	if d.DB == nil {
		d.DB = d.Ledger.DB
	}
	if d.Users == nil {
		d.Users = auth.NewStore(d.DB)
	}
	if d.Now == nil {
		d.Now = d.Ledger.Now
	}
	ok, err := Empty(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotEmpty
	}
	f := &filler{clk: &clock{}, r: rand.New(rand.NewPCG(2026, 39)), staff: map[string]ledger.Actor{}}
	l := *d.Ledger // a copy on the demo clock
	l.Now = f.clk.now
	l.DB = d.DB
	if d.Setup != nil {
		l.OnVerified = nil
		d.Setup(&l, f.clk.now)
	}
	f.l, f.loc = &l, l.Location
	f.insp = inspection.NewService(f.l)
	users := *d.Users
	users.Now = f.clk.now
	f.users = &users
	f.end = db.UTC(d.Now())
	e := f.end.In(f.loc)
	f.start = time.Date(e.Year(), e.Month(), e.Day()-30, 0, 0, 0, 0, f.loc)
	if f.towns, err = f.l.Towns(ctx); err != nil {
		return nil, err
	}
	f.clk.t = f.start.Add(-48 * time.Hour)
	accounts, err := f.accounts(ctx)
	if err != nil {
		return nil, err
	}
	f.script()
	sort.SliceStable(f.acts, func(i, j int) bool { return f.acts[i].at.Before(f.acts[j].at) })
	for _, a := range f.acts {
		f.clk.t = db.UTC(a.at)
		if err := a.fn(ctx); err != nil {
			return accounts, fmt.Errorf("demo: %s (%s): %w", a.do, a.at.In(f.loc).Format("2006-01-02 15:04"), err)
		}
	}
	return accounts, nil
}

// demoAdmin is the administrator Fill creates when the database has none.
var demoAdmin = struct{ username, name string }{"admin", "系统管理员"}

// demoStaff are the other accounts of the demo, one or more per role.
var demoStaff = []struct {
	username, name string
	role           auth.Role
	unit           int64
}{
	{"wangjianguo", "王建国", auth.Inspector, 0},
	{"lifang", "李芳", auth.Inspector, 0},
	{"zhaomin", "赵敏", auth.Operator, 0},
	{"liuqiang", "刘强", auth.Leader, 0},
	{"chengguan", "城关镇环保办", auth.UnitUser, 1},
	{"chihe", "池河镇环保办", auth.UnitUser, 5},
	{"zhujian", "住建局", auth.UnitUser, 23},
	{"sunli", "孙丽", auth.RewardOfficer, 0},
	{"zhoujun", "周军", auth.RewardApprover, 0},
	{"wuxia", "吴霞", auth.Finance, 0},
}

// existingAdmin is the username of the one administrator an empty database
// may hold, or "" when it has none.
const existingAdmin = `SELECT username FROM users WHERE role = 'admin'`

// accounts creates the demo's accounts: the administrator first (unless the
// database already has one, which is listed and left as it is), then the
// staff of every other role.
func (f *filler) accounts(ctx context.Context) (Accounts, error) {
	names := map[int64]string{}
	us, err := f.l.Units(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		names[u.ID] = u.Name
	}
	var out Accounts
	var admins []string
	if err := f.l.DB.SelectContext(ctx, &admins, existingAdmin); err != nil {
		return nil, db.Classify(fmt.Errorf("demo: find the administrator: %w", err))
	}
	if len(admins) > 0 {
		out = append(out, Account{Username: admins[0], Role: auth.Admin, Existing: true})
	} else {
		pw, err := f.users.Create(ctx, auth.NewUser{Username: demoAdmin.username, DisplayName: demoAdmin.name, Role: auth.Admin}, "demo")
		if err != nil {
			return nil, fmt.Errorf("demo: account %s: %w", demoAdmin.username, err)
		}
		out = append(out, Account{Username: demoAdmin.username, DisplayName: demoAdmin.name, Role: auth.Admin, Password: pw})
	}
	for _, s := range demoStaff {
		pw, err := f.users.Create(ctx, auth.NewUser{Username: s.username, DisplayName: s.name, Role: s.role, UnitID: s.unit}, "demo")
		if err != nil {
			return out, fmt.Errorf("demo: account %s: %w", s.username, err)
		}
		u, err := f.users.ByUsername(ctx, s.username)
		if err != nil {
			return out, err
		}
		f.staff[s.username] = ledger.Actor{UserID: u.ID, Name: u.Username}
		out = append(out, Account{Username: s.username, DisplayName: s.name, Role: s.role, Unit: names[s.unit], Password: pw})
	}
	return out, nil
}

// at schedules fn at t (clamped into the month, before now).
func (f *filler) at(t time.Time, what string, fn func(ctx context.Context) error) {
	if t.After(f.end.Add(-time.Minute)) {
		t = f.end.Add(-time.Minute)
	}
	f.acts = append(f.acts, act{at: t, fn: fn, do: what})
}

// day returns a time on the day daysAgo before today, at a random working
// hour (08:30–17:30).
func (f *filler) day(daysAgo int) time.Time {
	e := f.end.In(f.loc)
	d := time.Date(e.Year(), e.Month(), e.Day()-daysAgo, 8, 30, 0, 0, f.loc)
	return d.Add(time.Duration(f.r.IntN(9*60)) * time.Minute)
}

// anyHour is like day but at any hour a resident might write (07:00–23:00).
func (f *filler) anyHour(daysAgo int) time.Time {
	e := f.end.In(f.loc)
	d := time.Date(e.Year(), e.Month(), e.Day()-daysAgo, 7, 0, 0, 0, f.loc)
	return d.Add(time.Duration(f.r.IntN(16*60)) * time.Minute)
}

// steps returns n increasing working-hour times after from, the last at
// least one day before today: the staff's actions on a complaint.
func (f *filler) steps(from time.Time, n int) []time.Time {
	e := f.end.In(f.loc)
	today := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, f.loc)
	first := from.In(f.loc)
	firstDay := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, f.loc)
	avail := int(today.Sub(firstDay).Hours()/24) - 1 // whole days between, excluding today
	avail = max(avail, 1)
	offs := make([]int, n)
	for i := range offs {
		offs[i] = 1 + f.r.IntN(avail)
	}
	sort.Ints(offs)
	out := make([]time.Time, n)
	prev := from
	for i, o := range offs {
		t := firstDay.AddDate(0, 0, o).Add(8*time.Hour + 30*time.Minute + time.Duration(f.r.IntN(8*60))*time.Minute)
		if !t.After(prev) {
			t = prev.Add(time.Duration(20+f.r.IntN(60)) * time.Minute)
		}
		out[i], prev = t, t
	}
	return out
}

func (f *filler) inspector() ledger.Actor {
	if f.r.IntN(2) == 0 {
		return f.staff["wangjianguo"]
	}
	return f.staff["lifang"]
}

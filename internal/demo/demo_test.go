package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/demo"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

var ctx = context.Background()

func TestFill(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	l := ledger.NewService(d, keys)
	l.Now = func() time.Time { return now }
	users := auth.NewStore(d)
	// A first admin may exist.
	if _, err := users.Create(ctx, auth.NewUser{Username: "admin", Role: auth.Admin, Password: "a long admin password"}, "test"); err != nil {
		t.Fatal(err)
	}
	hooked, verified := 0, 0
	l.OnVerified = append(l.OnVerified, func(context.Context, *sqlx.Tx, *ledger.Case, ledger.Verification, ledger.Actor) error {
		t.Error("the caller's hook ran: Setup replaces it")
		return nil
	})
	start := time.Now()
	accts, err := demo.Fill(ctx, demo.Deps{Ledger: l, Users: users, Setup: func(dl *ledger.Service, clock func() time.Time) {
		hooked++
		dl.OnVerified = append(dl.OnVerified, func(_ context.Context, _ *sqlx.Tx, _ *ledger.Case, _ ledger.Verification, _ ledger.Actor) error {
			if !clock().Before(now) {
				t.Error("the demo clock is not in the past")
			}
			verified++
			return nil
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("filled in %s", time.Since(start))
	if hooked != 1 || verified == 0 {
		t.Fatalf("Setup ran %d times, hook %d times", hooked, verified)
	}
	if l.Now() != now {
		t.Fatal("Fill changed the caller's clock")
	}
	roles := map[auth.Role]bool{}
	for _, a := range accts {
		roles[a.Role] = true
		if a.Existing {
			if a.Username != "admin" || a.Password != "" {
				t.Fatalf("the first admin is listed as %+v", a)
			}
			if _, err := users.Authenticate(ctx, "admin", "a long admin password"); err != nil {
				t.Fatalf("the first admin's password changed: %v", err)
			}
			continue
		}
		u, err := users.Authenticate(ctx, a.Username, a.Password)
		if err != nil || u.Role != a.Role {
			t.Fatalf("account %s: %v", a.Username, err)
		}
	}
	for _, r := range auth.Roles {
		if !roles[r] {
			t.Errorf("no account with role %s", r)
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := d.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM complaints`); n < 60 || n > 120 {
		t.Errorf("complaints = %d", n)
	}
	for _, ch := range ledger.Channels {
		if count(`SELECT COUNT(*) FROM complaints WHERE channel = ?`, ch) == 0 {
			t.Errorf("no complaint through %s", ch)
		}
	}
	if count(`SELECT COUNT(*) FROM complaints WHERE channel = 'hotline' AND (source_ref IS NULL OR source_ref = '')`) != 0 {
		t.Error("a hotline complaint without a ticket number")
	}
	for _, st := range []ledger.ComplaintStatus{ledger.Received, ledger.Refused, ledger.Accepted, ledger.Investigating,
		ledger.Rectifying, ledger.Concluded, ledger.ComplaintDone} {
		if count(`SELECT COUNT(*) FROM complaints WHERE status = ?`, st) == 0 {
			t.Errorf("no complaint %s", st)
		}
	}
	for _, st := range ledger.AllCaseStatuses {
		if count(`SELECT COUNT(*) FROM cases WHERE status = ?`, st) == 0 {
			t.Errorf("no case %s", st)
		}
	}
	for _, r := range ledger.RefuseReasons {
		if count(`SELECT COUNT(*) FROM complaints WHERE refuse_reason = ?`, r) == 0 {
			t.Errorf("no refusal for %s", r)
		}
	}
	checks := map[string]string{
		"overdue in the inbox":        `SELECT COUNT(*) FROM complaints WHERE status = 'received' AND decide_due_at < ?`,
		"overdue cases":               `SELECT COUNT(*) FROM cases WHERE status IN ('open','verifying','assigned','reopened') AND due_at < ?`,
		"notices past their deadline": `SELECT COUNT(*) FROM notices n JOIN cases c ON c.id = n.case_id WHERE c.status = 'assigned' AND n.deadline < ?`,
		"closed with a revisit date":  `SELECT COUNT(*) FROM cases WHERE status = 'closed' AND revisit_due_at > ?`,
	}
	for what, q := range checks {
		if count(q, now) == 0 {
			t.Errorf("no %s", what)
		}
	}
	for what, q := range map[string]string{
		"repeat complaints":         `SELECT COUNT(*) FROM (SELECT case_id FROM complaints WHERE case_id IS NOT NULL GROUP BY case_id HAVING COUNT(*) > 1) x`,
		"unit reports":              `SELECT COUNT(*) FROM events e JOIN users u ON u.id = e.actor_id WHERE e.kind = 'case.submitted' AND u.role = 'unit'`,
		"reopened after close":      `SELECT COUNT(*) FROM events WHERE kind = 'case.reopened' AND from_status = 'closed'`,
		"inspection cases":          `SELECT COUNT(*) FROM cases WHERE source = 'inspection'`,
		"superior cases":            `SELECT COUNT(*) FROM cases WHERE source = 'superior' AND source_detail <> ''`,
		"findings":                  `SELECT COUNT(*) FROM inspection_findings`,
		"interviews":                `SELECT COUNT(*) FROM interviews`,
		"interview reports":         `SELECT COUNT(*) FROM interviews WHERE report_received_on IS NOT NULL`,
		"referrals with an outcome": `SELECT COUNT(*) FROM referrals WHERE outcome <> ''`,
		"extensions":                `SELECT COUNT(*) FROM cases WHERE extended = 1`,
	} {
		if count(q) == 0 {
			t.Errorf("no %s", what)
		}
	}
	if n := count(`SELECT COUNT(*) FROM events WHERE created_at > ?`, now); n != 0 {
		t.Errorf("%d events in the future", n)
	}
	if n := count(`SELECT COUNT(*) FROM complaints WHERE received_at < ?`, now.Add(-31*24*time.Hour)); n > 3 {
		t.Errorf("%d complaints older than the month", n)
	}
	if err := audit.SealAll(ctx, d); err != nil {
		t.Fatal(err)
	}
	if r, err := audit.Verify(ctx, d); err != nil || r.BrokenAt != 0 || r.Sealed < 300 {
		t.Fatalf("audit chain: %+v %v", r, err)
	}

	t.Run("ErrNotEmpty", func(t *testing.T) {
		before := count(`SELECT COUNT(*) FROM audit_log`)
		_, err := demo.Fill(ctx, demo.Deps{Ledger: l, Users: users})
		if !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("second fill: %v", err)
		}
		var out, errOut strings.Builder
		if code := demo.Command(ctx, demo.Deps{Ledger: l, Users: users}, demo.Next{}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "只能填入新建的空数据库") {
			t.Fatalf("command on a full database: %d %q", code, errOut.String())
		}
		if count(`SELECT COUNT(*) FROM audit_log`) != before {
			t.Fatal("a refused fill wrote something")
		}
	})
}

func TestFillRefuses(t *testing.T) {
	keys, _ := secret.New(make([]byte, 32))
	tests := []struct {
		name  string
		setup func(l *ledger.Service, u *auth.Store) error
	}{
		{"ErrComplaint", func(l *ledger.Service, _ *auth.Store) error {
			_, err := l.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Description: "一条真实的举报内容，不能被覆盖。", Identity: ledger.Anonymous}, ledger.Resident)
			return err
		}},
		{"ErrCase", func(l *ledger.Service, _ *auth.Store) error {
			_, err := l.OpenCase(ctx, ledger.NewCase{Source: ledger.SourceLeader, Title: "领导交办"}, ledger.System)
			return err
		}},
		{"ErrStaffAccount", func(_ *ledger.Service, u *auth.Store) error {
			_, err := u.Create(ctx, auth.NewUser{Username: "inspector1", Role: auth.Inspector}, "test")
			return err
		}},
		{"ErrTwoAdmins", func(_ *ledger.Service, u *auth.Store) error {
			for _, n := range []string{"admin1", "admin2"} {
				if _, err := u.Create(ctx, auth.NewUser{Username: n, Role: auth.Admin}, "test"); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dbtest.MustOpenDB(t)
			l := ledger.NewService(d, keys)
			u := auth.NewStore(d)
			if err := tt.setup(l, u); err != nil {
				t.Fatal(err)
			}
			_, err := demo.Fill(ctx, demo.Deps{Ledger: l, Users: u})
			if !apperr.Is(err, apperr.ECONFLICT) {
				t.Fatalf("err = %v", err)
			}
			var n int
			d.Get(&n, `SELECT COUNT(*) FROM users WHERE username = 'wangjianguo'`)
			if n != 0 {
				t.Fatal("refused fill created accounts")
			}
		})
	}
}

func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a whole month")
	}
	d := dbtest.MustOpenDB(t)
	keys, _ := secret.New(make([]byte, 32))
	l := ledger.NewService(d, keys)
	var out, errOut strings.Builder
	next := demo.Next{Serve: "./ecoreport serve --db sqlite:x.db", Passwd: "./ecoreport user passwd", LoginURL: "http://127.0.0.1:8080/office/login", Portal: "http://127.0.0.1:8080/"}
	if code := demo.Command(ctx, demo.Deps{Ledger: l}, next, &out, &errOut); code != 0 {
		t.Fatalf("demo: %d %s", code, errOut.String())
	}
	for _, s := range []string{"举报件", "演示账号", "wangjianguo", "督查人员", "chengguan", "城关镇", "县领导",
		"系统管理员", next.Serve, next.LoginURL, next.Portal} {
		if !strings.Contains(out.String(), s) {
			t.Fatalf("output lacks %q:\n%s", s, out.String())
		}
	}
	t.Run("TheAdministratorLogsInWithThePrintedPassword", func(t *testing.T) {
		_, line, _ := strings.Cut(out.String(), "\n  admin ")
		line, _, _ = strings.Cut(line, "\n")
		f := strings.Fields(line)
		if len(f) == 0 {
			t.Fatalf("no admin line:\n%s", out.String())
		}
		if u, err := auth.NewStore(d).Authenticate(ctx, "admin", f[len(f)-1]); err != nil || u.Role != auth.Admin {
			t.Fatalf("admin with %q: %v", f[len(f)-1], err)
		}
	})
	if r, err := audit.Verify(ctx, d); err != nil || r.Unsealed != 0 || r.BrokenAt != 0 {
		t.Fatalf("audit after demo: %+v %v", r, err)
	}
	t.Log(out.String())
}

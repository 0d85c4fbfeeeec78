package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/secret"
)

// alerts records what auth.Alert is told.
type alerts struct {
	mu     sync.Mutex
	events []auth.Event
}

func (a *alerts) SecurityEvent(_ context.Context, e auth.Event) {
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
}

func (a *alerts) kinds() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int{}
	for _, e := range a.events {
		out[e.Kind+" "+e.Username]++
	}
	return out
}

type loginEnv struct {
	s      *auth.Store
	alerts *alerts
	mu     sync.Mutex
	now    time.Time
	pw     string
}

func (e *loginEnv) clock() time.Time    { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
func (e *loginEnv) add(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

func (e *loginEnv) audited(action string) int {
	var n int
	e.s.DB.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
	return n
}

// newLoginEnv has an admin and an operator with the same password.
func newLoginEnv(t *testing.T) *loginEnv {
	t.Helper()
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &loginEnv{alerts: &alerts{}, now: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC), pw: "correct horse battery"}
	e.s = auth.NewStore(dbtest.MustOpenDB(t))
	e.s.Now, e.s.Keys, e.s.Alert = e.clock, keys, e.alerts
	for _, u := range []auth.NewUser{{Username: "admin", Role: auth.Admin}, {Username: "op1", Role: auth.Operator}} {
		u.Password = e.pw
		if _, err := e.s.Create(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *loginEnv) login(name, pw, client string, captcha bool) error {
	_, err := e.s.Login(ctx, auth.Attempt{Username: name, Password: pw, Client: client, CaptchaOK: captcha})
	return err
}

// TestLoginOneMessageForEveryFailure: an unknown name, a wrong password
// and a disabled account get the same answer, and each is audited.
func TestLoginOneMessageForEveryFailure(t *testing.T) {
	e := newLoginEnv(t)
	if err := e.s.Disable(ctx, "op1", "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, user, pw string }{
		{"ErrUnknownName", "nobody", e.pw},
		{"ErrWrongPassword", "admin", "wrong password"},
		{"ErrDisabled", "op1", e.pw},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.login(tt.user, tt.pw, fmt.Sprintf("198.51.100.%d", i), false)
			if err != auth.ErrBadLogin || apperr.Message(err) != "用户名或密码错误" {
				t.Fatalf("%v", err)
			}
		})
	}
	if n := e.audited("user.login_failed"); n != len(tests) {
		t.Fatalf("%d failed logins audited", n)
	}
	var leaked int
	e.s.DB.Get(&leaked, `SELECT COUNT(*) FROM audit_log WHERE actor = 'nobody' OR detail LIKE '%nobody%' OR detail LIKE '%198.51.100%'`)
	if leaked != 0 {
		t.Fatal("the audit log holds a typed name without an account, or a client address")
	}
	if err := e.login("admin", e.pw, "198.51.100.9", false); err != nil {
		t.Fatalf("right password: %v", err)
	}
}

// TestParallelWrongPasswordsAreCountedBeforeHashing is the attack of issue
// 20 item 1: 20 wrong passwords for one account at once. Each is counted
// before its hash, so only CaptchaAfter are checked; the others are told
// to solve a captcha and cost no hash. From one client and from 20.
func TestParallelWrongPasswordsAreCountedBeforeHashing(t *testing.T) {
	for _, clients := range []int{1, 20} {
		t.Run(fmt.Sprintf("From%dClients", clients), func(t *testing.T) {
			e := newLoginEnv(t)
			const n = 20
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = e.login("op1", "wrong password", fmt.Sprintf("203.0.113.%d", i%clients), false)
				}()
			}
			wg.Wait()
			var bad, captcha int
			for _, err := range errs {
				switch {
				case err == auth.ErrBadLogin:
					bad++
				case errors.Is(err, auth.ErrCaptchaRequired):
					captcha++
				default:
					t.Fatalf("unexpected: %v", err)
				}
			}
			if bad != auth.CaptchaAfter || captcha != n-auth.CaptchaAfter {
				t.Fatalf("%d passwords checked, %d sent to the captcha", bad, captcha)
			}
			if err := e.login("op1", e.pw, "192.0.2.1", false); !errors.Is(err, auth.ErrCaptchaRequired) {
				t.Fatalf("right password without captcha: %v", err)
			}
			if err := e.login("op1", e.pw, "192.0.2.1", true); err != nil {
				t.Fatalf("right password with the captcha: %v", err)
			}
			if err := e.login("op1", e.pw, "192.0.2.1", false); err != nil {
				t.Fatalf("after a success the count starts again: %v", err)
			}
		})
	}
}

// TestNobodyCanLockTheAdmin: thirty wrong passwords for admin from
// many clients never keep admin out: with the captcha the right password
// opens, at once.
func TestNobodyCanLockTheAdmin(t *testing.T) {
	e := newLoginEnv(t)
	for i := 0; i < 30; i++ {
		e.login("admin", fmt.Sprintf("guess %d", i), fmt.Sprintf("203.0.%d.%d", i/250, i%250), true)
	}
	if err := e.login("admin", e.pw, "192.0.2.1", true); err != nil {
		t.Fatalf("admin kept out: %v", err)
	}
	if got := e.alerts.kinds(); got[auth.EventCaptchaRequired+" admin"] != 1 {
		t.Fatalf("alerts %v", got)
	}
	if n := e.audited(auth.EventCaptchaRequired); n != 1 {
		t.Fatalf("%d captcha starts audited", n)
	}
}

// TestUnknownNamesLookLikeAccounts: a name without an account needs the
// captcha after the same number of failures as an account's, so the
// answers do not tell which names exist; nobody is alerted for it.
func TestUnknownNamesLookLikeAccounts(t *testing.T) {
	e := newLoginEnv(t)
	for _, name := range []string{"admin", "ghost"} {
		for i := 0; i < auth.CaptchaAfter; i++ {
			if err := e.login(name, "wrong password", "192.0.2.1", false); err != auth.ErrBadLogin {
				t.Fatalf("%s attempt %d: %v", name, i, err)
			}
		}
		if err := e.login(name, "wrong password", "192.0.2.1", false); !errors.Is(err, auth.ErrCaptchaRequired) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := e.alerts.kinds(); len(got) != 1 || got[auth.EventCaptchaRequired+" admin"] != 1 {
		t.Fatalf("alerts %v", got)
	}
}

// TestClientWaitsLonger: one client guessing across names gets ClientFree
// failures free, then must wait 1 s, 2 s, 4 s … (429 with Retry-After); the
// wait is over when the clock says so, and a success clears it.
func TestClientWaitsLonger(t *testing.T) {
	e := newLoginEnv(t)
	const client = "203.0.113.50"
	for i := 0; i < auth.ClientFree; i++ {
		if err := e.login(fmt.Sprintf("name%d", i), "x", client, false); err != auth.ErrBadLogin {
			t.Fatalf("free failure %d: %v", i, err)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if err := e.login(fmt.Sprintf("other%d", i), "x", client, false); err != auth.ErrBadLogin {
			t.Fatalf("failure after the wait: %v", err)
		}
		err := e.login("admin", e.pw, client, false)
		if apperr.Code(err) != apperr.ERATELIMIT || apperr.RetryAfter(err) != want {
			t.Fatalf("wait %d: %v (retry after %v), want %v", i, err, apperr.RetryAfter(err), want)
		}
		e.add(want)
	}
	if err := e.login("admin", e.pw, "203.0.113.51", false); err != nil {
		t.Fatalf("another client is not held up: %v", err)
	}
	if got := e.alerts.kinds(); got[auth.EventClientThrottled+" "] != 1 {
		t.Fatalf("alerts %v", got)
	}
	if err := e.login("admin", e.pw, client, false); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if err := e.login("nameX", "x", client, false); err != auth.ErrBadLogin {
		t.Fatalf("a success clears the client's count: %v", err)
	}
	if err := e.login("nameY", "x", client, false); err != auth.ErrBadLogin {
		t.Fatalf("a success clears the client's count: %v", err)
	}
}

// TestParallelGuessesFromOneClient: 30 guesses at once from one client
// across names: ClientFree+1 are checked, the others wait.
func TestParallelGuessesFromOneClient(t *testing.T) {
	e := newLoginEnv(t)
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.login(fmt.Sprintf("name%d", i), "x", "203.0.113.7", false) }()
	}
	wg.Wait()
	var bad, wait int
	for _, err := range errs {
		switch {
		case err == auth.ErrBadLogin:
			bad++
		case apperr.Code(err) == apperr.ERATELIMIT:
			wait++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if bad != auth.ClientFree+1 || wait != n-bad {
		t.Fatalf("%d checked, %d told to wait", bad, wait)
	}
}

// TestFailuresAreForgotten: a day without failures and the name no longer
// needs the captcha; the purge then removes the row.
func TestFailuresAreForgotten(t *testing.T) {
	e := newLoginEnv(t)
	for i := 0; i < auth.CaptchaAfter; i++ {
		e.login("op1", "wrong password", "", false)
	}
	if err := e.login("op1", e.pw, "", false); !errors.Is(err, auth.ErrCaptchaRequired) {
		t.Fatalf("%v", err)
	}
	e.add(auth.FailureWindow + time.Second)
	if n, err := e.s.PurgeLoginFailures(ctx); err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if err := e.login("op1", e.pw, "", false); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

// TestReauthWaitsLonger: a logged-in user re-entering a wrong password
// (password change, second factor off) waits longer after ReauthFree; the
// key is the user's, so a stranger's failed logins do not slow it down.
func TestReauthWaitsLonger(t *testing.T) {
	e := newLoginEnv(t)
	for i := 0; i < 10; i++ {
		e.login("op1", "wrong password", "203.0.113.9", true)
	}
	if _, err := e.s.Authenticate(ctx, "op1", e.pw); err != nil {
		t.Fatalf("stranger's failures slowed the user: %v", err)
	}
	for i := 0; i < auth.ReauthFree+1; i++ {
		if _, err := e.s.Authenticate(ctx, "op1", "wrong password"); err != auth.ErrBadLogin {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if _, err := e.s.Authenticate(ctx, "op1", e.pw); apperr.Code(err) != apperr.ERATELIMIT {
		t.Fatalf("no wait: %v", err)
	}
	e.add(time.Second)
	if _, err := e.s.Authenticate(ctx, "op1", e.pw); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if got := e.alerts.kinds(); got[auth.EventReauthThrottled+" op1"] != 1 {
		t.Fatalf("alerts %v", got)
	}
}

package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/secret"
)

type totpEnv struct {
	t    *testing.T
	s    *auth.Store
	f    *auth.TOTP
	now  time.Time
	mu   sync.Mutex
	pw   string
	user *auth.User
}

func (e *totpEnv) clock() time.Time    { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
func (e *totpEnv) add(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

func (e *totpEnv) code(secret string) string {
	c, err := totp.GenerateCodeCustom(secret, e.clock(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func wrong(right string) string {
	if right == "123456" {
		return "654321"
	}
	return "123456"
}

func (e *totpEnv) reload() *auth.User {
	u, err := e.s.ByID(ctx, e.user.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// newTOTPEnv has one inspector, and a second user to whom a sealed secret
// must not move.
func newTOTPEnv(t *testing.T) *totpEnv {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &totpEnv{t: t, now: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC), pw: "correct horse battery"}
	e.s = auth.NewStore(d)
	e.s.Now = e.clock
	e.f = &auth.TOTP{Users: e.s, Keys: keys}
	for _, name := range []string{"insp", "other"} {
		if _, err := e.s.Create(ctx, auth.NewUser{Username: name, Role: auth.Inspector, Password: e.pw}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	e.user, _ = e.s.ByUsername(ctx, "insp")
	return e
}

// enrol turns TOTP on for the inspector and returns the secret; the step
// of the enrolment's code is then used up, so the clock moves on.
func (e *totpEnv) enrol() string {
	e.t.Helper()
	en, err := e.f.NewEnrolment(e.user)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.f.Enable(ctx, e.user, en.Sealed, e.code(en.Secret)); err != nil {
		e.t.Fatal(err)
	}
	e.user = e.reload()
	e.add(31 * time.Second)
	return en.Secret
}

func TestTOTPEnable(t *testing.T) {
	e := newTOTPEnv(t)
	other, _ := e.s.ByUsername(ctx, "other")
	en, err := e.f.NewEnrolment(e.user)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := e.f.NewEnrolment(other)
	tests := []struct {
		name   string
		sealed string
		code   func() string
		want   string
	}{
		{"ErrTampered", en.Sealed + "x", func() string { return e.code(en.Secret) }, apperr.EINVALID},
		{"ErrAnotherUsersSecret", theirs.Sealed, func() string { return e.code(theirs.Secret) }, apperr.EINVALID},
		{"ErrWrongCode", en.Sealed, func() string { return wrong(e.code(en.Secret)) }, apperr.EINVALID},
		{"OK", en.Sealed, func() string { return e.code(en.Secret) }, ""},
		{"ErrAlreadyOn", en.Sealed, func() string { return e.code(en.Secret) }, apperr.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.f.Enable(ctx, e.user, tt.sealed, tt.code())
			if apperr.Code(err) != tt.want || (tt.want == apperr.EINVALID && apperr.Fields(err)["code"] == "") {
				t.Fatalf("got %v", err)
			}
		})
	}
	var stored string
	e.s.DB.Get(&stored, `SELECT totp_secret FROM users WHERE id = ?`, e.user.ID)
	if stored == "" || stored == en.Secret {
		t.Fatalf("secret stored as %q", stored)
	}
}

func TestTOTPDisable(t *testing.T) {
	e := newTOTPEnv(t)
	e.enrol()
	tests := []struct {
		name, password, want, field string
	}{
		{"ErrEmpty", "", apperr.EINVALID, "password"},
		{"ErrWrongPassword", "not it at all", apperr.EINVALID, "password"},
		{"OK", e.pw, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.f.Disable(ctx, e.user, tt.password)
			if apperr.Code(err) != tt.want || (tt.field != "" && apperr.Fields(err)[tt.field] == "") {
				t.Fatalf("got %v", err)
			}
		})
	}
	if e.reload().TOTPSecret.Valid {
		t.Fatal("still on")
	}
}

func TestTOTPLogin(t *testing.T) {
	e := newTOTPEnv(t)
	secret := e.enrol()

	token, err := e.f.BeginLogin(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.CompleteLogin(ctx, token, wrong(e.code(secret))); !errors.Is(err, auth.ErrBadCode) || auth.ChallengeEnded(err) {
		t.Fatalf("wrong code: %v", err)
	}
	code := e.code(secret)
	if u, err := e.f.CompleteLogin(ctx, token, code); err != nil || u.ID != e.user.ID {
		t.Fatalf("right code: %v", err)
	}
	if _, err := e.f.CompleteLogin(ctx, token, code); !errors.Is(err, auth.ErrNoChallenge) {
		t.Fatalf("the challenge is used up: %v", err)
	}

	t.Run("ErrReplayedCode", func(t *testing.T) {
		token, _ := e.f.BeginLogin(ctx, e.user)
		if _, err := e.f.CompleteLogin(ctx, token, code); !errors.Is(err, auth.ErrBadCode) {
			t.Fatalf("replay: %v", err)
		}
		e.add(30 * time.Second)
		if _, err := e.f.CompleteLogin(ctx, token, e.code(secret)); err != nil {
			t.Fatalf("next step: %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		token, _ := e.f.BeginLogin(ctx, e.user)
		e.add(auth.ChallengeTTL + time.Second)
		if _, err := e.f.CompleteLogin(ctx, token, e.code(secret)); !errors.Is(err, auth.ErrNoChallenge) || !auth.ChallengeEnded(err) {
			t.Fatalf("expired: %v", err)
		}
	})
	t.Run("ErrAccountDisabledMeanwhile", func(t *testing.T) {
		token, _ := e.f.BeginLogin(ctx, e.user)
		if err := e.s.Disable(ctx, "insp", "admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.f.CompleteLogin(ctx, token, e.code(secret)); !errors.Is(err, auth.ErrLoginAgain) {
			t.Fatalf("disabled: %v", err)
		}
	})
}

// TestTOTPLockoutUnderParallelCodes is the attack of issue 20 item 10: 30
// wrong codes on one challenge at once, and a right one on a second:
// exactly MaxCodeAttempts are evaluated, the last of them locks the
// account, and every challenge of the user ends.
func TestTOTPLockoutUnderParallelCodes(t *testing.T) {
	e := newTOTPEnv(t)
	secret := e.enrol()
	token, _ := e.f.BeginLogin(ctx, e.user)
	other, _ := e.f.BeginLogin(ctx, e.user)
	bad := wrong(e.code(secret))
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = e.f.CompleteLogin(ctx, token, bad) }()
	}
	wg.Wait()
	var badCode, locked, ended int
	for _, err := range errs {
		switch {
		case errors.Is(err, auth.ErrBadCode):
			badCode++
		case errors.Is(err, auth.ErrCodeLocked):
			locked++
		case errors.Is(err, auth.ErrNoChallenge), errors.Is(err, auth.ErrLockedDuringCode):
			ended++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if badCode != auth.MaxCodeAttempts-1 || locked != 1 {
		t.Fatalf("%d wrong, %d locked, %d after the end", badCode, locked, ended)
	}
	if u := e.reload(); !u.LockedUntil.Valid || !u.LockedUntil.Time.After(e.clock()) {
		t.Fatal("not locked")
	}
	if _, err := e.f.CompleteLogin(ctx, other, e.code(secret)); err == nil {
		t.Fatal("the parallel challenge survived the lock")
	}
	if _, err := e.s.Login(ctx, auth.Attempt{Username: "insp", Password: e.pw}); !errors.Is(err, auth.ErrLocked) {
		t.Fatalf("the password is locked too: %v", err)
	}
}

// TestTOTPOneSessionPerChallenge sends the right code many times at once:
// one attempt opens the session, the others find the challenge used up.
func TestTOTPOneSessionPerChallenge(t *testing.T) {
	e := newTOTPEnv(t)
	secret := e.enrol()
	token, _ := e.f.BeginLogin(ctx, e.user)
	code := e.code(secret)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = e.f.CompleteLogin(ctx, token, code) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, auth.ErrNoChallenge) && !errors.Is(err, auth.ErrBadCode) {
			t.Fatalf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d sessions from one challenge", ok)
	}
}

// TestParallelLoginsStartTheirChallenges: sixteen people of one office
// whose passwords were right at the same moment each get a challenge (on
// MariaDB a purge in the same transaction made them deadlock), every one of
// them usable; expired ones are refused at once and purged later.
func TestParallelLoginsStartTheirChallenges(t *testing.T) {
	e := newTOTPEnv(t)
	e.enrol()
	for range 5 { // expired challenges in the table, as there are after a morning
		if _, err := e.f.BeginLogin(ctx, e.user); err != nil {
			t.Fatal(err)
		}
	}
	e.add(auth.ChallengeTTL + time.Second)
	var wg sync.WaitGroup
	tokens, errs := make([]string, 16), make([]error, 16)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], errs[i] = e.f.BeginLogin(ctx, e.user)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		if ch, err := e.f.Challenge(ctx, tokens[i]); err != nil || ch.UserID != e.user.ID {
			t.Fatalf("challenge %d: %v", i, err)
		}
	}
	if n, err := e.f.PurgeChallenges(ctx); err != nil || n != 5 {
		t.Fatalf("purged %d: %v", n, err)
	}
	e.add(auth.ChallengeTTL + time.Second)
	if _, err := e.f.Challenge(ctx, tokens[0]); !errors.Is(err, auth.ErrNoChallenge) {
		t.Fatalf("an expired challenge: %v", err)
	}
}

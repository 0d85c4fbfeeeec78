package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
)

func newAdminStore(t *testing.T, names ...string) (*auth.Store, []int64) {
	t.Helper()
	s := auth.NewStore(dbtest.MustOpenDB(t))
	var ids []int64
	for _, n := range names {
		if _, err := s.Create(ctx, auth.NewUser{Username: n, Role: auth.Admin, Password: "correct horse battery"}, "test"); err != nil {
			t.Fatal(err)
		}
		u, _ := s.ByUsername(ctx, n)
		ids = append(ids, u.ID)
	}
	return s, ids
}

func activeAdmins(t *testing.T, s *auth.Store) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = ?`, true); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTheLastAdminStays: two administrators disabling each other (or
// themselves, or demoting each other) at the same moment leave one.
func TestTheLastAdminStays(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(s *auth.Store, id int64) error
	}{
		{"ParallelDisables", func(s *auth.Store, id int64) error { return s.SetActive(ctx, id, false, "test") }},
		{"ParallelDemotions", func(s *auth.Store, id int64) error {
			return s.Update(ctx, id, auth.UserChange{Role: auth.Inspector}, "test")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 3 {
				s, ids := newAdminStore(t, "admin1", "admin2")
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, id := range ids {
					wg.Add(1)
					go func() { defer wg.Done(); errs[i] = tc.act(s, id) }()
				}
				wg.Wait()
				if n := activeAdmins(t, s); n != 1 {
					t.Fatalf("round %d: %d active admins left (%v)", round, n, errs)
				}
				ok, refused := 0, 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case errors.Is(err, auth.ErrLastAdmin):
						refused++
					default:
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if ok != 1 || refused != 1 {
					t.Fatalf("round %d: %v", round, errs)
				}
			}
		})
	}
	t.Run("ErrLastAdminAlone", func(t *testing.T) {
		s, ids := newAdminStore(t, "only")
		if err := s.SetActive(ctx, ids[0], false, "test"); !errors.Is(err, auth.ErrLastAdmin) {
			t.Fatalf("disable the only admin: %v", err)
		}
		if err := s.Disable(ctx, "only", "cli"); !errors.Is(err, auth.ErrLastAdmin) {
			t.Fatalf("disable the only admin from the command line: %v", err)
		}
		if err := s.Update(ctx, ids[0], auth.UserChange{Role: auth.Leader}, "test"); !errors.Is(err, auth.ErrLastAdmin) {
			t.Fatalf("demote the only admin: %v", err)
		}
	})
}

func TestUpdateEnableUnlockAndReset(t *testing.T) {
	s, ids := newAdminStore(t, "root")
	now := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	if _, err := s.Create(ctx, auth.NewUser{Username: "wang", Role: auth.Inspector, Password: "correct horse battery"}, "root"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.ByUsername(ctx, "wang")
	audited := func(action string) int {
		var n int
		s.DB.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND actor = 'root'`, action)
		return n
	}
	for _, tc := range []struct {
		name  string
		ch    auth.UserChange
		field string
	}{
		{"ErrRole", auth.UserChange{Role: "boss"}, "role"},
		{"ErrUnitMissing", auth.UserChange{Role: auth.UnitUser}, "unit"},
		{"ErrUnitForAnInspector", auth.UserChange{Role: auth.Inspector, UnitID: 1}, "unit"},
		{"ErrUnitUnknown", auth.UserChange{Role: auth.UnitUser, UnitID: 999}, "unit"},
		{"ErrNameTooLong", auth.UserChange{Role: auth.Inspector, DisplayName: string(make([]rune, 65))}, "display_name"},
		{"ErrNameControl", auth.UserChange{Role: auth.Inspector, DisplayName: "王\x00"}, "display_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(ctx, u.ID, tc.ch, "root"); !apperr.Is(err, apperr.EINVALID) || apperr.Fields(err)[tc.field] == "" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("OKRoleAndUnit", func(t *testing.T) {
		if err := s.Update(ctx, u.ID, auth.UserChange{DisplayName: "王建国", Role: auth.UnitUser, UnitID: 2}, "root"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ByID(ctx, u.ID)
		if got.Role != auth.UnitUser || got.UnitID.Int64 != 2 || got.DisplayName != "王建国" || audited("user.updated") != 1 {
			t.Fatalf("after update %+v", got)
		}
	})
	t.Run("DisableEnable", func(t *testing.T) {
		if err := s.SetActive(ctx, u.ID, false, "root"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetActive(ctx, u.ID, false, "root"); !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("disable twice: %v", err)
		}
		if _, err := s.Authenticate(ctx, "wang", "correct horse battery"); err != auth.ErrBadLogin {
			t.Fatalf("a disabled account logs in: %v", err)
		}
		if err := s.SetActive(ctx, u.ID, true, "root"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "wang", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Unlock", func(t *testing.T) {
		// Wrong passwords at the login form (the username now needs a
		// captcha), re-entered in a session (the next try waits), and a
		// lock after wrong second-factor codes.
		for range auth.CaptchaAfter {
			s.Login(ctx, auth.Attempt{Username: "wang", Password: "wrong password!", Client: "10.0.0.1"})
		}
		for range auth.ReauthFree + 1 {
			s.Authenticate(ctx, "wang", "wrong password!")
		}
		if _, err := s.DB.Exec(`UPDATE users SET locked_until = ? WHERE id = ?`, time.Now().Add(time.Hour).UTC(), u.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ByID(ctx, u.ID)
		st, err := s.LoginStateOf(ctx, got)
		if err != nil || !st.Held() || !st.Captcha || st.Failures != auth.CaptchaAfter || st.ReauthWait.IsZero() || st.TOTPLocked.IsZero() {
			t.Fatalf("before unlock %+v %v", st, err)
		}
		if _, err := s.Login(ctx, auth.Attempt{Username: "wang", Password: "correct horse battery", Client: "10.0.0.2"}); err != auth.ErrCaptchaRequired {
			t.Fatalf("login before unlock: %v", err)
		}
		if err := s.Unlock(ctx, u.ID, "root"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.ByID(ctx, u.ID)
		if st, err := s.LoginStateOf(ctx, got); err != nil || st.Held() {
			t.Fatalf("after unlock %+v %v", st, err)
		}
		if _, err := s.Login(ctx, auth.Attempt{Username: "wang", Password: "correct horse battery", Client: "10.0.0.2"}); err != nil {
			t.Fatalf("login after unlock, no captcha: %v", err)
		}
		if _, err := s.Authenticate(ctx, "wang", "correct horse battery"); err != nil {
			t.Fatalf("password re-entry after unlock: %v", err)
		}
		var n int
		s.DB.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.unlocked'`)
		if n != 1 {
			t.Fatalf("%d unlock entries", n)
		}
	})
	t.Run("ResetPassword", func(t *testing.T) {
		pw, err := s.ResetPassword(ctx, u.ID, "root")
		if err != nil || len(pw) < auth.MinPassword {
			t.Fatalf("reset: %q %v", pw, err)
		}
		if _, err := s.Authenticate(ctx, "wang", "correct horse battery"); err != auth.ErrBadLogin {
			t.Fatal("the old password still works")
		}
		if _, err := s.Authenticate(ctx, "wang", pw); err != nil {
			t.Fatal(err)
		}
		if audited("user.password_reset") != 1 {
			t.Fatal("not audited")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, err := range []error{s.Unlock(ctx, 999, "root"), s.SetActive(ctx, 999, false, "root"),
			s.Update(ctx, 999, auth.UserChange{Role: auth.Leader}, "root")} {
			if !apperr.Is(err, apperr.ENOTFOUND) {
				t.Fatalf("err = %v", err)
			}
		}
	})
	_ = ids
}

// TestRecoveryCodes: shown once, stored hashed, each good for one login;
// the same code raced by two logins opens one; an admin's reset takes
// the second factor and its codes away.
func TestRecoveryCodes(t *testing.T) {
	e := newTOTPEnv(t)
	e.enrol()
	codes, err := e.f.NewRecoveryCodes(ctx, e.user)
	if err != nil || len(codes) != auth.RecoveryCodes {
		t.Fatalf("codes %v %v", codes, err)
	}
	var stored []string
	if err := e.s.DB.Select(&stored, `SELECT code_mac FROM totp_recovery_codes WHERE user_id = ?`, e.user.ID); err != nil || len(stored) != auth.RecoveryCodes {
		t.Fatalf("stored %v %v", stored, err)
	}
	for _, m := range stored {
		for _, c := range codes {
			if m == c || len(m) != 64 {
				t.Fatalf("a code is stored as it is shown: %q", m)
			}
		}
	}
	login := func(code string) (*auth.User, error) {
		token, err := e.f.BeginLogin(ctx, e.user)
		if err != nil {
			t.Fatal(err)
		}
		return e.f.CompleteLoginWithRecovery(ctx, token, code)
	}
	if u, err := login(" " + codes[0][:3] + " " + codes[0][3:] + " "); err != nil || u.ID != e.user.ID { // as typed, spaced
		t.Fatalf("recovery login: %v", err)
	}
	if _, err := login(codes[0]); !errors.Is(err, auth.ErrBadCode) {
		t.Fatalf("a used code again: %v", err)
	}
	t.Run("ParallelUseOfOneCode", func(t *testing.T) {
		var wg sync.WaitGroup
		oks := make([]bool, 6)
		tokens := make([]string, len(oks)) // six logins half done, then the same code on each at once
		for i := range tokens {
			if tokens[i], err = e.f.BeginLogin(ctx, e.user); err != nil {
				t.Fatal(err)
			}
		}
		for i := range oks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.f.CompleteLoginWithRecovery(ctx, tokens[i], codes[1])
				oks[i] = err == nil
			}()
		}
		wg.Wait()
		n := 0
		for _, ok := range oks {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d logins with one code", n)
		}
		if left, _ := e.f.UnusedRecoveryCodes(ctx, e.user); left != auth.RecoveryCodes-2 {
			t.Fatalf("%d codes left", left)
		}
	})
	t.Run("AnotherUsersCodeIsWrong", func(t *testing.T) {
		other, _ := e.s.ByUsername(ctx, "other")
		if _, err := e.f.NewRecoveryCodes(ctx, other); !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("codes without a second factor: %v", err)
		}
	})
	t.Run("AdminReset", func(t *testing.T) {
		if err := e.f.Reset(ctx, e.user.ID, "root"); err != nil {
			t.Fatal(err)
		}
		if u := e.reload(); u.TOTPSecret.Valid {
			t.Fatal("the secret stayed")
		}
		if left, _ := e.f.UnusedRecoveryCodes(ctx, e.user); left != 0 {
			t.Fatalf("%d codes stayed", left)
		}
		if err := e.f.Reset(ctx, e.user.ID, "root"); !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("reset twice: %v", err)
		}
	})
}

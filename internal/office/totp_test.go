package office_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"ecoreport/internal/auth"
)

var (
	totpSecretRE = regexp.MustCompile(`<code>([A-Z2-7]+)</code>`)
	recoveryRE   = regexp.MustCompile(`<li><code>([2-9A-Z]{5}-[2-9A-Z]{5})</code></li>`)
	totpSealedRE = regexp.MustCompile(`name="sealed" value="([^"]+)"`)
)

func (e *env) code(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clk.now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func wrongCode(right string) string {
	if right == "123456" {
		return "654321"
	}
	return "123456"
}

// enrolTOTP turns TOTP on for username through the pages and returns the secret.
func (e *env) enrolTOTP(username string) string {
	e.t.Helper()
	c := e.session(username)
	w := c.get("/office/totp")
	mustContain(e.t, w, "<svg", "启用两步验证")
	sm, km := totpSecretRE.FindStringSubmatch(w.Body.String()), totpSealedRE.FindStringSubmatch(w.Body.String())
	if sm == nil || km == nil {
		e.t.Fatalf("enrol page:\n%s", w.Body)
	}
	secret, sealed := sm[1], html.UnescapeString(km[1])
	if w := c.post("/office/totp/enable", "sealed", sealed, "code", wrongCode(e.code(secret))); w.Code != http.StatusUnprocessableEntity {
		e.t.Fatalf("wrong code enabled: %d", w.Code)
	}
	w = c.post("/office/totp/enable", "sealed", sealed, "code", e.code(secret))
	if w.Code != http.StatusOK || len(recoveryRE.FindAllString(w.Body.String(), -1)) != auth.RecoveryCodes {
		e.t.Fatalf("enable: %d %s", w.Code, w.Body)
	}
	mustContain(e.t, w, "两步验证已启用", "只显示这一次")
	e.recovery = recoveryRE.FindAllStringSubmatch(w.Body.String(), -1)[0][1]
	if e.audited(username, "user.totp_enabled") != 1 {
		e.t.Fatal("enable not audited")
	}
	if e.count(`SELECT COUNT(*) FROM users WHERE username = ? AND totp_secret LIKE ?`, username, "%"+secret+"%") != 0 {
		e.t.Fatal("secret stored in clear")
	}
	mustContain(e.t, c.get("/office/totp"), "已启用")
	return secret
}

// passwordStep logs in with the password only; the code is still due.
func (e *env) passwordStep(username string) *client {
	e.t.Helper()
	c := e.client()
	c.get("/office/login")
	w := c.post("/office/login", "username", username, "password", password)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login/totp" {
		e.t.Fatalf("password step: %d %s", w.Code, w.Header().Get("Location"))
	}
	// No session yet: the password alone opens nothing.
	if w := c.get("/office/inbox"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
		e.t.Fatalf("inbox after the password only: %d", w.Code)
	}
	if w := c.get("/office/login/totp"); w.Code != http.StatusOK {
		e.t.Fatalf("code form: %d", w.Code)
	}
	return c
}

func TestTOTPLogin(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolTOTP("inspector")
	e.clk.add(31 * time.Second) // the enrolment used this step's code

	c := e.passwordStep("inspector")
	if w := c.post("/office/login/totp", "code", wrongCode(e.code(secret))); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", w.Code)
	}
	code := e.code(secret)
	w := c.post("/office/login/totp", "code", code)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/" {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
	if w := c.get("/office/inbox"); w.Code != http.StatusOK {
		t.Fatalf("inbox after the code: %d", w.Code)
	}
	if e.count(`SELECT COUNT(*) FROM login_challenges`) != 0 {
		t.Fatal("challenge kept after login")
	}

	// The same code does not open a second session (replay).
	c2 := e.passwordStep("inspector")
	if w := c2.post("/office/login/totp", "code", code); w.Code != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", w.Code)
	}
	e.clk.add(30 * time.Second)
	if w := c2.post("/office/login/totp", "code", e.code(secret)); w.Code != http.StatusSeeOther {
		t.Fatalf("next code: %d", w.Code)
	}

	// A challenge ends after five minutes.
	c3 := e.passwordStep("inspector")
	e.clk.add(6 * time.Minute)
	if w := c3.post("/office/login/totp", "code", e.code(secret)); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "验证已超时") {
		t.Fatalf("expired challenge: %d", w.Code)
	}
	// Without a challenge the code form sends people to the password.
	if w := e.client().get("/office/login/totp"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
		t.Fatalf("form without challenge: %d", w.Code)
	}
}

func TestTOTPLockout(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolTOTP("inspector")
	e.clk.add(31 * time.Second)
	c := e.passwordStep("inspector")
	other := e.passwordStep("inspector") // a second challenge in parallel
	for i := 1; i <= 5; i++ {
		w := c.post("/office/login/totp", "code", wrongCode(e.code(secret)))
		want := http.StatusUnauthorized
		if i == 5 {
			want = http.StatusForbidden
		}
		if w.Code != want {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	if e.count(`SELECT COUNT(*) FROM users WHERE username = 'inspector' AND locked_until IS NOT NULL`) != 1 || e.audited("inspector", "user.totp_locked") != 1 {
		t.Fatal("not locked")
	}
	// The parallel challenge died with the lock, and the password is locked too.
	if w := other.post("/office/login/totp", "code", e.code(secret)); w.Code == http.StatusSeeOther {
		t.Fatal("parallel challenge survived the lock")
	}
	c = e.client()
	c.get("/office/login")
	if w := c.post("/office/login", "username", "inspector", "password", password); w.Code != http.StatusForbidden {
		t.Fatalf("password while locked: %d", w.Code)
	}
}

func TestTOTPDisable(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP("leader")
	c := e.session("leader")
	if w := c.post("/office/totp/disable", "password", ""); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("no password: %d", w.Code)
	}
	if w := c.post("/office/totp/disable", "password", "wrong password"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "密码错误") {
		t.Fatalf("wrong password: %d", w.Code)
	}
	if e.count(`SELECT COUNT(*) FROM users WHERE username = 'leader' AND totp_secret IS NOT NULL`) != 1 {
		t.Fatal("disabled with a wrong password")
	}
	if w := c.post("/office/totp/disable", "password", password); w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if e.audited("leader", "user.totp_disabled") != 1 {
		t.Fatal("not audited")
	}
	e.login("leader") // straight to a session again
}

// TestTOTPSealedSecretIsBoundToItsUser: a sealed secret from one account's
// page cannot enable TOTP on another.
func TestTOTPSealedSecretIsBoundToItsUser(t *testing.T) {
	e := newEnv(t)
	w := e.session("leader").get("/office/totp")
	sm, km := totpSecretRE.FindStringSubmatch(w.Body.String()), totpSealedRE.FindStringSubmatch(w.Body.String())
	c := e.session("inspector")
	if w := c.post("/office/totp/enable", "sealed", html.UnescapeString(km[1]), "code", e.code(sm[1])); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("foreign secret: %d", w.Code)
	}
	if e.count(`SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL`) != 0 {
		t.Fatal("enabled with a foreign secret")
	}
}

// TestTOTPRecoveryCode: with the phone lost, a recovery code shown at
// enrolment opens one login; the same code again does not; new codes void
// the old ones.
func TestTOTPRecoveryCode(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP("inspector")
	code := e.recovery
	c := e.passwordStep("inspector")
	if w := c.post("/office/login/totp", "recovery", "ABCDE-FGHJK"); w.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong recovery code: %d", w.Code)
	}
	if w := c.post("/office/login/totp", "recovery", strings.ToLower(code)); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/" {
		t.Fatalf("recovery login: %d %s", w.Code, w.Body)
	}
	if e.audited("inspector", "user.recovery_code_used") != 1 {
		t.Fatal("not audited")
	}
	mustContain(t, c.get("/office/totp"), "还剩 <strong>9</strong> 个")
	again := e.passwordStep("inspector")
	if w := again.post("/office/login/totp", "recovery", code); w.Code != http.StatusUnauthorized {
		t.Fatalf("a used code again: %d", w.Code)
	}
	w := c.post("/office/totp/recovery")
	if w.Code != http.StatusOK || len(recoveryRE.FindAllString(w.Body.String(), -1)) != auth.RecoveryCodes {
		t.Fatalf("new codes: %d", w.Code)
	}
	mustContain(t, c.get("/office/totp"), "还剩 <strong>10</strong> 个")
}

// TestAdminResetsALostSecondFactor: the phone and the codes are lost; the
// inspector types wrong codes until the account locks. The administrator
// sees the lock, resets the second factor (which lifts it), and the
// inspector logs in with the password alone, then enrols again.
func TestAdminResetsALostSecondFactor(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolTOTP("inspector")
	c := e.passwordStep("inspector")
	for range auth.MaxCodeAttempts {
		c.post("/office/login/totp", "code", wrongCode(e.code(secret)))
	}
	locked := e.client()
	locked.get("/office/login")
	if w := locked.post("/office/login", "username", "inspector", "password", password); w.Code != http.StatusForbidden {
		t.Fatalf("the locked account's password: %d", w.Code)
	}
	admin := e.session("admin")
	page := "/office/admin/users/" + e.userID("inspector")
	mustContain(t, admin.get(page), "两步验证码连续输错，锁定至", "剩余恢复码 10 个", "/totp-reset")
	seeOther(t, admin.post(page+"/totp-reset"), "totp reset")
	if e.audited("admin", "user.totp_reset") != 1 || e.count(`SELECT COUNT(*) FROM totp_recovery_codes`) != 0 {
		t.Fatal("reset not audited, or the codes stayed")
	}
	w := admin.get(page)
	mustContain(t, w, "<dt>两步验证</dt><dd>未启用")
	mustNotContain(t, w, "锁定至", "/totp-reset")
	own := e.login("inspector")                               // the password alone, no code, no lock
	mustContain(t, own.get("/office/totp"), "<svg", "启用两步验证") // and may enrol again
}

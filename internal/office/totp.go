package office

// TOTP second factor (两步验证, RFC 6238 via pquerna/otp). A user enrols on
// /office/totp by scanning a QR code and confirming one code; from then on
// the password alone opens no session: loginSubmit hands over to
// beginSecondFactor, which keeps the half-done login in login_challenges
// (cookie token, table holds its SHA-256, five minutes) until the six-digit
// code comes. Five wrong codes lock the account like five wrong passwords.
// A code is accepted once (users.totp_last_step). The secret is stored
// sealed with the application key (AES-256-GCM).

import (
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/auth"
	"ecoreport/internal/db"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/session"
)

// TOTP parameters: the defaults every authenticator app knows.
const (
	totpIssuer       = "生态环境督查工作台"
	totpPeriod       = 30
	totpSkew         = 1 // one step either side, for clocks that drift
	totpCookie       = "ecoreport_office_2fa"
	totpChallengeTTL = 5 * time.Minute
	totpMaxAttempts  = 5
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpStep checks code against secret at now and returns the time step it
// belongs to, or -1. Every candidate is compared in constant time.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return -1
	}
	found := int64(-1)
	base := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := base + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found = step
		}
	}
	return found
}

// sealSecret binds a secret to its user, so a sealed value cannot be moved
// to another account.
func (h *Handler) sealSecret(userID int64, secret string) string {
	return h.Ledger.Keys.Seal([]byte(strconv.FormatInt(userID, 10) + ":" + secret))
}

func (h *Handler) openSecret(userID int64, sealed string) (string, error) {
	b, err := h.Ledger.Keys.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("office: totp secret of user %d: %w", userID, err)
	}
	id, secret, ok := strings.Cut(string(b), ":")
	if !ok || id != strconv.FormatInt(userID, 10) {
		return "", fmt.Errorf("office: totp secret of user %d: not this user's", userID)
	}
	return secret, nil
}

type totpSetupData struct {
	Enabled bool
	QR      template.HTML
	Secret  string // for typing into an app by hand
	Sealed  string
}

// totpPage shows the enrolment (a fresh secret as QR code) or, once
// enabled, the form to turn it off.
func (h *Handler) totpPage(c *gin.Context) {
	h.renderTOTPSetup(c, http.StatusOK, "", nil)
}

func (h *Handler) renderTOTPSetup(c *gin.Context, code int, msg string, fields map[string]string) {
	u, err := h.Users.ByID(h.ctx(c), session.User(c).ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := totpSetupData{Enabled: u.TOTPSecret.Valid}
	if !d.Enabled {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Username, Period: totpPeriod,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			h.fail(c, err)
			return
		}
		d.QR, d.Secret, d.Sealed = qrsvg.SVG(key.URL(), "两步验证二维码"), key.Secret(), h.sealSecret(u.ID, key.Secret())
	}
	h.renderPage(c, code, "totp_setup", page{Title: "两步验证", Error: msg, Fields: fields, Data: d, Flash: flash(c)})
}

// totpEnable confirms the enrolment with one code from the app; the secret
// travels sealed in the form between the page and this post.
func (h *Handler) totpEnable(c *gin.Context) {
	u := session.User(c)
	secret, err := h.openSecret(u.ID, c.PostForm("sealed"))
	if err != nil {
		h.renderTOTPSetup(c, http.StatusUnprocessableEntity, "两步验证未启用", map[string]string{"code": "页面已过期，请重新扫码"})
		return
	}
	now := h.now()
	step := totpStep(secret, c.PostForm("code"), now)
	if step < 0 {
		h.renderTOTPSetup(c, http.StatusUnprocessableEntity, "两步验证未启用", map[string]string{"code": "验证码不正确，请重新扫码后输入App显示的6位数字"})
		return
	}
	err = h.DB.InTx(h.ctx(c), func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(h.ctx(c), `UPDATE users SET totp_secret = ?, totp_last_step = ?, updated_at = ? WHERE id = ? AND totp_secret IS NULL`,
			h.sealSecret(u.ID, secret), step, now, u.ID)
		if err != nil {
			return fmt.Errorf("office: enable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "两步验证已经启用")
		}
		return audit.Append(h.ctx(c), tx, now, u.Username, "user.totp_enabled", "user", u.ID, nil)
	})
	if err != nil {
		h.fail(c, db.Classify(err))
		return
	}
	done(c, "/office/totp", "两步验证已启用，下次登录时需输入App中的6位验证码")
}

// totpDisable turns the second factor off after checking the password (a
// wrong one counts towards the lockout).
func (h *Handler) totpDisable(c *gin.Context) {
	u := session.User(c)
	pw := c.PostForm("password")
	if pw == "" {
		h.renderTOTPSetup(c, http.StatusUnprocessableEntity, "两步验证未关闭", map[string]string{"password": "请输入当前密码"})
		return
	}
	if _, err := h.Users.Authenticate(h.ctx(c), u.Username, pw); err != nil {
		switch apperr.Code(err) {
		case apperr.EINTERNAL, apperr.EUNAVAILABLE:
			h.fail(c, err)
		case apperr.EUNAUTHORIZED: // a wrong password is a wrong field here: the user is logged in
			h.renderTOTPSetup(c, http.StatusUnprocessableEntity, "两步验证未关闭", map[string]string{"password": "密码错误"})
		default: // locked
			h.renderTOTPSetup(c, httpStatus(err), "两步验证未关闭", map[string]string{"password": apperr.Message(err)})
		}
		return
	}
	now := h.now()
	err := h.DB.InTx(h.ctx(c), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(h.ctx(c), `UPDATE users SET totp_secret = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?`, now, u.ID); err != nil {
			return fmt.Errorf("office: disable totp: %w", err)
		}
		return audit.Append(h.ctx(c), tx, now, u.Username, "user.totp_disabled", "user", u.ID, nil)
	})
	if err != nil {
		h.fail(c, db.Classify(err))
		return
	}
	done(c, "/office/totp", "两步验证已关闭")
}

// beginSecondFactor is called by loginSubmit once the password of a user
// with TOTP is right: no session yet, only a challenge for the code.
func (h *Handler) beginSecondFactor(c *gin.Context, u *auth.User) {
	ctx := h.ctx(c)
	token := session.RandomToken()
	now := h.now()
	err := h.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE created_at < ?`, now.Add(-totpChallengeTTL)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_challenges (id, user_id, attempts, created_at) VALUES (?, ?, 0, ?)`,
			session.HashToken(token), u.ID, now)
		return err
	})
	if err != nil {
		h.fail(c, db.Classify(fmt.Errorf("office: login challenge: %w", err)))
		return
	}
	h.setTOTPCookie(c, token, int(totpChallengeTTL/time.Second))
	c.Redirect(http.StatusSeeOther, "/office/login/totp")
}

func (h *Handler) setTOTPCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: totpCookie, Value: value, Path: "/office", MaxAge: maxAge, HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
}

type loginChallenge struct {
	ID        string    `db:"id"`
	UserID    int64     `db:"user_id"`
	Attempts  int       `db:"attempts"`
	CreatedAt time.Time `db:"created_at"`
}

var errNoChallenge = errors.New("no login challenge")

// challenge returns the live challenge of the request's cookie.
func (h *Handler) challenge(c *gin.Context) (*loginChallenge, error) {
	token, err := c.Cookie(totpCookie)
	if err != nil || len(token) != 64 {
		return nil, errNoChallenge
	}
	var ch loginChallenge
	err = h.DB.GetContext(h.ctx(c), &ch, `SELECT id, user_id, attempts, created_at FROM login_challenges WHERE id = ?`, session.HashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoChallenge
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("office: login challenge: %w", err))
	}
	if h.now().Sub(ch.CreatedAt) > totpChallengeTTL {
		h.DB.ExecContext(h.ctx(c), `DELETE FROM login_challenges WHERE id = ?`, ch.ID)
		return nil, errNoChallenge
	}
	return &ch, nil
}

func (h *Handler) totpLoginForm(c *gin.Context) {
	if _, err := h.challenge(c); err != nil {
		h.setTOTPCookie(c, "", -1)
		c.Redirect(http.StatusSeeOther, "/office/login")
		return
	}
	h.render(c, http.StatusOK, "totp_login", "两步验证", nil)
}

// totpLoginSubmit checks the code of a challenge and starts the session.
func (h *Handler) totpLoginSubmit(c *gin.Context) {
	ctx := h.ctx(c)
	ch, err := h.challenge(c)
	if errors.Is(err, errNoChallenge) {
		h.setTOTPCookie(c, "", -1)
		h.renderPage(c, http.StatusUnauthorized, "login", page{Title: "工作人员登录", Error: "验证已超时，请重新输入用户名和密码"})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	u, err := h.Users.ByID(ctx, ch.UserID)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	again := func(code int, msg string) {
		h.renderPage(c, code, "totp_login", page{Title: "两步验证", Error: msg})
	}
	if !u.Active || !u.TOTPSecret.Valid {
		h.DB.ExecContext(ctx, `DELETE FROM login_challenges WHERE id = ?`, ch.ID)
		h.setTOTPCookie(c, "", -1)
		h.renderPage(c, http.StatusUnauthorized, "login", page{Title: "工作人员登录", Error: "请重新登录"})
		return
	}
	if u.LockedUntil.Valid && now.Before(u.LockedUntil.Time) {
		again(http.StatusForbidden, "验证失败次数过多，账号已锁定，请稍后重新登录")
		return
	}
	secret, err := h.openSecret(u.ID, u.TOTPSecret.String)
	if err != nil {
		h.fail(c, err)
		return
	}
	if step := totpStep(secret, c.PostForm("code"), now); step >= 0 {
		// One conditional update both consumes the challenge's code step
		// and refuses a replay of an already used code.
		var ok bool
		err := h.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)`, step, u.ID, step)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			if ok = n == 1; !ok {
				return nil
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE id = ?`, ch.ID)
			return err
		})
		if err != nil {
			h.fail(c, db.Classify(fmt.Errorf("office: totp login: %w", err)))
			return
		}
		if ok {
			if _, err := h.Sessions.Login(c, u); err != nil {
				h.fail(c, err)
				return
			}
			h.setTOTPCookie(c, "", -1)
			audit.Append(ctx, h.DB, now, u.Username, "user.login", "user", u.ID, map[string]any{"totp": true})
			c.Redirect(http.StatusSeeOther, "/office/")
			return
		}
	}
	// Wrong (or replayed) code.
	locked := false
	err = h.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ?`, ch.ID); err != nil {
			return err
		}
		if ch.Attempts+1 < totpMaxAttempts {
			return nil
		}
		locked = true
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?`, now.Add(auth.LockoutFor), u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, u.Username, "user.totp_locked", "user", u.ID, nil)
	})
	if err != nil {
		h.fail(c, db.Classify(fmt.Errorf("office: totp attempt: %w", err)))
		return
	}
	if locked {
		h.setTOTPCookie(c, "", -1)
		h.renderPage(c, http.StatusForbidden, "login", page{Title: "工作人员登录", Error: "验证码连续输错5次，账号已锁定15分钟"})
		return
	}
	again(http.StatusUnauthorized, "验证码不正确或已使用过，请输入App中最新的6位数字")
}

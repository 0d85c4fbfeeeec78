package office

// The pages of the TOTP second factor (两步验证): enrolment on /office/totp
// (a QR code and one code to confirm) and the code step of the login, which
// loginSubmit hands over to once the password is right. The rules, the
// challenges and the lockout are auth.TOTP's; these handlers only carry the
// challenge cookie, parse the forms and render.

import (
	"html/template"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/web"
)

// totpCookie carries the login challenge's token between the password and
// the code.
const totpCookie = "ecoreport_office_2fa"

type totpSetupData struct {
	Enabled bool
	Codes   int // unused recovery codes
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
	u, err := h.Users.ByID(h.ctx(c), User(c).ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := totpSetupData{Enabled: u.TOTPSecret.Valid}
	if d.Enabled {
		if d.Codes, err = h.TOTP.UnusedRecoveryCodes(h.ctx(c), u); err != nil {
			h.fail(c, err)
			return
		}
	} else {
		en, err := h.TOTP.NewEnrolment(u)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.QR, d.Secret, d.Sealed = qrsvg.SVG(en.URL, "两步验证二维码"), en.Secret, en.Sealed
	}
	h.renderPage(c, code, "totp_setup", page{Title: "两步验证", Error: msg, Fields: fields, Data: d, Flash: flash(c)})
}

// totpSetupFailed shows the setup page again with the field messages of a
// refused enable or disable; any other error gets the error page.
func (h *Handler) totpSetupFailed(c *gin.Context, msg string, err error) {
	if apperr.Fields(err) == nil {
		h.fail(c, err)
		return
	}
	h.errs.HTML(c, err, func(p web.Problem) { h.renderTOTPSetup(c, p.Status, msg, p.Fields) })
}

// totpEnable confirms the enrolment with one code from the app; the secret
// travels sealed in the form between the page and this post.
func (h *Handler) totpEnable(c *gin.Context) {
	if err := h.TOTP.Enable(h.ctx(c), User(c), c.PostForm("sealed"), c.PostForm("code")); err != nil {
		h.totpSetupFailed(c, "两步验证未启用", err)
		return
	}
	h.showRecoveryCodes(c, "两步验证已启用，下次登录时需输入App中的6位验证码。")
}

// totpRecovery replaces the user's recovery codes with new ones.
func (h *Handler) totpRecovery(c *gin.Context) {
	h.showRecoveryCodes(c, "已生成新的恢复码，以前的恢复码全部作废。")
}

// showRecoveryCodes makes the user's recovery codes and shows them on this
// one answer: they are stored only as their HMAC.
func (h *Handler) showRecoveryCodes(c *gin.Context, msg string) {
	codes, err := h.TOTP.NewRecoveryCodes(h.ctx(c), User(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderPage(c, http.StatusOK, "totp_recovery", page{Title: "两步验证恢复码", Flash: msg, Data: codes})
}

// totpDisable turns the second factor off after checking the password (a
// wrong one counts towards the lockout).
func (h *Handler) totpDisable(c *gin.Context) {
	if err := h.TOTP.Disable(h.ctx(c), User(c), c.PostForm("password")); err != nil {
		h.totpSetupFailed(c, "两步验证未关闭", err)
		return
	}
	done(c, "/office/totp", "两步验证已关闭")
}

// beginSecondFactor is called by loginSubmit once the password of a user
// with TOTP is right: no session yet, only a challenge for the code.
func (h *Handler) beginSecondFactor(c *gin.Context, u *auth.User) {
	token, err := h.TOTP.BeginLogin(h.ctx(c), u)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.setTOTPCookie(c, token, int(auth.ChallengeTTL/time.Second))
	c.Redirect(http.StatusSeeOther, "/office/login/totp")
}

func (h *Handler) setTOTPCookie(c *gin.Context, value string, maxAge int) {
	setCookie(c, totpCookie, value, maxAge)
}

func (h *Handler) totpLoginForm(c *gin.Context) {
	token := readCookie(c, totpCookie)
	if _, err := h.TOTP.Challenge(h.ctx(c), token); err != nil {
		h.setTOTPCookie(c, "", -1)
		c.Redirect(http.StatusSeeOther, "/office/login")
		return
	}
	h.render(c, http.StatusOK, "totp_login", "两步验证", nil)
}

// totpLoginSubmit checks the code of a challenge and starts the session. A
// challenge that ended (expired, account locked or changed) sends the
// person back to the password; a wrong code asks again.
func (h *Handler) totpLoginSubmit(c *gin.Context) {
	ctx := h.ctx(c)
	token := readCookie(c, totpCookie)
	var u *auth.User
	var err error
	if rc := c.PostForm("recovery"); rc != "" { // the phone is not at hand: a recovery code
		u, err = h.TOTP.CompleteLoginWithRecovery(ctx, token, rc)
	} else {
		u, err = h.TOTP.CompleteLogin(ctx, token, c.PostForm("code"))
	}
	switch {
	case err == nil:
		if err := h.startSession(c, u); err != nil {
			h.fail(c, err)
			return
		}
		h.setTOTPCookie(c, "", -1)
		if err := h.Users.RecordLogin(ctx, u, true); err != nil {
			h.log.ErrorContext(ctx, "office: audit login", "err", err)
		}
		c.Redirect(http.StatusSeeOther, "/office/")
	case auth.ChallengeEnded(err):
		h.setTOTPCookie(c, "", -1)
		h.errs.HTML(c, err, func(p web.Problem) {
			h.renderPage(c, p.Status, "login", page{Title: "工作人员登录", Error: p.Message, Data: loginData{}})
		})
	case apperr.Is(err, apperr.EUNAUTHORIZED), apperr.Is(err, apperr.EFORBIDDEN):
		h.errs.HTML(c, err, func(p web.Problem) {
			h.renderPage(c, p.Status, "totp_login", page{Title: "两步验证", Error: p.Message})
		})
	default:
		h.fail(c, err)
	}
}

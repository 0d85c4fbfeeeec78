package office

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
)

// loginData is what the login form shows besides its fields.
type loginData struct {
	Name      string
	CaptchaID string // a challenge to solve; "" for none
}

func (h *Handler) loginForm(c *gin.Context) {
	if User(c) != nil {
		c.Redirect(http.StatusSeeOther, "/office/")
		return
	}
	h.render(c, http.StatusOK, "login", "工作人员登录", loginData{})
}

// loginSubmit checks a login through the throttles of auth.Store.Login:
// first this instance's limit of attempts per client and minute, then a
// captcha answer if the form carried one (a wrong one ends the attempt
// before any password is hashed), then the password. After a failure the
// form comes back with a captcha to solve, which the account's name needs
// once it has failed auth.CaptchaAfter times.
func (h *Handler) loginSubmit(c *gin.Context) {
	ctx := h.ctx(c)
	name := strings.TrimSpace(c.PostForm("username"))
	again := func(err error) {
		status := httpStatus(err)
		if wait := apperr.RetryAfter(err); wait > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
			c.Header("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		}
		d := loginData{Name: name}
		if h.captcha.Required {
			id, cerr := h.captcha.New(ctx)
			if cerr != nil {
				h.fail(c, cerr)
				return
			}
			d.CaptchaID = id
		}
		h.renderPage(c, status, "login", page{Title: "工作人员登录", Error: apperr.Message(err), Fields: apperr.Fields(err), Data: d})
	}
	if h.loginLimit != nil {
		if ok, wait := h.loginLimit.Allow(h.clientKeys.Key("office-login", c.ClientIP(), h.Now())); !ok {
			again(&apperr.Error{Code: apperr.ERATELIMIT, RetryAfter: wait, Message: "登录请求过于频繁，请稍后再试"})
			return
		}
	}
	solved := !h.captcha.Required // --captcha off: no captcha step
	if answer := c.PostForm("captcha_solution"); !solved && strings.TrimSpace(answer) != "" {
		err := h.captcha.Verify(ctx, c.PostForm("captcha_id"), answer, "")
		if apperr.Is(err, apperr.EINVALID) {
			again(err)
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		solved = true
	}
	u, err := h.Users.Login(ctx, auth.Attempt{Username: name, Password: c.PostForm("password"), Client: c.ClientIP(), CaptchaOK: solved})
	if err != nil {
		if code := apperr.Code(err); code == apperr.EINTERNAL || (code == apperr.EUNAVAILABLE && !errors.Is(err, auth.ErrBusy)) {
			h.fail(c, err)
			return
		}
		again(err)
		return
	}
	if u.TOTPSecret.Valid { // the six-digit code comes next (totp.go)
		h.beginSecondFactor(c, u)
		return
	}
	if err := h.startSession(c, u); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Users.RecordLogin(ctx, u, false); err != nil {
		h.log.ErrorContext(ctx, "office: audit login", "err", err)
	}
	c.Redirect(http.StatusSeeOther, "/office/")
}

func (h *Handler) logout(c *gin.Context) {
	if err := h.endSession(c); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/office/login")
}

// home sends each role to its daily page.
func (h *Handler) home(c *gin.Context) {
	switch User(c).Role {
	case auth.UnitUser:
		c.Redirect(http.StatusSeeOther, "/office/unit")
	case auth.Operator:
		c.Redirect(http.StatusSeeOther, "/office/register")
	case auth.Admin, auth.Inspector, auth.Leader:
		c.Redirect(http.StatusSeeOther, "/office/inbox")
	case auth.RewardOfficer, auth.RewardApprover, auth.Finance:
		c.Redirect(http.StatusSeeOther, "/office/rewards")
	default:
		c.Redirect(http.StatusSeeOther, "/office/password")
	}
}

func (h *Handler) passwordForm(c *gin.Context) {
	h.render(c, http.StatusOK, "password", "修改密码", nil)
}

// passwordSubmit changes the password after checking the current one
// (wrong ones make the next try wait, see auth.Store.Authenticate), ends
// every session of the user and starts a new one.
func (h *Handler) passwordSubmit(c *gin.Context) {
	u := User(c)
	again := func(code int, fields map[string]string) {
		h.renderPage(c, code, "password", page{Title: "修改密码", Error: "密码未修改", Fields: fields})
	}
	if _, err := h.Users.Authenticate(h.ctx(c), u.Username, c.PostForm("current")); err != nil {
		if code := apperr.Code(err); code == apperr.EINTERNAL || (code == apperr.EUNAVAILABLE && !errors.Is(err, auth.ErrBusy)) {
			h.fail(c, err)
			return
		}
		msg := apperr.Message(err)
		if err == auth.ErrBadLogin {
			msg = "当前密码不正确"
		}
		again(httpStatus(err), map[string]string{"current": msg})
		return
	}
	pw := c.PostForm("new")
	if pw != c.PostForm("confirm") {
		again(http.StatusUnprocessableEntity, map[string]string{"confirm": "两次输入的新密码不一致"})
		return
	}
	if len([]rune(pw)) < auth.MinPassword {
		again(http.StatusUnprocessableEntity, map[string]string{"new": "密码至少10位"})
		return
	}
	if _, err := h.Users.SetPassword(h.ctx(c), u.Username, pw, u.Username); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Sessions.DeleteUser(h.ctx(c), u.ID); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.startSession(c, u); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/password", "密码已修改，其他设备上的登录已退出")
}

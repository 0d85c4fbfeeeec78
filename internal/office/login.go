package office

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
)

func (h *Handler) loginForm(c *gin.Context) {
	if User(c) != nil {
		c.Redirect(http.StatusSeeOther, "/office/")
		return
	}
	h.render(c, http.StatusOK, "login", "工作人员登录", nil)
}

// loginSubmit checks the password. Repeated failures lock the account
// (auth.Authenticate), which is the login's rate limit.
func (h *Handler) loginSubmit(c *gin.Context) {
	name := strings.TrimSpace(c.PostForm("username"))
	u, err := h.Users.Authenticate(h.ctx(c), name, c.PostForm("password"))
	if err != nil {
		if apperr.Code(err) == apperr.EINTERNAL || apperr.Code(err) == apperr.EUNAVAILABLE {
			h.fail(c, err)
			return
		}
		h.renderPage(c, httpStatus(err), "login", page{Title: "工作人员登录", Error: apperr.Message(err), Data: name})
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
	if err := h.Users.RecordLogin(h.ctx(c), u, false); err != nil {
		h.log.ErrorContext(h.ctx(c), "office: audit login", "err", err)
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

// passwordSubmit changes the password after checking the current one (a
// wrong one counts towards the lockout), ends every session of the user and
// starts a new one.
func (h *Handler) passwordSubmit(c *gin.Context) {
	u := User(c)
	again := func(code int, fields map[string]string) {
		h.renderPage(c, code, "password", page{Title: "修改密码", Error: "密码未修改", Fields: fields})
	}
	if _, err := h.Users.Authenticate(h.ctx(c), u.Username, c.PostForm("current")); err != nil {
		if apperr.Code(err) == apperr.EINTERNAL {
			h.fail(c, err)
			return
		}
		again(httpStatus(err), map[string]string{"current": apperr.Message(err)})
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

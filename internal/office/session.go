package office

// The back office's login edge: the session cookie, the CSRF check of every
// form and the role guard of every route. The sessions themselves are kept
// by internal/session (storage, no HTTP); this file is their HTTP side. It
// lives in the back office because the back office is its only user (the
// hotline operator pages are back-office pages) and because what it refuses
// is answered with the back office's own error page, in its layout.

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/session"
	"ecoreport/internal/web"
)

// Cookies (their names over plain HTTP; over HTTPS with the __Host-
// prefix, see setCookie) and the form field of the CSRF token.
const (
	SessionCookie  = "ecoreport_office"
	PreLoginCookie = "ecoreport_office_pre"
	CSRFField      = "csrf"
	cookiePath     = "/office"
	loginPath      = "/office/login"
)

// Errors of the guard, shown on the back office's error page.
var (
	errCSRF        = &apperr.Error{Code: apperr.EFORBIDDEN, Message: "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试。"}
	errSessionDown = &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "系统暂时无法处理，请稍后再试"}
)

const (
	ctxSession = "office.session"
	ctxUser    = "office.user"
	ctxPre     = "office.pre"
)

// User returns the logged-in user of the request, or nil.
func User(c *gin.Context) *auth.User {
	if v, ok := c.Get(ctxUser); ok {
		return v.(*auth.User)
	}
	return nil
}

// currentSession returns the request's session, or nil.
func currentSession(c *gin.Context) *session.Session {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*session.Session)
	}
	return nil
}

// CSRFToken is the token the request's forms must carry: the session's, or
// before login the pre-login cookie's.
func CSRFToken(c *gin.Context) string {
	if ss := currentSession(c); ss != nil {
		return ss.CSRF
	}
	if v, ok := c.Get(ctxPre); ok {
		return v.(string)
	}
	return ""
}

// setCookie writes an HttpOnly, SameSite=Lax cookie of the back office.
// When the request reached the browser over HTTPS (web.HTTPS: an https
// --public-url or a trusted proxy's X-Forwarded-Proto, since the TLS proxy
// in front talks plain HTTP to us) the cookie is Secure and named with the
// __Host- prefix, which the browser takes only from a secure origin with
// Path=/ and no Domain: neither a plain-HTTP page nor a sibling subdomain
// can then set or overwrite it, which would defeat the double-submit CSRF
// check of the login form (cookie tossing) or fix a session. Over plain
// HTTP (development, a kiosk on the intranet) it is the bare name under
// /office.
func setCookie(c *gin.Context, name, value string, maxAge int) {
	path, secure := cookiePath, web.HTTPS(c)
	if secure {
		path = "/"
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: cookieName(c, name), Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// cookieName is name as the browser keeps it for this request (see
// setCookie).
func cookieName(c *gin.Context, name string) string {
	if web.HTTPS(c) {
		return "__Host-" + name
	}
	return name
}

// readCookie returns the value of the back office's cookie name, "" when
// there is none. Over HTTPS only the __Host- cookie counts.
func readCookie(c *gin.Context, name string) string {
	v, err := c.Cookie(cookieName(c, name))
	if err != nil {
		return ""
	}
	return v
}

// startSession starts a session for u and sets its cookie. Every earlier
// session cookie of this browser is replaced (no fixation).
func (h *Handler) startSession(c *gin.Context, u *auth.User) error {
	if old := readCookie(c, SessionCookie); old != "" {
		h.Sessions.Delete(c.Request.Context(), old)
	}
	token, ss, err := h.Sessions.Create(c.Request.Context(), u.ID)
	if err != nil {
		return err
	}
	setCookie(c, SessionCookie, token, int(h.Sessions.Absolute/time.Second))
	setCookie(c, PreLoginCookie, "", -1)
	c.Set(ctxSession, ss)
	c.Set(ctxUser, u)
	return nil
}

// endSession ends the request's session and clears its cookie.
func (h *Handler) endSession(c *gin.Context) error {
	if token := readCookie(c, SessionCookie); token != "" {
		if err := h.Sessions.Delete(c.Request.Context(), token); err != nil {
			return err
		}
	}
	setCookie(c, SessionCookie, "", -1)
	return nil
}

// Middleware loads the session and checks the CSRF token of a POST
// (loadSession, then checkCSRF), for a route open to everyone.
func (h *Handler) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		if h.loadSession(c); c.IsAborted() {
			return
		}
		h.checkCSRF(c)
	}
}

// loadSession loads the session and its user (who must still be active)
// into the request; before login it gives the browser its pre-login CSRF
// cookie. It reads no body. A session store that cannot answer is 503.
func (h *Handler) loadSession(c *gin.Context) {
	ctx := c.Request.Context()
	if token := readCookie(c, SessionCookie); token != "" {
		ss, err := h.Sessions.Lookup(ctx, token)
		switch {
		case err == nil:
			u, uerr := h.Users.ByID(ctx, ss.UserID)
			if uerr == nil && u.Active {
				c.Set(ctxSession, ss)
				c.Set(ctxUser, u)
			} else if uerr == nil || apperr.Is(uerr, apperr.ENOTFOUND) {
				h.Sessions.Delete(ctx, token)
			} else {
				h.fail(c, fmt.Errorf("%w (office: session user: %w)", errSessionDown, uerr))
				return
			}
		case apperr.Is(err, apperr.EUNAUTHORIZED):
			setCookie(c, SessionCookie, "", -1)
		default:
			h.fail(c, fmt.Errorf("%w (office: session: %w)", errSessionDown, err))
			return
		}
	}
	if currentSession(c) == nil {
		pre := readCookie(c, PreLoginCookie)
		if len(pre) != 64 {
			pre = session.RandomToken()
			setCookie(c, PreLoginCookie, pre, 3600)
		}
		c.Set(ctxPre, pre)
	}
}

// checkCSRF checks the token of every POST: the hidden field csrf must
// equal the session's token, or, before login, the pre-login cookie's
// (double submit). A failed check is 403 (EFORBIDDEN) on the error page and
// the handler never runs. It parses the form, so on a route that needs a
// login it runs after RequireRoles: a POST without a valid session is sent
// to the login page before a byte of its body is read.
func (h *Handler) checkCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodPost {
		want := CSRFToken(c)
		got := c.PostForm(CSRFField)
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			h.fail(c, errCSRF)
			return
		}
	}
	c.Next()
}

// RequireRoles lets only users of the given roles through: a request without
// a session is sent to the login page, a user of another role gets 403
// (EFORBIDDEN) on the error page.
func (h *Handler) RequireRoles(roles ...auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := User(c)
		if u == nil {
			c.Redirect(http.StatusSeeOther, loginPath)
			c.Abort()
			return
		}
		for _, r := range roles {
			if u.Role == r {
				c.Next()
				return
			}
		}
		h.fail(c, apperr.Errorf(apperr.EFORBIDDEN, "您的账号（%s）无权访问此页面或执行此操作。", u.Role.Label()))
	}
}

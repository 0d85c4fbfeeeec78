package portal

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/web"
)

// CSRF protection without server state: a random value in an HttpOnly cookie,
// and in every form the HMAC of that value under the server key. A forged
// request from another site cannot read the cookie, so it cannot make the
// token; nothing is written to the database.
const (
	csrfCookie = "ecoreport_csrf"
	csrfField  = "csrf"
)

// errCSRF is what a form without a valid token gets.
var errCSRF = &apperr.Error{Code: apperr.EFORBIDDEN, Message: "页面已过期或来源无法确认，请重新提交（为安全起见，提交的内容尚未保存）"}

// csrfToken returns the token for this client's cookie, setting a new cookie
// when there is none.
func (h *Handler) csrfToken(c *gin.Context) string {
	if v, ok := c.Get(csrfCookie); ok {
		return v.(string)
	}
	val, err := c.Cookie(cookieName(c))
	if err != nil || len(val) != 32 {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		val = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(c.Writer, &http.Cookie{
			Name: cookieName(c), Value: val, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: web.HTTPS(c),
		})
	}
	tok := h.keys.MAC("csrf", val)
	c.Set(csrfCookie, tok)
	return tok
}

// cookieName is the CSRF cookie's name: over HTTPS (web.HTTPS, which
// believes X-Forwarded-Proto only from a trusted proxy) with the __Host-
// prefix, so that a sibling subdomain cannot set it for us.
func cookieName(c *gin.Context) string {
	if web.HTTPS(c) {
		return "__Host-" + csrfCookie
	}
	return csrfCookie
}

// checkCSRF reports whether the parsed form carries the token of the cookie.
func (h *Handler) checkCSRF(c *gin.Context) bool {
	val, err := c.Cookie(cookieName(c))
	if err != nil || len(val) != 32 {
		return false
	}
	got := c.Request.PostFormValue(csrfField)
	return hmac.Equal([]byte(got), []byte(h.keys.MAC("csrf", val)))
}

// Package office is the staff back office (工作台) of the task force: login,
// the inbox of new complaints, cases and their timeline, verification,
// rectification notices (整改通知书), close-out, and the responsible units'
// own page. Pages are server-rendered in Chinese; every route declares its
// roles in one table (routes.go) that a test walks with every role.
package office

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
	"ecoreport/internal/session"
	"ecoreport/internal/web"
)

// Deps is what the back office needs from the application.
type Deps struct {
	Ledger   *ledger.Service
	Users    *auth.Store
	Sessions *session.Store // session.New(DB) when nil
	TOTP     *auth.TOTP     // the second factor of Users, sealed with Ledger.Keys, when nil
	// Conversation is the reporter conversation; conversation.New(Ledger) when nil.
	Conversation *conversation.Service
	DB           *db.DB         // Ledger.DB when nil
	Location     *time.Location // Ledger.Location when nil
	Logger       *slog.Logger   // slog.Default() when nil
	Now          func() time.Time
	Rewards      *reward.Service // reward pages (reward*.go); they answer 503 when nil
}

// Handler serves the back office. Create it with New, mount it with Register.
type Handler struct {
	Ledger   *ledger.Service
	Users    *auth.Store
	Sessions *session.Store
	TOTP     *auth.TOTP
	// Conversation holds the messages and follow-ups with reporters.
	Conversation *conversation.Service
	DB           *db.DB
	Location     *time.Location
	Now          func() time.Time
	Rewards      *reward.Service

	log   *slog.Logger
	errs  web.Errors
	views map[string]*template.Template
}

//go:embed templates/*.html
var templateFS embed.FS

// New builds the handler and parses its templates (panicking on a broken
// embedded template, which the tests catch).
func New(d Deps) *Handler {
	if d.DB == nil {
		d.DB = d.Ledger.DB
	}
	if d.Location == nil {
		d.Location = d.Ledger.Location
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Sessions == nil {
		d.Sessions = session.New(d.DB)
		d.Sessions.Now = d.Now
	}
	if d.Conversation == nil {
		d.Conversation = conversation.New(d.Ledger)
	}
	if d.TOTP == nil {
		d.TOTP = &auth.TOTP{Users: d.Users, Keys: d.Ledger.Keys}
	}
	h := &Handler{Ledger: d.Ledger, Users: d.Users, Sessions: d.Sessions, TOTP: d.TOTP, Conversation: d.Conversation, DB: d.DB, Location: d.Location, Now: d.Now, Rewards: d.Rewards, log: d.Logger,
		errs: web.Errors{Log: d.Logger, Surface: "office"}}
	h.views = mustViews(h.funcs())
	return h
}

// views: each page is parsed with its layout; print pages stand alone.
var viewLayouts = map[string]string{
	"login": "layout", "password": "layout", "inbox": "layout", "case": "layout", "cases": "layout",
	"unit": "layout", "error": "layout", "register": "layout", "receipt": "layout", "notice": "print",
}

func mustViews(funcs template.FuncMap) map[string]*template.Template {
	out := map[string]*template.Template{}
	for view, layout := range viewLayouts {
		out[view] = template.Must(template.New(layout+".html").Funcs(funcs).ParseFS(templateFS,
			"templates/"+layout+".html", "templates/"+view+".html"))
	}
	return out
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(h.Location).Format("2006-01-02")
		},
		"datetime":   func(t time.Time) string { return t.In(h.Location).Format("2006-01-02 15:04") },
		"cndate":     func(t time.Time) string { return t.In(h.Location).Format("2006年1月2日") },
		"lines":      func(s string) []string { return strings.Split(s, "\n") },
		"eventLabel": ledger.EventLabel,
		"hasRole": func(u *auth.User, roles ...string) bool {
			for _, r := range roles {
				if u != nil && string(u.Role) == r {
					return true
				}
			}
			return false
		},
	}
}

// page is what every template gets.
type page struct {
	Title  string
	User   *auth.User
	CSRF   string
	Flash  string
	Error  string
	Fields map[string]string
	Data   any
}

func (h *Handler) render(c *gin.Context, code int, view, title string, data any) {
	h.renderPage(c, code, view, page{Title: title, Data: data, Flash: flash(c)})
}

func (h *Handler) renderPage(c *gin.Context, code int, view string, p page) {
	p.User = User(c)
	p.CSRF = CSRFToken(c)
	t, ok := h.views[view]
	if !ok {
		h.renderFailed(c, view, fmt.Errorf("no view %q", view))
		return
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			renderBuffers.Put(buf)
		}
	}()
	// The page is rendered in full before anything is written: a template
	// error gives a 500 with a message, not a 200 with half a page.
	if err := t.Execute(buf, p); err != nil {
		h.renderFailed(c, view, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(code, "text/html; charset=utf-8", buf.Bytes())
}

// renderBuffers holds the buffers pages are rendered into; a buffer that grew
// past maxPooledBuffer (a huge list) is left to the garbage collector.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 1 << 20

// renderErrorPage is the answer when a page cannot be rendered; it does not
// use a template, which may be what failed.
const renderErrorPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico"><title>系统错误 · 生态环境督查工作台</title></head>
<body><h1>系统错误</h1><p>页面暂时无法显示，已记录错误，请稍后再试或联系系统管理员。</p><p><a href="/office/">返回工作台</a></p></body></html>
`

// renderFailed logs a template error and answers 500.
func (h *Handler) renderFailed(c *gin.Context, view string, err error) {
	h.log.ErrorContext(c.Request.Context(), "office: render", "view", view, "err", err)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusInternalServerError, "text/html; charset=utf-8", []byte(renderErrorPage))
}

// fail answers err with the back office's error page and stops the chain
// (web.Errors.HTML decides the status, Retry-After and logging; internal
// errors show as 系统错误).
func (h *Handler) fail(c *gin.Context, err error) {
	h.errs.HTML(c, err, func(p web.Problem) {
		h.renderPage(c, p.Status, "error", page{Title: "操作未完成", Error: p.Message, Fields: p.Fields, Data: c.Request.Referer()})
	})
}

func httpStatus(err error) int { return web.StatusOf(err) }

// done redirects after a successful POST (post/redirect/get); the message
// travels in a short-lived cookie, not the URL, so that nobody can put words
// on a page through a link.
func done(c *gin.Context, to, msg string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/office", MaxAge: 60,
		HttpOnly: true, Secure: c.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, to)
}

const flashCookie = "ecoreport_flash"

// flash reads and clears the message of the previous POST.
func flash(c *gin.Context) string {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Path: "/office", MaxAge: -1, HttpOnly: true})
	m, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return m
}

func (h *Handler) actor(c *gin.Context) ledger.Actor {
	u := User(c)
	return ledger.Actor{UserID: u.ID, Name: u.Username}
}

func (h *Handler) ctx(c *gin.Context) context.Context { return c.Request.Context() }

func idParam(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &apperr.Error{Code: apperr.ENOTFOUND, Message: "页面不存在"}
	}
	return id, nil
}

func (h *Handler) now() time.Time { return db.UTC(h.Now()) }

// maxForm bounds every form body.
const maxForm = 1 << 20

func bodyLimit(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxForm)
}

func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "same-origin")
	c.Header("X-Frame-Options", "DENY")
}

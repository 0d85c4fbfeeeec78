// Package office is the staff back office (工作台) of the task force: login,
// the inbox of new complaints, cases and their timeline, verification,
// rectification notices (整改通知书), close-out, the responsible units'
// own page, and the hotline operators' pages (12369热线工单). Pages are server-rendered in Chinese; every route declares its
// roles in one table (routes.go) that a test walks with every role.
package office

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/auth"
	"ecoreport/internal/bulletin"
	"ecoreport/internal/captcha"
	"ecoreport/internal/config"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db"
	"ecoreport/internal/evidence"
	"ecoreport/internal/ledger"
	"ecoreport/internal/ratelimit"
	"ecoreport/internal/reward"
	"ecoreport/internal/session"
	"ecoreport/internal/upload"
	"ecoreport/internal/view"
	"ecoreport/internal/web"
	"ecoreport/static"
)

// Deps is what the back office needs from the application.
type Deps struct {
	Ledger   *ledger.Service
	Users    *auth.Store
	Sessions *session.Store // session.New(DB) when nil
	TOTP     *auth.TOTP     // the second factor of Users, sealed with Ledger.Keys, when nil
	// Conversation is the reporter conversation; conversation.New(Ledger) when nil.
	Conversation *conversation.Service
	// Evidence gathers a case's photos and decides who opens them;
	// evidence.New(Ledger, Conversation) when nil.
	Evidence *evidence.Service
	// Uploads holds the photo files, the residents' (written by the
	// portal) and the staff's and units' (written here), in the store
	// --uploads chooses. Without it the photo routes answer 503.
	Uploads  upload.Store
	DB       *db.DB         // Ledger.DB when nil
	Location *time.Location // Ledger.Location when nil
	Logger   *slog.Logger   // slog.Default() when nil
	Now      func() time.Time
	Rewards  *reward.Service // reward pages (reward*.go); they answer 503 when nil
	// Assets are the files of static/ the pages link (view.MustAssets(static.FS)
	// when nil); the application serves them (Assets.Register).
	Assets *view.Assets
	// Hotline and HotlineFeedback are the hotline bridge behind the
	// operators' pages (hotline*.go); they answer 503 when nil.
	Hotline         HotlineImports
	HotlineFeedback HotlineFeedback
	MaxUpload       int64 // largest hotline file (DefaultMaxUpload when 0)
	// County names the county on the notices, the bulletin and the pages
	// (config.DefaultCounty() when its name is empty).
	County config.County
	// Captcha is asked at login once a username has failed
	// auth.CaptchaAfter times; captcha.New(DB, true, Now) when nil. One
	// that is not Required (--captcha off) skips that step.
	Captcha *captcha.Captcha
	// LoginPerMinute bounds the login attempts of one client per minute
	// on this instance, whatever their outcome (DefaultLoginPerMinute
	// when 0, none when negative: load tests from one address).
	LoginPerMinute int
	// AuditCheckpoints are the audit log's signed checkpoints; the
	// bulletin prints the month's (none when nil).
	AuditCheckpoints *audit.CheckpointFile
	// Outbox is the admins' outbox page (outbox.go); it answers 503 when nil.
	Outbox Outbox
}

// DefaultLoginPerMinute is the login form's per-client limit: an office
// behind one address logging in at nine o'clock stays under it, a program
// hashing passwords on our memory does not.
const DefaultLoginPerMinute = 60

// Handler serves the back office. Create it with New, mount it with Register.
type Handler struct {
	Ledger   *ledger.Service
	Users    *auth.Store
	Sessions *session.Store
	TOTP     *auth.TOTP
	// Conversation holds the messages and follow-ups with reporters.
	Conversation *conversation.Service
	Evidence     *evidence.Service
	DB           *db.DB
	Location     *time.Location
	Now          func() time.Time
	Rewards      *reward.Service

	Hotline          HotlineImports
	HotlineFeedback  HotlineFeedback
	MaxUpload        int64
	County           config.County
	AuditCheckpoints *audit.CheckpointFile
	Outbox           Outbox

	files photoFiles // the photo files (uploads.go)
	log   *slog.Logger
	errs  web.Errors
	views *view.Set
	nav   []Route // the route table's navigation entries, in order

	captcha    *captcha.Captcha
	loginLimit *ratelimit.Limiter // nil: no limit
	clientKeys *ratelimit.Hasher
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
	if d.Evidence == nil {
		d.Evidence = evidence.New(d.Ledger, d.Conversation)
	}
	if d.TOTP == nil {
		d.TOTP = &auth.TOTP{Users: d.Users, Keys: d.Ledger.Keys}
	}
	if d.Assets == nil {
		d.Assets = view.MustAssets(static.FS)
	}
	if d.MaxUpload <= 0 {
		d.MaxUpload = DefaultMaxUpload
	}
	if d.County.Name == "" {
		d.County = config.DefaultCounty()
	}
	if d.Users.Keys == nil { // the login throttle's rows are keyed with the data key
		d.Users.Keys = d.Ledger.Keys
	}
	if d.Captcha == nil {
		d.Captcha = captcha.New(d.DB, true, d.Now)
	}
	if d.LoginPerMinute == 0 {
		d.LoginPerMinute = DefaultLoginPerMinute
	}
	h := &Handler{Ledger: d.Ledger, Users: d.Users, Sessions: d.Sessions, TOTP: d.TOTP, Conversation: d.Conversation,
		Evidence: d.Evidence, DB: d.DB, files: photoFiles{store: d.Uploads},
		Location: d.Location, Now: d.Now, Rewards: d.Rewards,
		Hotline: d.Hotline, HotlineFeedback: d.HotlineFeedback, MaxUpload: d.MaxUpload, County: d.County,
		AuditCheckpoints: d.AuditCheckpoints, Outbox: d.Outbox, log: d.Logger,
		errs: web.Errors{Log: d.Logger, Surface: "office"}}
	h.captcha = d.Captcha
	if d.LoginPerMinute > 0 {
		h.loginLimit = ratelimit.New(d.LoginPerMinute, time.Minute)
		h.loginLimit.Now = d.Now
	}
	h.clientKeys = ratelimit.NewHasher(d.Ledger.Keys.RateKey())
	h.views = h.mustViews(d.Assets)
	h.nav = navEntries(Routes)
	return h
}

// viewLayouts maps every view of the back office to the layout it renders
// in: "layout" has the header and its navigation, "print" is an A4 sheet,
// the bulletin is a whole document of its own. view.New fails at start on a
// missing or broken one.
var viewLayouts = map[string]string{
	"login":      "layout",
	"totp_login": "layout",
	"password":   "layout",
	"totp_setup": "layout",
	"error":      "layout",

	"inbox":        "layout",
	"cases":        "layout",
	"case":         "layout",
	"message_case": "layout",
	"complaint":    "layout",
	"revisit_list": "layout",
	"register":     "layout",
	"receipt":      "layout",
	"unit":         "layout",
	"mine":         "layout",
	"search":       "layout",

	"workload":       "layout",
	"admin":          "layout",
	"admin_users":    "layout",
	"admin_user":     "layout",
	"admin_password": "layout",
	"admin_units":    "layout",
	"admin_audit":    "layout",
	"totp_recovery":  "layout",
	"notice":         "print",

	"inspection_tasks":    "layout",
	"inspection_task":     "layout",
	"inspection_task_new": "layout",
	"inspection_superior": "layout",
	"interview_list":      "layout",
	"interview_new":       "layout",
	"referral_list":       "layout",
	"referral_new":        "layout",

	"reward_list":   "layout",
	"reward_detail": "layout",
	"reward_rules":  "layout",

	"hotline_index":      "layout",
	"hotline_receipt":    "layout",
	"hotline_quarantine": "layout",
	"hotline_feedback":   "layout",
	"hotline_code":       "layout",

	"outbox":         "layout",
	"outbox_message": "layout",

	"bulletin_page": view.Standalone,
}

// viewPartials are the back office's own partials, parsed into every view.
var viewPartials = []string{"partials.html", "partials_evidence.html"}

func (h *Handler) mustViews(assets *view.Assets) *view.Set {
	sub, err := fs.Sub(templateFS, "templates")
	if err != nil {
		panic(err)
	}
	return view.Must(view.Config{Name: "office", FS: sub, Views: viewLayouts, Partials: viewPartials, Funcs: h.funcs(),
		Location: h.Location, Assets: assets, Logger: h.log, Fallback: []byte(renderErrorPage)})
}

// funcs are the back office's own template functions, beside the shared
// ones (view.Funcs: dates, asset URLs, field errors).
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"eventLabel": ledger.EventLabel,
		"hasRole": func(u *auth.User, roles ...string) bool {
			for _, r := range roles {
				if u != nil && string(u.Role) == r {
					return true
				}
			}
			return false
		},
		"yuan": reward.Yuan,
		// svg is a chart written by package bulletin, every text in it escaped.
		"svg":  func(s string) template.HTML { return template.HTML(s) },
		"cell": bulletin.Cell,
		"rankData": func(kind string, rows []bulletin.Ranked) map[string]any {
			return map[string]any{"Kind": kind, "Rows": rows}
		},
		"short": func(s string) string { return s[:min(12, len(s))] },
		"sourceLabel": func(s string) string {
			return map[string]string{hotline.SourceFile: "文件", hotline.SourcePush: "推送", hotline.SourceFix: "修正"}[s]
		},
		"outcomeLabel": hotline.OutcomeLabel,
		// auditObjects are the kinds of object the audit log names, for its filter.
		"auditObjects": func() map[string]string {
			return map[string]string{"complaint": "举报件", "case": "问题", "notice": "整改通知书", "user": "账号", "unit": "单位",
				"reward": "奖励", "audit_log": "审计日志", "inspection_task": "督查巡查任务", "import_batch": "热线导入"}
		},
		// who names the actor of a timeline event: the staff member's
		// display name, else the role (never a username), 举报人, 系统.
		"who": func(e ledger.Event) string {
			if e.ActorDisplay.Valid && strings.TrimSpace(e.ActorDisplay.String) != "" {
				return e.ActorDisplay.String
			}
			if e.ActorRole.Valid {
				if l := auth.Role(e.ActorRole.String).Label(); l != "" {
					return l
				}
			}
			return e.Who()
		},
		// photoURL is where staff open a photo (photo.go).
		"photoURL": func(p evidence.Photo) string {
			if p.Source == evidence.Resident {
				return "/office/attachments/" + strconv.FormatInt(p.ID, 10)
			}
			return "/office/case-photos/" + strconv.FormatInt(p.ID, 10)
		},
		"photoValue": func(p evidence.Photo) string { return string(p.Source) + ":" + strconv.FormatInt(p.ID, 10) },
	}
}

// page is what every template gets.
type page struct {
	Title  string
	User   *auth.User
	CSRF   string
	Nav    []view.Link // the header's navigation, from the route table
	Flash  string
	Error  string
	Fields map[string]string
	Data   any
	County config.County // the county the service is for (本县信息)
}

func (h *Handler) render(c *gin.Context, code int, view, title string, data any) {
	h.renderPage(c, code, view, page{Title: title, Data: data, Flash: flash(c)})
}

func (h *Handler) renderPage(c *gin.Context, code int, view string, p page) {
	p.User = User(c)
	p.CSRF = CSRFToken(c)
	p.Nav = h.navFor(p.User, c.Request.URL.Path)
	p.County = h.County
	c.Header("Cache-Control", "no-store")
	h.views.Render(c.Request.Context(), c.Writer, code, view, p)
}

// renderErrorPage is the answer when a page cannot be rendered; it does not
// use a template, which may be what failed.
const renderErrorPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico"><title>系统错误 · 生态环境督查工作台</title></head>
<body><h1>系统错误</h1><p>页面暂时无法显示，已记录错误，请稍后再试或联系系统管理员。</p><p><a href="/office/">返回工作台</a></p></body></html>
`

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
	setCookie(c, flashCookie, url.QueryEscape(msg), 60)
	c.Redirect(http.StatusSeeOther, to)
}

const flashCookie = "ecoreport_flash"

// flash reads and clears the message of the previous POST.
func flash(c *gin.Context) string {
	v := readCookie(c, flashCookie)
	if v == "" {
		return ""
	}
	setCookie(c, flashCookie, "", -1)
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

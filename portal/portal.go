// Package portal is the resident-facing site (群众举报门户): the home page, the
// report form and its receipt, the tracking page with additions, answers,
// ratings and "not solved" requests, and the JSON API for partner apps.
//
// Pages are server-rendered, work without JavaScript and never put a tracking
// code in a URL: the code travels in POST bodies only. No client address is
// logged or stored; rate limits key on a daily-salted hash of it.
package portal

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/captcha"
	"ecoreport/internal/config"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
	"ecoreport/internal/ratelimit"
	"ecoreport/internal/reward"
	"ecoreport/internal/secret"
	store "ecoreport/internal/upload" // "upload" names a test helper here
	"ecoreport/internal/view"
	"ecoreport/internal/web"
	"ecoreport/static"
)

// Deps is what the portal needs from the application.
type Deps struct {
	Ledger  *ledger.Service
	DB      *db.DB
	Keys    *secret.Keys
	Captcha bool   // false: captcha answers are optional (load tests, kiosks); a warning is logged
	DataDir string // uploads go to DataDir/uploads when Uploads is nil
	// Uploads is where photos are stored (internal/upload); the directory
	// DataDir/uploads when nil.
	Uploads  store.Store
	Location *time.Location // for dates shown to people; Asia/Shanghai when nil
	Logger   *slog.Logger   // slog.Default() when nil
	Now      func() time.Time
	Limits   *Limits // DefaultLimits when nil
	Rewards  *reward.Service
	// Conversation is the reporter conversation (additions, messages,
	// ratings, follow-ups); conversation.New(Ledger) when nil.
	Conversation *conversation.Service
	// Assets are the files of static/ the pages link (view.MustAssets(static.FS)
	// when nil); the application serves them (Assets.Register).
	Assets *view.Assets
	// County names the county's hotline and task force on the pages
	// (config.DefaultCounty() when its name is empty).
	County config.County
	// PublicURL is the address residents type (--public-url, e.g.
	// https://hbjb.example.gov.cn), printed on every receipt and in its QR
	// code; when empty the address the request came to is used.
	PublicURL string
	// Photos admits photo work into the process's memory budget
	// (photo.Default when nil).
	Photos *photo.Pool
}

// Limits are the portal's per-instance request limits. docs/portal.md gives
// the figures and why: the captcha is the real gate against machines; the
// per-address limits only cap what one address can do once it has passed,
// and are sized for many honest people behind one address (carrier-grade
// NAT on mobile networks, a village office filing for a queue).
type Limits struct {
	FilePerHour     int // filings that went through, per client per hour (form and API together)
	CaptchaFailHour int // wrong captcha answers per client per hour
	PhotosPer10Min  int // photos cleaned per client per 10 minutes (decoding is the expensive part)
	TrackPerMinute  int // tracking requests per client per minute
	CodePerMinute   int // tracking requests per code or ticket per minute
	CaptchaPerMin   int // new captchas per client per minute
	MaxPhotos       int // photos per filing or addition
	MaxMultipart    int64
	MaxJSON         int64
	MaxForm         int64
}

// DefaultLimits are the limits docs/portal.md documents.
var DefaultLimits = Limits{
	FilePerHour: 30, CaptchaFailHour: 30, PhotosPer10Min: 60, TrackPerMinute: 20, CodePerMinute: 10, CaptchaPerMin: 30,
	MaxPhotos: 6, MaxMultipart: 70 << 20, MaxJSON: 64 << 10, MaxForm: 1 << 20,
}

// Unlimited returns DefaultLimits without the per-client request limits
// (--rate-limits off: load tests from one address, intranet kiosks); body
// size limits stay.
func Unlimited() *Limits {
	l := DefaultLimits
	l.FilePerHour, l.CaptchaFailHour, l.PhotosPer10Min = 1<<30, 1<<30, 1<<30
	l.TrackPerMinute, l.CodePerMinute, l.CaptchaPerMin = 1<<30, 1<<30, 1<<30
	return &l
}

// Handler serves the portal. Create it with New and mount it with Register.
type Handler struct {
	deps       Deps
	ledger     *ledger.Service
	db         *db.DB
	keys       *secret.Keys
	log        *slog.Logger
	loc        *time.Location
	now        func() time.Time
	captcha    *captcha.Captcha
	views      *view.Set
	assets     *view.Assets
	limits     Limits
	hasher     *ratelimit.Hasher
	towns      townCache
	homePage   atomic.Pointer[preparedPage]
	reportPage atomic.Pointer[preparedPage]
	rewards    *reward.Service
	statsCache statsCache
	conv       *conversation.Service
	once       *idempotency.Store
	errs       web.Errors

	photos *photo.Pool

	fileLimit, captchaFailLimit, photoLimit, trackLimit, codeLimit, captchaLimit *ratelimit.Limiter
}

// New builds the handler: it parses the templates (panicking on a broken
// embedded template, which tests catch) and logs a warning when the captcha
// is off.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.County.Name == "" {
		d.County = config.DefaultCounty()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		d.Location = loc
	}
	if d.DB == nil && d.Ledger != nil {
		d.DB = d.Ledger.DB
	}
	if d.Keys == nil && d.Ledger != nil {
		d.Keys = d.Ledger.Keys
	}
	if d.Conversation == nil && d.Ledger != nil {
		d.Conversation = conversation.New(d.Ledger)
	}
	h := &Handler{
		deps: d, ledger: d.Ledger, db: d.DB, keys: d.Keys, log: d.Logger, loc: d.Location, now: d.Now,
		captcha: captcha.New(d.DB, d.Captcha, d.Now),
		limits:  DefaultLimits,
		hasher:  ratelimit.NewHasher(d.Keys.RateKey()),
		rewards: d.Rewards,
		conv:    d.Conversation,
		once:    idempotency.New(d.DB, d.Keys, d.Now),
		errs:    web.Errors{Log: d.Logger, Surface: "portal"},
	}
	if d.Limits != nil {
		h.limits = *d.Limits
	}
	h.photos = d.Photos
	if h.photos == nil {
		h.photos = photo.Default
	}
	h.assets = d.Assets
	if h.assets == nil {
		h.assets = view.MustAssets(static.FS)
	}
	h.views = h.mustViews()
	h.setLimiters()
	if !d.Captcha {
		h.log.Warn("验证码已关闭（--captcha off）：举报和查询不再要求验证码，只应在压力测试或内网终端使用")
	}
	return h
}

func (h *Handler) setLimiters() {
	mk := func(n int, per time.Duration) *ratelimit.Limiter {
		l := ratelimit.New(n, per)
		l.Now = h.now
		return l
	}
	h.fileLimit = mk(h.limits.FilePerHour, time.Hour)
	h.captchaFailLimit = mk(h.limits.CaptchaFailHour, time.Hour)
	h.photoLimit = mk(h.limits.PhotosPer10Min, 10*time.Minute)
	h.trackLimit = mk(h.limits.TrackPerMinute, time.Minute)
	h.codeLimit = mk(h.limits.CodePerMinute, time.Minute)
	h.captchaLimit = mk(h.limits.CaptchaPerMin, time.Minute)
}

// Register mounts the portal's routes: pages, captcha, the public statistics
// and the JSON API. The files its pages link (/static, /favicon.ico) are
// mounted once for every surface by view.Assets.Register.
func (h *Handler) Register(r gin.IRouter) {
	form := bodyLimit(h.limits.MaxForm)
	multi := bodyLimit(h.limits.MaxMultipart)
	js := bodyLimit(h.limits.MaxJSON)
	r.GET("/", h.noStore, h.home)
	r.GET("/report", h.noStore, h.reportForm)
	r.POST("/report", h.noStore, multi, h.reportSubmit)
	r.GET("/report/done", h.noStore, h.receiptPage)
	r.POST("/report/receipt", h.noStore, form, h.receiptDownload)
	r.GET("/track", h.noStore, h.trackForm)
	r.POST("/track", h.noStore, form, h.trackShow)
	r.POST("/track/add", h.noStore, multi, h.trackAdd)
	r.POST("/track/reply", h.noStore, form, h.trackReply)
	r.POST("/track/rate", h.noStore, form, h.trackRate)
	r.POST("/track/followup", h.noStore, form, h.trackFollowup)
	r.POST("/track/photo", h.noStore, form, h.trackPhoto)
	r.POST("/track/reward/claim", h.noStore, form, h.trackRewardClaim)
	r.POST("/track/reward/ask", h.noStore, form, h.trackRewardAsk)
	r.GET("/help", h.help)
	r.GET("/stats", h.stats)
	r.GET("/captcha/:file", h.noStore, h.captchaFile)
	r.GET("/api/v1/captcha", h.noStore, h.apiCaptcha)
	r.POST("/api/v1/complaints", h.noStore, js, h.apiComplaints)
	r.POST("/api/v1/track", h.noStore, js, h.apiTrack)
}

// noStore keeps receipts, tracking pages and tokens out of every cache.
func (h *Handler) noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.Header("Referrer-Policy", "no-referrer")
}

func bodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
	}
}

// clientKey is the rate-limit key of the requesting client: a daily-salted
// HMAC of its address, which is neither logged nor stored.
func (h *Handler) clientKey(c *gin.Context, scope string) string {
	return h.hasher.Key(scope, c.ClientIP(), h.now())
}

// refused is the error of a limit that refused a request for wait.
func refused(wait time.Duration) error {
	return apperr.RateLimited(wait, "操作过于频繁，请"+waitText(wait)+"后再试")
}

// allow counts a request against l; when refused it returns an ERATELIMIT
// error that says when to retry (in its message and as Retry-After).
func (h *Handler) allow(l *ratelimit.Limiter, key string) error {
	if ok, wait := l.Allow(key); !ok {
		return refused(wait)
	}
	return nil
}

func waitText(d time.Duration) string {
	if d <= time.Minute {
		return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "秒"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + "分钟"
}

// logErr logs errors people cannot fix (internal, unavailable) that are not
// answered through h.errs (which logs those itself): a captcha that could
// not be made, a reward block left out. It never logs the request's
// address, headers or form values.
func (h *Handler) logErr(c *gin.Context, what string, err error) {
	switch apperr.Code(err) {
	case apperr.EINTERNAL, apperr.EUNAVAILABLE:
		h.log.ErrorContext(c.Request.Context(), "portal: "+what, "route", c.FullPath(), "err", err)
	}
}

func (h *Handler) ctx(c *gin.Context) context.Context { return c.Request.Context() }

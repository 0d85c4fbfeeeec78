// Package web builds the HTTP engine every part of the service hangs on:
// security headers, request logging that leaves resident addresses out,
// Prometheus metrics, panic recovery, /healthz and /metrics, and the one
// mapping from application error codes to HTTP statuses with the error
// writers every surface answers through (errors.go). What has to happen
// before gin routes a request (HEAD answered as GET, compression) is
// Wrap (outer.go); whether a request came over HTTPS and the shutdown
// switch are scheme.go and drain.go.
package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ecoreport/internal/apperr"
)

// Pinger is what /healthz checks (the database).
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Options configure the engine.
type Options struct {
	Logger *slog.Logger
	DB     Pinger
	// StaffPrefixes are path prefixes whose access log may carry the client
	// address (staff routes). Every other route is logged without it.
	StaffPrefixes []string
	Registry      *prometheus.Registry // nil: a fresh one (NewRegistry)
	// TrustedProxies whose X-Forwarded-For and X-Forwarded-Proto are
	// believed (none by default).
	TrustedProxies []string
	// PublicURL is the address residents and staff type (--public-url);
	// when it is https, every response is treated as sent over TLS (Secure
	// cookies, HSTS) whatever the proxy in front says.
	PublicURL string
	// MetricsToken, when set, also serves /metrics on this engine to a
	// request with "Authorization: Bearer <token>". Without it /metrics is
	// not on the engine at all: the application serves MetricsHandler on a
	// listener of its own (--metrics-addr, loopback by default), because
	// per-route counts of /office/* are nobody's business on the public
	// listener.
	MetricsToken string
	// Drain is the shutdown switch: once on, /healthz answers 503 (and
	// Wrap closes every connection after its response). nil: never.
	Drain *Drain
}

// NewRegistry returns a Prometheus registry with the Go runtime and
// process collectors, for New and MetricsHandler to share.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves the registry in the Prometheus text format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// New returns a gin engine with the common middleware and /healthz (and
// /metrics behind a bearer token when Options.MetricsToken is set).
func New(o Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		e.SetTrustedProxies(nil) // validated with the configuration
	}
	e.HandleMethodNotAllowed = false
	reg := o.Registry
	if reg == nil {
		reg = NewRegistry()
	}
	m := newMetrics(reg)
	errs := Errors{Log: o.Logger, Surface: "web"}
	sch := newScheme(o.PublicURL, o.TrustedProxies)
	e.Use(recovery(errs), sch.middleware, SecurityHeaders(), accessLog(o.Logger, o.StaffPrefixes), m.middleware())
	e.GET("/healthz", func(c *gin.Context) {
		if o.Drain.On() {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "stopping", "message": "服务正在停止"})
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := o.DB.PingContext(ctx); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "数据库无法连接"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
	})
	if o.MetricsToken != "" {
		metrics := MetricsHandler(reg)
		want := []byte("Bearer " + o.MetricsToken)
		e.GET("/metrics", func(c *gin.Context) {
			if subtle.ConstantTimeCompare([]byte(c.GetHeader("Authorization")), want) != 1 {
				c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
				c.String(http.StatusUnauthorized, "需要监控令牌")
				return
			}
			metrics.ServeHTTP(c.Writer, c.Request)
		})
	}
	e.NoRoute(func(c *gin.Context) {
		err := &apperr.Error{Code: apperr.ENOTFOUND, Message: "页面不存在"}
		if wantsJSON(c) {
			errs.JSON(c, err)
			return
		}
		errs.HTML(c, err, func(p Problem) { c.Data(p.Status, "text/html; charset=utf-8", []byte(notFoundPage)) })
	})
	return e
}

const notFoundPage = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>页面不存在</title><body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>页面不存在</h1><p>您访问的页面不存在。<a href="/">返回首页</a></p></body></html>`

// SecurityHeaders sets the headers every response carries: a CSP that allows
// nothing from other origins, nosniff, no framing, no referrer; and HSTS on
// every response that reached the client over HTTPS (see HTTPS).
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
		if HTTPS(c) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

// accessLog logs one line per request. Only staff routes carry the client
// address; resident routes never do (security.md). The line is built from
// typed attributes (slog.LogAttrs: no boxing, no slice per request).
func accessLog(log *slog.Logger, staff []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		ctx := c.Request.Context()
		if !log.Enabled(ctx, slog.LevelInfo) {
			return
		}
		path := c.FullPath()
		if path == "" {
			path = "(no route)"
		}
		a := [7]slog.Attr{slog.String("method", Method(c.Request)), slog.String("route", path), slog.Int("status", c.Writer.Status()),
			slog.Int("bytes", c.Writer.Size()), slog.Int64("ms", time.Since(start).Milliseconds())}
		n := 5
		for _, p := range staff {
			if strings.HasPrefix(c.Request.URL.Path, p) {
				a[n] = slog.String("client", c.ClientIP())
				n++
				break
			}
		}
		if len(c.Errors) > 0 {
			a[n] = slog.String("error", c.Errors.String())
			n++
		}
		log.LogAttrs(ctx, slog.LevelInfo, "request", a[:n]...)
	}
}

// recovery turns a panic into a 500 with a Chinese message and a log line
// (the error writers log every 500).
func recovery(errs Errors) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		err := fmt.Errorf("panic: %v", rec)
		if wantsJSON(c) {
			errs.JSON(c, err)
			return
		}
		errs.HTML(c, err, func(p Problem) { c.Data(p.Status, "text/plain; charset=utf-8", []byte(p.Message)) })
	})
}

func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/") || strings.Contains(c.GetHeader("Accept"), "application/json")
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecoreport_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ecoreport_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		method := Method(c.Request)
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

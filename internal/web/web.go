// Package web builds the HTTP engine every part of the service hangs on:
// security headers, request logging that leaves resident addresses out,
// Prometheus metrics, panic recovery, /healthz and /metrics, and the one
// mapping from application error codes to HTTP statuses.
package web

import (
	"context"
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
	Registry      *prometheus.Registry // nil: a fresh one
	// TrustedProxies whose X-Forwarded-For is believed (none by default).
	TrustedProxies []string
}

// New returns a gin engine with the common middleware and /healthz, /metrics.
func New(o Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		e.SetTrustedProxies(nil) // validated with the configuration
	}
	e.HandleMethodNotAllowed = false
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := newMetrics(reg)
	e.Use(recovery(o.Logger), SecurityHeaders(), accessLog(o.Logger, o.StaffPrefixes), m.middleware())
	e.GET("/healthz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := o.DB.PingContext(ctx); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "数据库无法连接"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.NoRoute(func(c *gin.Context) {
		if wantsJSON(c) {
			JSONError(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "页面不存在"})
			return
		}
		c.Data(http.StatusNotFound, "text/html; charset=utf-8", []byte(notFoundPage))
	})
	return e
}

const notFoundPage = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>页面不存在</title><body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>页面不存在</h1><p>您访问的页面不存在。<a href="/">返回首页</a></p></body></html>`

// SecurityHeaders sets the headers every response carries: a CSP that allows
// nothing from other origins, nosniff, no framing, no referrer.
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
		if c.Request.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

// accessLog logs one line per request. Only staff routes carry the client
// address; resident routes never do (security.md).
func accessLog(log *slog.Logger, staff []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		path := c.FullPath()
		if path == "" {
			path = "(no route)"
		}
		attrs := []any{"method", c.Request.Method, "route", path, "status", c.Writer.Status(),
			"bytes", c.Writer.Size(), "ms", time.Since(start).Milliseconds()}
		for _, p := range staff {
			if strings.HasPrefix(c.Request.URL.Path, p) {
				attrs = append(attrs, "client", c.ClientIP())
				break
			}
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "error", c.Errors.String())
		}
		log.Info("request", attrs...)
	}
}

// recovery turns a panic into a 500 with a Chinese message and a log line.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.Error("panic", "route", c.FullPath(), "panic", err)
		if wantsJSON(c) {
			JSONError(c, &apperr.Error{Code: apperr.EINTERNAL, Message: "系统错误，请稍后再试"})
			return
		}
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("系统错误，请稍后再试"))
		c.Abort()
	})
}

func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/") || strings.Contains(c.GetHeader("Accept"), "application/json")
}

// Status maps an error code to its HTTP status.
func Status(code string) int {
	switch code {
	case apperr.EINVALID:
		return http.StatusUnprocessableEntity
	case apperr.ENOTFOUND:
		return http.StatusNotFound
	case apperr.ECONFLICT, apperr.EBUDGET:
		return http.StatusConflict
	case apperr.EFORBIDDEN:
		return http.StatusForbidden
	case apperr.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case apperr.ERATELIMIT:
		return http.StatusTooManyRequests
	case apperr.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case "":
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

// StatusOf is Status of err's code (500 for an unexpected error).
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return Status(apperr.Code(err))
}

// JSONError writes {"error": {"code", "message", "fields"}} with the status
// of the error's code. Internal errors are logged via c.Error and shown as
// 系统错误 without details.
func JSONError(c *gin.Context, err error) {
	code := apperr.Code(err)
	if code == apperr.EINTERNAL || code == apperr.EUNAVAILABLE {
		c.Error(err)
	}
	body := gin.H{"code": code, "message": apperr.Message(err)}
	if f := apperr.Fields(err); len(f) > 0 {
		body["fields"] = f
	}
	if code == apperr.EUNAVAILABLE {
		c.Header("Retry-After", "5")
	}
	c.AbortWithStatusJSON(Status(code), gin.H{"error": body})
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
		m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
		m.duration.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
	}
}

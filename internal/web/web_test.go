package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

type pinger struct{ err error }

func (p pinger) PingContext(context.Context) error { return p.err }

func engine(t *testing.T, dbErr error) (*gin.Engine, *bytes.Buffer) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := New(Options{Logger: log, DB: pinger{dbErr}, StaffPrefixes: []string{"/office"}})
	e.GET("/", func(c *gin.Context) { c.String(200, "首页") })
	e.GET("/office/x", func(c *gin.Context) { c.String(200, "staff") })
	e.GET("/api/v1/boom", func(c *gin.Context) { panic("boom") })
	e.GET("/api/v1/invalid", func(c *gin.Context) {
		Errors{Log: log}.JSON(c, apperr.Invalid(map[string]string{"description": "请描述发生了什么"}))
	})
	return e, &buf
}

func do(e http.Handler, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.RemoteAddr = "203.0.113.77:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.9")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestHeadersLogsAndErrors(t *testing.T) {
	e, logs := engine(t, nil)
	tests := []struct {
		path       string
		status     int
		body       string
		logsClient bool
	}{
		{"/", 200, "首页", false},
		{"/office/x", 200, "staff", true},
		{"/api/v1/boom", 500, "系统错误", false},
		{"/api/v1/invalid", 422, `"fields":{"description":"请描述发生了什么"}`, false},
		{"/nowhere", 404, "页面不存在", false},
		{"/healthz", 200, `"status":"ok"`, false},
		{"/metrics", 404, "页面不存在", false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			logs.Reset()
			w := do(e, tt.path)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.body) {
				t.Fatalf("%d %s", w.Code, w.Body.String())
			}
			h := w.Header()
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Fatalf("headers %v", h)
			}
			hasAddr := strings.Contains(logs.String(), "203.0.113.77") || strings.Contains(logs.String(), "198.51.100.9")
			if hasAddr != tt.logsClient {
				t.Fatalf("client address in log = %v: %s", hasAddr, logs.String())
			}
		})
	}
}

func TestHealthzWhenDatabaseIsDown(t *testing.T) {
	e, _ := engine(t, errors.New("connection refused"))
	w := do(e, "/healthz")
	if w.Code != 503 || !strings.Contains(w.Body.String(), "数据库无法连接") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
}

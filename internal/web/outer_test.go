package web

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// page is a back-office page of some size: it compresses well.
var page = "<!doctype html><title>月度通报</title>" + strings.Repeat("<tr><td>城关镇</td><td>12</td></tr>", 400)

func outer(t *testing.T, o Options) (http.Handler, *Drain) {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.DB = pinger{}
	if o.Drain == nil {
		o.Drain = &Drain{}
	}
	e := New(o)
	e.GET("/", func(c *gin.Context) { c.Data(200, "text/html; charset=utf-8", []byte(page)) })
	e.GET("/stats", func(c *gin.Context) { c.Data(200, "text/html; charset=utf-8", []byte(page)) })
	e.GET("/static/app.css", func(c *gin.Context) {
		c.Data(200, "text/css; charset=utf-8", []byte(strings.Repeat("a{color:red}", 300)))
	})
	e.GET("/api/v1/towns", func(c *gin.Context) {
		c.Data(200, "application/json", []byte("["+strings.Repeat(`{"name":"城关镇"},`, 200)+"{}]"))
	})
	e.GET("/chart.svg", func(c *gin.Context) {
		c.Data(200, "image/svg+xml", []byte("<svg>"+strings.Repeat("<rect/>", 400)+"</svg>"))
	})
	e.GET("/photo.jpg", func(c *gin.Context) { c.Data(200, "image/jpeg", []byte(strings.Repeat("x", 4000))) })
	e.GET("/cases.csv", func(c *gin.Context) { c.Data(200, "text/csv; charset=utf-8", []byte(strings.Repeat("a,b\n", 1000))) })
	e.GET("/cases.xlsx", func(c *gin.Context) {
		c.Data(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte(strings.Repeat("x", 4000)))
	})
	e.POST("/form", func(c *gin.Context) { c.String(200, "posted") })
	return Wrap(e, o.Drain), o.Drain
}

func send(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = "203.0.113.77:5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestHeadIsAnsweredLikeGet: monitors and link checkers send HEAD; they
// get the status and headers of the GET, and no body.
func TestHeadIsAnsweredLikeGet(t *testing.T) {
	h, _ := outer(t, Options{})
	for _, path := range []string{"/", "/healthz", "/stats", "/static/app.css"} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			get, head := send(h, "GET", path), send(h, "HEAD", path)
			if head.Code != 200 || get.Code != 200 {
				t.Fatalf("HEAD %d, GET %d", head.Code, get.Code)
			}
			if head.Header().Get("Content-Type") != get.Header().Get("Content-Type") || head.Header().Get("Content-Security-Policy") == "" {
				t.Fatalf("HEAD headers %v", head.Header())
			}
		})
	}
	t.Run("NotFoundStays404", func(t *testing.T) {
		if w := send(h, "HEAD", "/nowhere"); w.Code != 404 {
			t.Fatalf("%d", w.Code)
		}
	})
	t.Run("PostOnlyIsNoGet", func(t *testing.T) {
		if w := send(h, "HEAD", "/form"); w.Code != 404 {
			t.Fatalf("%d", w.Code)
		}
	})
}

// TestCompression: text the browser renders is gzipped for a client that
// asks; images and downloads go out as they are.
func TestCompression(t *testing.T) {
	h, _ := outer(t, Options{})
	tests := []struct {
		path string
		gzip bool
	}{
		{"/", true},
		{"/static/app.css", true},
		{"/api/v1/towns", true},
		{"/chart.svg", true},
		{"/photo.jpg", false},
		{"/cases.csv", false},
		{"/cases.xlsx", false},
	}
	for _, tt := range tests {
		t.Run(strings.Trim(tt.path, "/"), func(t *testing.T) {
			plain := send(h, "GET", tt.path)
			w := send(h, "GET", tt.path, "Accept-Encoding", "gzip")
			got := w.Header().Get("Content-Encoding") == "gzip"
			if got != tt.gzip || plain.Header().Get("Content-Encoding") != "" {
				t.Fatalf("Content-Encoding %q (plain %q), want gzip %v", w.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"), tt.gzip)
			}
			if !tt.gzip {
				return
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil || string(body) != plain.Body.String() {
				t.Fatalf("gunzipped body differs (%v)", err)
			}
			if w.Body.Len() >= plain.Body.Len()/2 {
				t.Fatalf("%d bytes compressed of %d", w.Body.Len(), plain.Body.Len())
			}
		})
	}
}

// TestMetricsAreNotOnThePublicListener: /metrics is 404 on the engine
// unless a token is configured, and then needs it.
func TestMetricsAreNotOnThePublicListener(t *testing.T) {
	h, _ := outer(t, Options{})
	if w := send(h, "GET", "/metrics"); w.Code != 404 || strings.Contains(w.Body.String(), "ecoreport_http") {
		t.Fatalf("public /metrics: %d %s", w.Code, w.Body.String())
	}
	h, _ = outer(t, Options{MetricsToken: "s3cret-token"})
	tests := []struct {
		name, auth string
		code       int
	}{
		{"ErrNoToken", "", 401},
		{"ErrWrongToken", "Bearer s3cret-tokex", 401},
		{"OK", "Bearer s3cret-token", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(h, "GET", "/metrics", "Authorization", tt.auth)
			if w.Code != tt.code || (tt.code == 200) != strings.Contains(w.Body.String(), "ecoreport_http_requests_total") {
				t.Fatalf("%d %.200s", w.Code, w.Body.String())
			}
		})
	}
}

// TestHTTPSBehindTheProxy: HSTS (and, in the office, Secure cookies) when
// the public URL is https or a trusted proxy says the client used https;
// nobody else can say so.
func TestHTTPSBehindTheProxy(t *testing.T) {
	tests := []struct {
		name      string
		o         Options
		remote    string
		proto     string
		wantHTTPS bool
	}{
		{"PlainHTTP", Options{}, "203.0.113.77:5555", "", false},
		{"PublicURLHTTPS", Options{PublicURL: "https://jubao.example.gov.cn"}, "203.0.113.77:5555", "", true},
		{"PublicURLHTTP", Options{PublicURL: "http://10.0.0.5:8080"}, "203.0.113.77:5555", "", false},
		{"TrustedProxySaysHTTPS", Options{TrustedProxies: []string{"10.0.0.0/8"}}, "10.1.2.3:4000", "https", true},
		{"TrustedProxyByAddress", Options{TrustedProxies: []string{"10.1.2.3"}}, "10.1.2.3:4000", "https, http", true},
		{"TrustedProxySaysHTTP", Options{TrustedProxies: []string{"10.0.0.0/8"}}, "10.1.2.3:4000", "http", false},
		{"ErrUntrustedClaimsHTTPS", Options{TrustedProxies: []string{"10.0.0.0/8"}}, "203.0.113.77:5555", "https", false},
		{"ErrNoProxiesConfigured", Options{}, "10.1.2.3:4000", "https", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := outer(t, tt.o)
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if seen := w.Header().Get("Strict-Transport-Security") != ""; seen != tt.wantHTTPS {
				t.Fatalf("HSTS %v, want %v", seen, tt.wantHTTPS)
			}
		})
	}
}

// TestDrainFailsHealthzAndClosesConnections: once the server stops,
// /healthz says so and every response closes its connection.
func TestDrainFailsHealthzAndClosesConnections(t *testing.T) {
	h, d := outer(t, Options{})
	if w := send(h, "GET", "/healthz"); w.Code != 200 || w.Header().Get("Connection") == "close" {
		t.Fatalf("before: %d %v", w.Code, w.Header())
	}
	d.Start()
	if w := send(h, "GET", "/healthz"); w.Code != 503 || !strings.Contains(w.Body.String(), "服务正在停止") || w.Header().Get("Connection") != "close" {
		t.Fatalf("healthz while draining: %d %v %s", w.Code, w.Header(), w.Body.String())
	}
	if w := send(h, "GET", "/"); w.Code != 200 || w.Header().Get("Connection") != "close" {
		t.Fatalf("page while draining: %d %v", w.Code, w.Header())
	}
}

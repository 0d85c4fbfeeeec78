package view

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/static"
)

func TestAssets(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	testAssets.Register(r)
	get := func(method, target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		return w
	}
	css, err := testAssets.URL("site.css")
	if err != nil || !strings.HasPrefix(css, "/static/site.css?v=") || len(css) != len("/static/site.css?v=")+12 {
		t.Fatalf("URL %q %v", css, err)
	}
	for _, tt := range []struct {
		name, method, target string
		code                 int
		cache, ctype, body   string
	}{
		{"CurrentHashCachedForAYear", "GET", css, 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", "body{margin:0}"},
		{"OldHashCachedBriefly", "GET", "/static/site.css?v=000000000000", 200, "public, max-age=300", "text/css; charset=utf-8", "body{margin:0}"},
		{"NoHashCachedBriefly", "GET", "/static/site.css", 200, "public, max-age=300", "text/css; charset=utf-8", "body{margin:0}"},
		{"Head", "HEAD", css, 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", ""},
		{"Favicon", "GET", "/favicon.ico", 200, "public, max-age=86400", "image/x-icon", "\x00\x00\x01\x00icon"},
		{"FaviconHead", "HEAD", "/favicon.ico", 200, "public, max-age=86400", "image/x-icon", ""},
		{"ErrUnknownFile", "GET", "/static/nope.css", 404, "", "", ""},
		{"ErrGoSource", "GET", "/static/embed.go", 404, "", "", ""},
		{"ErrClimbOut", "GET", "/static/../go.mod", 404, "", "", ""},
		{"ErrClimbOutEncoded", "GET", "/static/..%2fgo.mod", 404, "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := get(tt.method, tt.target)
			if w.Code != tt.code {
				t.Fatalf("%d", w.Code)
			}
			if tt.code != 200 {
				return
			}
			if w.Header().Get("Cache-Control") != tt.cache || w.Header().Get("Content-Type") != tt.ctype ||
				w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Body.String() != tt.body {
				t.Fatalf("%v %q", w.Header(), w.Body)
			}
		})
	}
	t.Run("ErrUnknownURL", func(t *testing.T) {
		if _, err := testAssets.URL("nope.css"); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestEmbeddedAssets: the files the layouts link are in static/, and the
// icon is a real one.
func TestEmbeddedAssets(t *testing.T) {
	a := MustAssets(static.FS)
	for _, name := range []string{"portal.css", "portal.js", "office.css", "office.js", "print.css", "bulletin.css", Favicon} {
		if _, err := a.URL(name); err != nil {
			t.Error(err)
		}
	}
	if ico := a.files[Favicon].body; len(ico) < 22 || !strings.HasPrefix(string(ico), "\x00\x00\x01\x00") {
		t.Errorf("favicon: %d bytes", len(ico))
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/favicon.ico", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/x-icon" {
		t.Errorf("favicon %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

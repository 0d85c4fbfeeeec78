package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ecoreport/internal/web"
)

// TestOnWebEngine mounts the portal on the application's engine (security
// headers, access log) and checks the routes work there and the whole log,
// access lines included, holds no client address.
func TestOnWebEngine(t *testing.T) {
	v := newEnv(t, false)
	e := web.New(web.Options{Logger: v.h.log, DB: v.db, StaffPrefixes: []string{"/office"}})
	v.h.Register(e)
	v.e = e
	code := fileOne(t, v)
	w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
	if w.Code != http.StatusOK {
		t.Fatalf("track = %d", w.Code)
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatal("no CSP")
	}
	v.postJSON("/api/v1/track", `{"code":"x"}`)
	logs := v.log.String()
	if !strings.Contains(logs, "/track") {
		t.Fatalf("no access log lines:\n%s", logs)
	}
	if strings.Contains(logs, clientAddr) {
		t.Fatalf("client address logged:\n%s", logs)
	}
}

// TestFavicon: browsers ask for /favicon.ico on every first visit; every
// layout links to it (the assets serve it, see package view).
func TestFavicon(t *testing.T) {
	v := newEnv(t, false)
	for _, p := range []string{"/", "/report", "/track", "/stats"} {
		if b := v.get(p).Body.String(); !strings.Contains(b, `<link rel="icon" href="/favicon.ico">`) {
			t.Errorf("%s: no icon link", p)
		}
	}
}

package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryViewRenders walks the resident's pages (home, report, receipt and
// its printable copy, tracking, statistics, an error) and then checks that
// every view of the portal has rendered in full at least once, and that no
// page carries inline CSS: every rule is in static/portal.css.
func TestEveryViewRenders(t *testing.T) {
	v := newEnv(t, false)
	v.h.codeLimit.Limit, v.h.trackLimit.Limit = 1000, 1000
	page := func(w interface {
		Result() *http.Response
	}, body string, want int) {
		t.Helper()
		if code := w.Result().StatusCode; code != want {
			t.Fatalf("status %d, want %d:\n%s", code, want, body)
		}
		if strings.Contains(body, "<style") || strings.Contains(body, " style=") {
			t.Fatalf("inline CSS:\n%s", body)
		}
		if !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
			t.Fatalf("page cut short:\n%s", body)
		}
	}
	for _, p := range []string{"/", "/report", "/track", "/stats", "/help"} {
		w := v.get(p)
		page(w, w.Body.String(), http.StatusOK)
	}
	w0 := v.get(receiptPath) // no receipt cookie: the page that says where the code was
	page(w0, w0.Body.String(), http.StatusGone)
	code := fileOne(t, v) // the receipt
	w := v.post("/report/receipt", url.Values{"csrf": {v.token()}, "code": {code}})
	page(w, w.Body.String(), http.StatusOK)
	w = v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
	page(w, w.Body.String(), http.StatusOK)
	w = v.post("/track/photo", url.Values{"csrf": {"wrong"}, "code": {code}}) // the error page
	page(w, w.Body.String(), http.StatusForbidden)

	for _, name := range v.h.views.Views() {
		if v.h.views.Rendered(name) == 0 {
			t.Errorf("view %s never rendered", name)
		}
	}
}

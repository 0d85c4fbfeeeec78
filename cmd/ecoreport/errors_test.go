package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/partner"
	"ecoreport/internal/web"
)

// TestErrorsOfTheRealService provokes errors with real requests on every
// surface of the running service and checks each answer's status, shape and
// Retry-After, and that internal details (table names, SQL) never show.
// The per-surface tests walk every code through each writer; this one
// checks the wiring.
func TestErrorsOfTheRealService(t *testing.T) {
	m, _ := MustRunMain(t)
	base := "http://" + m.Addr()
	key, err := partner.New(m.DB).Add(context.Background(), "county-app")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, ctype, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	csrf := func(path string) string {
		_, body := do("GET", path, "", "")
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no csrf token on %s", path)
		}
		return m[1]
	}
	portalTok, officeTok := csrf("/track"), csrf("/office/login")
	form := "application/x-www-form-urlencoded"
	js := "application/json"

	type shape int
	const (
		page shape = iota
		jsonBody
		open311
	)
	tests := []struct {
		name   string
		method string
		path   string
		ctype  string
		body   string
		status int
		shape  shape
		code   string // JSON error code
	}{
		{"PortalForgedForm", "POST", "/track", form, url.Values{"csrf": {"forged"}, "code": {"AAAA"}}.Encode(), 403, page, ""},
		{"PortalUnknownCode", "POST", "/track", form, url.Values{"csrf": {portalTok}, "code": {"ABCD-EFGH-JKMN-PQRS"}}.Encode(), 404, page, ""},
		{"PortalNoCode", "POST", "/track", form, url.Values{"csrf": {portalTok}}.Encode(), 422, page, ""},
		{"PortalNoRoute", "GET", "/no/such/page", "", "", 404, page, ""},
		{"APIMalformed", "POST", "/api/v1/track", js, `{"code":`, 400, jsonBody, "EMALFORMED"},
		{"APINoCode", "POST", "/api/v1/track", js, `{}`, 422, jsonBody, "EINVALID"},
		{"APIUnknownCode", "POST", "/api/v1/track", js, `{"code":"ABCD-EFGH-JKMN-PQRS"}`, 404, jsonBody, "ENOTFOUND"},
		{"APITooLarge", "POST", "/api/v1/complaints", js, `{"description":"` + strings.Repeat("x", 100<<10) + `"}`, 413, jsonBody, "ETOOLARGE"},
		{"APINoRoute", "GET", "/api/v1/nothing", "", "", 404, jsonBody, "ENOTFOUND"},
		{"Open311NoKey", "POST", "/open311/v2/requests.json", form, "service_code=air", 403, open311, ""},
		{"Open311NotAForm", "POST", "/open311/v2/requests.json", "text/plain", "x", 400, open311, ""},
		{"Open311BadStatus", "GET", "/open311/v2/requests.json?status=pending", "", "", 422, open311, ""},
		{"Open311Unknown", "GET", "/open311/v2/requests/R9999999.json", "", "", 404, open311, ""},
		{"OfficeForgedForm", "POST", "/office/login", form, url.Values{"csrf": {"forged"}, "username": {"admin"}}.Encode(), 403, page, ""},
		{"OfficeBadLogin", "POST", "/office/login", form, url.Values{"csrf": {officeTok}, "username": {"nobody"}, "password": {"x"}}.Encode(), 401, page, ""},
		{"HotlineUnsigned", "POST", "/api/hotline/v1/tickets", js, `[]`, 401, jsonBody, "EUNAUTHORIZED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(tt.method, tt.path, tt.ctype, tt.body)
			checkAnswer(t, resp, body, tt.status)
			switch tt.shape {
			case page:
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("not a page: %s", resp.Header.Get("Content-Type"))
				}
			case jsonBody:
				var b web.ErrorBody
				if err := json.Unmarshal([]byte(body), &b); err != nil || b.Error.Code != tt.code || b.Error.Message == "" {
					t.Fatalf("JSON error body %s, want code %s", body, tt.code)
				}
			case open311:
				var items []struct{ Code int }
				if err := json.Unmarshal([]byte(body), &items); err != nil || len(items) != 1 || items[0].Code != tt.status {
					t.Fatalf("Open311 errors body %s", body)
				}
			}
		})
	}

	t.Run("RateLimitCarriesRetryAfter", func(t *testing.T) {
		var resp *http.Response
		var body string
		for i := 0; i < 30; i++ {
			if resp, body = do("POST", "/api/v1/track", js, `{"code":"ABCD-EFGH-JKMN-PQR`+string(rune('A'+i%20))+`"}`); resp.StatusCode == 429 {
				break
			}
		}
		checkAnswer(t, resp, body, 429)
		if resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `"code":"ERATELIMIT"`) {
			t.Fatalf("429 without Retry-After: %v %s", resp.Header, body)
		}
	})

	// A broken database: the answers are 500 with a generic message, the
	// table's name never shows.
	for _, q := range []string{`DROP TABLE open311_keys`, `DROP TABLE hotline_clients`} {
		if _, err := m.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Open311Internal", func(t *testing.T) {
		resp, body := do("POST", "/open311/v2/requests.json", form, "api_key="+key)
		checkAnswer(t, resp, body, 500)
	})
	t.Run("HotlineInternal", func(t *testing.T) {
		now := strconv.FormatInt(time.Now().Unix(), 10)
		resp, body := do("POST", "/api/hotline/v1/tickets", js, `[]`, "X-Client", "c", "X-Timestamp", now, "X-Signature", "00")
		checkAnswer(t, resp, body, 500)
		if !strings.Contains(body, `"code":"EINTERNAL"`) {
			t.Fatalf("body %s", body)
		}
	})
}

func checkAnswer(t *testing.T, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if r := resp.Header.Get("Retry-After"); (r != "") != (status == 429 || status == 503) {
		t.Fatalf("Retry-After %q on %d", r, status)
	}
	for _, leak := range []string{"SELECT", "INSERT", "open311_keys", "hotline_clients", "sql:", "no such table", "doesn't exist"} {
		if strings.Contains(body, leak) {
			t.Fatalf("the answer leaks %q: %s", leak, body)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ecoreport/hotline"
	"ecoreport/internal/partner"
)

// nasty are the values security.md promises to survive: each goes into every
// text field of every public form and API.
var nasty = map[string]string{
	"script":     `<script>alert(1)</script>`,
	"sql":        `' OR 1=1 -- ; DROP TABLE complaints;`,
	"path":       `../../etc/passwd`,
	"nul":        "河边\x00倒垃圾，每天都有人在这里倒垃圾",
	"badUTF8":    "河边\xff\xfe倒垃圾，每天都有人在这里倒垃圾",
	"longWord":   strings.Repeat("噪", 5000),
	"emoji":      "🏭💨🏭💨 烟囱一直冒黑烟，味道很大 😷",
	"gb18030":    "𠀀𪚥𰻞𰻞面馆后厨油烟直排，䶮䶵附近",
	"controlTab": "夜里\u202e施工\u0007噪声，吵得无法入睡，已经持续一周",
	"huge":       strings.Repeat("这是一段很长的描述。", 1<<20/10), // ~10 MB of UTF-8
}

// TestHostileInputNeverBreaksTheService pushes every nasty value through every
// public form and API of the running service: the answer is always a 4xx with
// a message or a success that stores the text as text, never a 5xx, and no
// unrelated row changes.
func TestHostileInputNeverBreaksTheService(t *testing.T) {
	m, _ := MustRunMain(t)
	ctx := context.Background()
	base := "http://" + m.Addr()
	key, err := partner.New(m.DB).Add(ctx, "fuzz-partner")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := (&hotline.Clients{DB: m.DB, Keys: m.Keys}).Add(ctx, "fuzz-hotline")
	if err != nil {
		t.Fatal(err)
	}
	// One complaint that must never change, whatever else happens.
	witness, err := http.Post(base+"/api/v1/complaints", "application/json", strings.NewReader(
		`{"categories":["air"],"town":"城关镇","description":"证人举报：工厂夜里排放黑烟，气味刺鼻。","identity":"anonymous"}`))
	if err != nil || witness.StatusCode != 201 {
		t.Fatalf("witness: %v %v", err, witness)
	}
	witness.Body.Close()
	snapshot := func() string {
		var rows []string
		if err := m.DB.Select(&rows, `SELECT CONCAT(id, '|', status, '|', description, '|', updated_at) FROM complaints WHERE description LIKE '证人举报%'`); err != nil {
			// SQLite has no CONCAT before 3.44; fall back to ||.
			if err := m.DB.Select(&rows, `SELECT id || '|' || status || '|' || description || '|' || updated_at FROM complaints WHERE description LIKE '证人举报%'`); err != nil {
				t.Fatal(err)
			}
		}
		return strings.Join(rows, "\n")
	}
	before := snapshot()

	client := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(t *testing.T, req *http.Request) (int, string) {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b)
	}
	jsonReq := func(path string, v any) *http.Request {
		b, _ := json.Marshal(v)
		r, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	formReq := func(path string, f url.Values) *http.Request {
		r, _ := http.NewRequest("POST", base+path, strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	rawJSON := func(path, body string) *http.Request {
		r, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	signed := func(body []byte) *http.Request {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r, _ := http.NewRequest("POST", base+"/api/hotline/v1/tickets", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(hotline.HeaderClient, "fuzz-hotline")
		r.Header.Set(hotline.HeaderTimestamp, ts)
		r.Header.Set(hotline.HeaderSignature, hotline.Sign([]byte(secret), ts, body))
		return r
	}

	type target struct {
		name string
		req  func(v string) *http.Request
	}
	targets := []target{
		{"api-complaint-description", func(v string) *http.Request {
			return jsonReq("/api/v1/complaints", map[string]any{"categories": []string{"air"}, "town": "城关镇", "description": v, "identity": "anonymous"})
		}},
		{"api-complaint-every-field", func(v string) *http.Request {
			return jsonReq("/api/v1/complaints", map[string]any{"categories": []string{v}, "town": v, "address": v, "subject": v,
				"description": v, "identity": v, "name": v, "phone": v, "captcha_id": v, "captcha_solution": v})
		}},
		{"api-track-code", func(v string) *http.Request { return jsonReq("/api/v1/track", map[string]any{"code": v}) }},
		{"api-track-ticket", func(v string) *http.Request {
			return jsonReq("/api/v1/track", map[string]any{"ticket_no": v, "phone_last4": v})
		}},
		{"api-raw-body", func(v string) *http.Request { return rawJSON("/api/v1/complaints", v) }},
		{"form-track", func(v string) *http.Request {
			return formReq("/track", url.Values{"code": {v}, "ticket_no": {v}, "phone_last4": {v}})
		}},
		{"form-report", func(v string) *http.Request {
			return formReq("/report", url.Values{"categories": {"air"}, "town": {v}, "description": {v}, "identity": {"anonymous"}})
		}},
		{"open311-post", func(v string) *http.Request {
			return formReq("/open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"air"}, "attribute[town]": {"1"},
				"address_string": {v}, "description": {v}, "first_name": {v}, "phone": {v}, "attribute[subject]": {v}})
		}},
		{"open311-query", func(v string) *http.Request {
			r, _ := http.NewRequest("GET", base+"/open311/v2/requests.xml?service_request_id="+url.QueryEscape(v)+"&start_date="+url.QueryEscape(v), nil)
			return r
		}},
		{"hotline-push", func(v string) *http.Request {
			b, _ := json.Marshal([]map[string]any{{"ticket_no": "FUZZ" + strconv.Itoa(len(v)), "received_at": v, "content": v, "caller_phone": v, "town": v, "category": v}})
			return signed(b)
		}},
		{"hotline-push-unsigned", func(v string) *http.Request { return rawJSON("/api/hotline/v1/tickets", v) }},
	}
	for _, tg := range targets {
		for name, v := range nasty {
			t.Run(tg.name+"/"+name, func(t *testing.T) {
				code, body := send(t, tg.req(v))
				if code >= 500 {
					t.Fatalf("%d %s", code, body[:min(len(body), 300)])
				}
				if code >= 400 && code != 404 && code != 401 && code != 403 && code != 429 && strings.TrimSpace(body) == "" {
					t.Fatalf("%d with no message", code)
				}
				if strings.Contains(body, "<script>alert(1)</script>") {
					t.Fatalf("script echoed unescaped: %s", body[:min(len(body), 300)])
				}
			})
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("an unrelated complaint changed:\n%s\n%s", before, after)
	}
	// Whatever was stored is stored as text: valid UTF-8, without NUL.
	var stored []struct {
		Channel     string `db:"channel"`
		Description string `db:"description"`
		Address     string `db:"address"`
		Subject     string `db:"subject"`
	}
	if err := m.DB.Select(&stored, `SELECT channel, description, address, subject FROM complaints`); err != nil {
		t.Fatal(err)
	}
	for _, c := range stored {
		for _, v := range []string{c.Description, c.Address, c.Subject} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Fatalf("a %s complaint holds bad text: %q", c.Channel, v[:min(len(v), 80)])
			}
		}
	}
}

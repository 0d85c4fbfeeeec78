package portal

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"ecoreport/internal/ledger"
)

// apiFile posts a JSON filing with an Idempotency-Key (none when key is
// nil), without the env's cookie jar, so that it may run concurrently.
func (v *env) apiFile(key *string, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/complaints", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = clientAddr + ":5555"
	if key != nil {
		req.Header.Set(IdempotencyHeader, *key)
	}
	w := httptest.NewRecorder()
	v.e.ServeHTTP(w, req)
	return w
}

func ptr(s string) *string { return &s }

const (
	apiBodyA = `{"categories":["air"],"town":"城关镇","address":"东街","subject":"某厂","description":"夜间施工噪声很大，持续到凌晨两点。","identity":"anonymous"}`
	// apiBodyA2 is A spaced and ordered otherwise, with a captcha.
	apiBodyA2 = `{ "identity":"anonymous", "categories":["air"],"town":"城关镇","address":"东街","subject":"某厂","description":"夜间施工噪声很大，持续到凌晨两点。", "captcha_id":"x","captcha_solution":"123456"}`
	apiBodyB  = `{"categories":["noise"],"town":"城关镇","address":"西街","subject":"某厂","description":"夜间施工噪声很大，持续到凌晨三点。","identity":"anonymous"}`
)

// TestAPIIdempotencyKey files through the JSON API with and without a key,
// alone and in group commit: the same key and body file once and answer
// the same; another body under the key is 409 naming the header; a bad key
// names the header; no key files every time.
func TestAPIIdempotencyKey(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(map[bool]string{false: "Alone", true: "Batched"}[batched], func(t *testing.T) {
			v := newEnv(t, false)
			v.h.limits = *Unlimited()
			v.h.setLimiters()
			if batched {
				b := v.svc.StartBatching(ledger.DefaultBatch)
				t.Cleanup(b.Stop)
			}
			steps := []struct {
				name       string
				key        *string
				body       string
				status     int
				complaints int    // complaints after the step
				sameAs     string // the step whose answer this one repeats
				contains   string
			}{
				{name: "first", key: ptr("order-1"), body: apiBodyA, status: 201, complaints: 1},
				{name: "again", key: ptr("order-1"), body: apiBodyA, status: 201, complaints: 1, sameAs: "first"},
				{name: "again respaced, another captcha", key: ptr("order-1"), body: apiBodyA2, status: 201, complaints: 1, sameAs: "first"},
				{name: "other body", key: ptr("order-1"), body: apiBodyB, status: 409, complaints: 1, contains: "Idempotency-Key"},
				{name: "new key", key: ptr("order-2"), body: apiBodyA, status: 201, complaints: 2},
				{name: "empty key", key: ptr(""), body: apiBodyA, status: 422, complaints: 2, contains: "Idempotency-Key"},
				{name: "key with a control character", key: ptr("a\tb"), body: apiBodyA, status: 422, complaints: 2, contains: "Idempotency-Key"},
				{name: "key too long", key: ptr(strings.Repeat("k", 256)), body: apiBodyA, status: 422, complaints: 2, contains: "255"},
				{name: "longest key", key: ptr(strings.Repeat("k", 255)), body: apiBodyA, status: 201, complaints: 3},
				{name: "no key", body: apiBodyA, status: 201, complaints: 4},
				{name: "no key again", body: apiBodyA, status: 201, complaints: 5},
			}
			answers := map[string]string{}
			for _, s := range steps {
				w := v.apiFile(s.key, s.body)
				if w.Code != s.status {
					t.Fatalf("%s: %d %s, want %d", s.name, w.Code, w.Body, s.status)
				}
				answers[s.name] = w.Body.String()
				if s.sameAs != "" && answers[s.sameAs] != w.Body.String() {
					t.Fatalf("%s: answered %s, want %s", s.name, w.Body, answers[s.sameAs])
				}
				if s.contains != "" && !strings.Contains(w.Body.String(), s.contains) {
					t.Fatalf("%s: %s does not name %q", s.name, w.Body, s.contains)
				}
				if n := v.count("complaints"); n != s.complaints {
					t.Fatalf("%s: %d complaints, want %d", s.name, n, s.complaints)
				}
			}
			if answers["no key"] == answers["no key again"] {
				t.Fatal("two filings without a key answered the same code")
			}
			// The database holds neither the key nor the code in clear.
			var rows []struct{ ID, BodyHash, Answer string }
			if err := v.db.Select(&rows, "SELECT id AS id, body_hash AS bodyhash, answer AS answer FROM idempotency_keys"); err != nil || len(rows) != 3 {
				t.Fatalf("%d key rows: %v", len(rows), err)
			}
			stored := ""
			for _, r := range rows {
				stored += r.ID + r.BodyHash + r.Answer
			}
			code := regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(answers["first"])
			for _, clear := range []string{"order-1", code, strings.ReplaceAll(code, "-", "")} {
				if clear == "" || strings.Contains(stored, clear) {
					t.Fatalf("stored row %q holds %q", stored, clear)
				}
			}
		})
	}
}

// TestAPIIdempotencyConcurrent sends one key 20 times at once: exactly one
// complaint, and every answer that one's answer or 409 in flight.
func TestAPIIdempotencyConcurrent(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(map[bool]string{false: "Alone", true: "Batched"}[batched], func(t *testing.T) {
			v := newEnv(t, false)
			v.h.limits = *Unlimited()
			v.h.setLimiters()
			if batched {
				b := v.svc.StartBatching(ledger.DefaultBatch)
				t.Cleanup(b.Stop)
			}
			const n = 20
			out := make([]*httptest.ResponseRecorder, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					out[i] = v.apiFile(ptr("same-key"), apiBodyA)
				}()
			}
			close(start)
			wg.Wait()
			if c := v.count("complaints"); c != 1 {
				t.Fatalf("%d complaints, want 1", c)
			}
			first := ""
			for i, w := range out {
				switch {
				case w.Code == http.StatusConflict && strings.Contains(w.Body.String(), "请求正在处理"):
				case w.Code == http.StatusCreated:
					if first == "" {
						first = w.Body.String()
					}
					if w.Body.String() != first {
						t.Fatalf("answer %d %s, another was %s", i, w.Body, first)
					}
				default:
					t.Fatalf("answer %d: %d %s", i, w.Code, w.Body)
				}
			}
			if first == "" {
				t.Fatal("no request answered 201")
			}
		})
	}
}

// TestOpen311IdempotencyKey: a partner's key files once and answers the
// same in either format; another body is 409; keys are the partner's own.
func TestOpen311IdempotencyKey(t *testing.T) {
	v := newO311Env(t)
	post := func(path, key string, f url.Values) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if key != "" {
			r.Header.Set(IdempotencyHeader, key)
		}
		v.e.ServeHTTP(w, r)
		return w
	}
	other := v.form()
	other.Set("description", "城关镇北门外的砖厂每天夜里排放刺鼻黑烟，持续三周了")
	first := post("/open311/v2/requests.json", "k1", v.form())
	if first.Code != 200 || !strings.Contains(first.Body.String(), "tracking_code") {
		t.Fatalf("first = %d %s", first.Code, first.Body)
	}
	steps := []struct {
		name, path, key string
		form            url.Values
		status          int
		complaints      int
		same            bool
		contains        string
	}{
		{"again", "/open311/v2/requests.json", "k1", v.form(), 200, 1, true, ""},
		{"again as xml", "/open311/v2/requests.xml", "k1", v.form(), 200, 1, false, "<tracking_code>"},
		{"other body", "/open311/v2/requests.json", "k1", other, 409, 1, false, "Idempotency-Key"},
		{"bad key", "/open311/v2/requests.json", "ключ", v.form(), 422, 1, false, "Idempotency-Key"},
		{"new key", "/open311/v2/requests.json", "k2", v.form(), 200, 2, false, ""},
		{"no key", "/open311/v2/requests.json", "", v.form(), 200, 3, false, ""},
	}
	for _, s := range steps {
		w := post(s.path, s.key, s.form)
		if w.Code != s.status {
			t.Fatalf("%s: %d %s", s.name, w.Code, w.Body)
		}
		if s.same && w.Body.String() != first.Body.String() {
			t.Fatalf("%s: %s, want %s", s.name, w.Body, first.Body)
		}
		if s.contains != "" && !strings.Contains(w.Body.String(), s.contains) {
			t.Fatalf("%s: %s does not name %q", s.name, w.Body, s.contains)
		}
		if n := o311Count(t, v.db, "complaints"); n != s.complaints {
			t.Fatalf("%s: %d complaints, want %d", s.name, n, s.complaints)
		}
	}
	var x struct {
		Requests []o311Filed `xml:"request"`
	}
	var j []o311Filed
	o311Decode(t, "json", first.Body.Bytes(), &j)
	o311Decode(t, "xml", post("/open311/v2/requests.xml", "k1", v.form()).Body.Bytes(), &x)
	if len(j) != 1 || len(x.Requests) != 1 || j[0] != x.Requests[0] {
		t.Fatalf("json %v, xml %v", j, x.Requests)
	}
}

// TestReportFormFilesOnce: a form sent twice (a double click, a retry
// after a lost answer) files once and both land on the same receipt; a
// re-render after a field error keeps the key; another body under the key
// asks again with a new key; a form without a key files as before.
func TestReportFormFilesOnce(t *testing.T) {
	for _, captchaOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "NoCaptcha", true: "Captcha"}[captchaOn], func(t *testing.T) {
			v := newEnv(t, captchaOn)
			v.h.limits = *Unlimited()
			v.h.setLimiters()
			keyRE := regexp.MustCompile(`name="form_key" value="([0-9a-f]{32})"`)
			page := v.get("/report").Body.String()
			key := find(t, keyRE, page)
			f := v.reportForm() // a second rendering: its own key
			if f.Get("csrf") == "" {
				t.Fatal("no form")
			}
			f.Set("form_key", key)

			// A field error first: the form comes back with the same key.
			bad := url.Values{}
			for k, vs := range f {
				bad[k] = vs
			}
			bad.Set("description", "太短")
			w := v.postMultipart("/report", bad)
			if w.Code != 422 || find(t, keyRE, w.Body.String()) != key {
				t.Fatalf("re-render %d keeps key %v", w.Code, keyRE.FindStringSubmatch(w.Body.String()))
			}
			if captchaOn { // the re-render's captcha, as the resident solves it
				id := find(t, captchaRE, w.Body.String())
				f.Set("captcha_id", id)
				f.Set("captcha_solution", v.h.captcha.Answer(t.Context(), id))
			}

			r1 := v.submit(f)
			code1 := findCode(t, r1.Body.String())
			delete(v.jar, receiptCookie) // the first answer lost: no receipt cookie
			r2 := v.submit(f)
			if r2.Code != 200 {
				t.Fatalf("second submit %d %s", r2.Code, r2.Body)
			}
			if code2 := findCode(t, r2.Body.String()); code2 != code1 {
				t.Fatalf("second submit shows %s, the first %s", code2, code1)
			}
			if n := v.count("complaints"); n != 1 {
				t.Fatalf("%d complaints after a double submit", n)
			}

			// Another body under the key: asked again, with a new key.
			changed := url.Values{}
			for k, vs := range f {
				changed[k] = vs
			}
			changed.Set("address", "城关镇西街")
			w = v.postMultipart("/report", changed)
			if w.Code != 409 || !strings.Contains(w.Body.String(), "已经提交过") {
				t.Fatalf("changed form %d", w.Code)
			}
			if k := find(t, keyRE, w.Body.String()); k == key {
				t.Fatal("changed form kept its key")
			}

			// Without a key (an old page): filed every time.
			for i := range 2 {
				g := v.reportForm()
				if w := v.submit(g); w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte(`id="code"`)) {
					t.Fatalf("keyless %d: %d", i, w.Code)
				}
			}
			if n := v.count("complaints"); n != 3 {
				t.Fatalf("%d complaints, want 3", n)
			}
		})
	}
}

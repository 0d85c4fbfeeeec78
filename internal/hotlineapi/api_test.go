package hotlineapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
	"ecoreport/internal/web"
)

type fixture struct {
	api    *API
	router *gin.Engine
	secret []byte
	logs   *syncBuffer
	now    time.Time
}

// syncBuffer is a log sink the handlers may write to from several requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Reset()         { s.mu.Lock(); s.b.Reset(); s.mu.Unlock() }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewService(d, keys)
	f := &fixture{logs: &syncBuffer{}, now: time.Now()}
	cl := &hotline.Clients{DB: d, Keys: keys, Now: func() time.Time { return f.now }}
	sec, err := cl.Add(context.Background(), "shiquan-12345")
	if err != nil {
		t.Fatal(err)
	}
	f.secret = []byte(sec)
	f.api = &API{Importer: &hotline.Importer{Ledger: l, DB: d}, Feedback: &hotline.Feedback{Ledger: l, DB: d}, Clients: cl,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	f.router = gin.New()
	f.api.Register(f.router)
	return f
}

// do sends a request signed the first way (v1: timestamp and body), as
// hotline systems did before version 2; sign replaces the signature.
func (f *fixture) do(method, path, client string, ts time.Time, body []byte, sign func(string, []byte) string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	tss := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set(hotline.HeaderClient, client)
	req.Header.Set(hotline.HeaderTimestamp, tss)
	if sign == nil {
		sign = func(ts string, b []byte) string { return hotline.Sign(f.secret, ts, b) }
	}
	req.Header.Set(hotline.HeaderSignature, sign(tss, body))
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, req)
	return w
}

// doV2 sends a request signed the second way: method, path, timestamp, a
// fresh nonce and the body.
func (f *fixture) doV2(method, path string, ts time.Time, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	tss := strconv.FormatInt(ts.Unix(), 10)
	nonce := fmt.Sprintf("%032x", nonces.Add(1))
	req.Header.Set(hotline.HeaderClient, "shiquan-12345")
	req.Header.Set(hotline.HeaderTimestamp, tss)
	req.Header.Set(hotline.HeaderNonce, nonce)
	req.Header.Set(hotline.HeaderSignature, hotline.SignV2(f.secret, method, req.URL.EscapedPath(), tss, nonce, body))
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, req)
	return w
}

var nonces atomic.Int64

const pushBody = `[
 {"ticket_no": "P001", "received_at": "2026-11-03 14:22:05", "content": "夜间施工噪声扰民", "caller_name": "王五",
  "caller_phone": "+86 138 1234 5678", "town": "城关", "categories": ["噪声", "扬尘"], "wants_reward": true},
 {"ticket_no": "P002", "received_at": "2026-11-03", "content": "河道排污", "anonymous": true, "caller_phone": "13900001234", "town": "某某镇"},
 {"ticket_no": "P003", "received_at": "不是时间", "content": "缺时间"}
]`

// errorBody decodes the JSON error body the portal's API has too.
func errorBody(t *testing.T, w *httptest.ResponseRecorder) web.ErrorBody {
	t.Helper()
	var b web.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("error body %s (%v)", w.Body, err)
	}
	return b
}

func TestPushAPI(t *testing.T) {
	f := newFixture(t)
	body := []byte(pushBody)

	w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now, body, nil)
	var resp hotline.PushResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != http.StatusOK || err != nil || len(resp.Results) != 3 {
		t.Fatalf("OK: %d %s", w.Code, w.Body)
	}
	want := []string{hotline.OutcomeImported, hotline.OutcomeImported, hotline.OutcomeRejected}
	for i, r := range resp.Results {
		if r.Outcome != want[i] {
			t.Errorf("result %d: %+v", i, r)
		}
	}

	tests := []struct {
		name   string
		client string
		ts     time.Time
		sign   func(string, []byte) string
		log    string
	}{
		{"ErrBadSignature", "shiquan-12345", f.now, func(ts string, b []byte) string { return hotline.Sign([]byte("wrong"), ts, b) }, "签名不匹配"},
		{"ErrStale", "shiquan-12345", f.now.Add(-6 * time.Minute), nil, "时间戳"},
		{"ErrUnknownClient", "nobody", f.now, nil, "未知的推送客户端"},
		{"ErrReplay", "shiquan-12345", f.now, nil, "重复"}, // the OK push's signature again
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.logs.Reset()
			w := f.do("POST", "/api/hotline/v1/tickets", tc.client, tc.ts, body, tc.sign)
			if w.Code != http.StatusUnauthorized || errorBody(t, w).Error.Code != "EUNAUTHORIZED" {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if !strings.Contains(f.logs.String(), "401") || !strings.Contains(f.logs.String(), tc.log) {
				t.Fatalf("log %q", f.logs.String())
			}
		})
	}
	t.Run("ErrNotAnArrayKeepsTheField", func(t *testing.T) {
		w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(3*time.Second), []byte(`{"ticket_no":"x"}`), nil)
		if b := errorBody(t, w); w.Code != http.StatusUnprocessableEntity || b.Error.Code != "EINVALID" || b.Error.Fields["body"] == "" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		f.api.MaxBody = 16
		defer func() { f.api.MaxBody = 0 }()
		w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(4*time.Second), body, nil)
		if w.Code != http.StatusRequestEntityTooLarge || errorBody(t, w).Error.Code != "ETOOLARGE" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("Result", func(t *testing.T) {
		w := f.doV2("GET", "/api/hotline/v1/tickets/P001", f.now.Add(5*time.Second), nil)
		var out map[string]any
		json.Unmarshal(w.Body.Bytes(), &out)
		// 查询码 is the ticket's tracking code, the one the push answered,
		// which the hotline operator reads out; reading it is audited.
		if w.Code != http.StatusOK || out["工单编号"] != "P001" || out["办理状态"] != "已接收" || out["查询码"] != resp.Results[0].TrackingCode ||
			out["ref"] != "R0000001" {
			t.Fatalf("%d %s, want 查询码 %s", w.Code, w.Body, resp.Results[0].TrackingCode)
		}
		if c, err := f.api.Feedback.Ledger.Track(context.Background(), out["查询码"].(string)); err != nil || c.SourceRef.String != "P001" {
			t.Fatalf("the code does not track the ticket: %v", err)
		}
		var audited int
		f.api.Feedback.DB.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.code_revealed' AND actor = 'hotline:shiquan-12345'`)
		if audited != 1 {
			t.Fatalf("%d audit entries for the code read", audited)
		}
		w = f.doV2("GET", "/api/hotline/v1/tickets/NOPE", f.now.Add(6*time.Second), nil)
		if w.Code != http.StatusNotFound || errorBody(t, w).Error.Code != "ENOTFOUND" {
			t.Fatalf("unknown ticket: %d %s", w.Code, w.Body)
		}
		w = f.do("GET", "/api/hotline/v1/tickets/P001", "shiquan-12345", f.now.Add(7*time.Second), nil,
			func(ts string, b []byte) string { return hotline.Sign([]byte("x"), ts, b) })
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned result: %d", w.Code)
		}
	})
}

// TestResultSignedV2 (issue 20, item 14): the result API needs a signature
// that covers its method and path. Two GETs in one second both answer (a v1
// signature made them one "replay"); a v1 GET is refused; a v1 push is
// accepted during the transition and told it is deprecated.
func TestResultSignedV2(t *testing.T) {
	f := newFixture(t)
	if w := f.doV2("POST", "/api/hotline/v1/tickets", f.now, []byte(pushBody)); w.Code != http.StatusOK || w.Header().Get("Deprecation") != "" {
		t.Fatalf("v2 push: %d %v %s", w.Code, w.Header(), w.Body)
	}
	for i := range 2 {
		if w := f.doV2("GET", "/api/hotline/v1/tickets/P001", f.now, nil); w.Code != http.StatusOK {
			t.Fatalf("GET %d in the same second: %d %s", i+1, w.Code, w.Body)
		}
	}
	f.logs.Reset()
	w := f.do("GET", "/api/hotline/v1/tickets/P002", "shiquan-12345", f.now, nil, nil)
	if w.Code != http.StatusUnauthorized || !strings.Contains(errorBody(t, w).Error.Message, "第 2 版签名") || !strings.Contains(f.logs.String(), "401") {
		t.Fatalf("v1 GET: %d %s", w.Code, w.Body)
	}
	w = f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(time.Second), []byte(pushBody), nil)
	if w.Code != http.StatusOK || w.Header().Get("Deprecation") != "true" || !strings.Contains(f.logs.String(), "v1 signature") {
		t.Fatalf("v1 push during the transition: %d %v", w.Code, w.Header())
	}
	f.api.Clients.RefuseV1 = true
	w = f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(2*time.Second), []byte(pushBody), nil)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("v1 push after the transition: %d", w.Code)
	}
}

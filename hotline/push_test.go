package hotline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/db/dbtest"
)

type pushFixture struct {
	api    *API
	router *gin.Engine
	secret []byte
	logs   *strings.Builder
	now    time.Time
}

func newPushFixture(t *testing.T) *pushFixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	f := &pushFixture{logs: &strings.Builder{}, now: time.Now()}
	var mu sync.Mutex
	cl := &Clients{DB: d, Keys: im.Ledger.Keys, Now: func() time.Time { return f.now }}
	sec, err := cl.Add(context.Background(), "shiquan-12345")
	if err != nil {
		t.Fatal(err)
	}
	f.secret = []byte(sec)
	f.api = &API{Importer: im, Feedback: &Feedback{Ledger: im.Ledger, DB: d}, Clients: cl,
		Logf: func(format string, args ...any) { mu.Lock(); fmt.Fprintf(f.logs, format+"\n", args...); mu.Unlock() }}
	f.router = gin.New()
	f.api.Register(f.router)
	return f
}

func (f *pushFixture) do(method, path, client string, ts time.Time, body []byte, sign func(string, []byte) string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	tss := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set(HeaderClient, client)
	req.Header.Set(HeaderTimestamp, tss)
	if sign == nil {
		sign = func(ts string, b []byte) string { return Sign(f.secret, ts, b) }
	}
	req.Header.Set(HeaderSignature, sign(tss, body))
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, req)
	return w
}

const pushBody = `[
 {"ticket_no": "P001", "received_at": "2026-11-03 14:22:05", "content": "夜间施工噪声扰民", "caller_name": "王五",
  "caller_phone": "+86 138 1234 5678", "town": "城关", "categories": ["噪声", "扬尘"], "wants_reward": true, "工单来源": "12345"},
 {"ticket_no": "P002", "received_at": 46329.598, "content": "河道排污", "anonymous": true, "caller_phone": "13900001234", "town": "某某镇"},
 {"ticket_no": "P003", "received_at": "不是时间", "content": "缺时间"}
]`

func TestPushAPI(t *testing.T) {
	f := newPushFixture(t)
	body := []byte(pushBody)

	w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now, body, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("OK: %d %s", w.Code, w.Body)
	}
	var resp PushResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 3 {
		t.Fatalf("results %+v", resp.Results)
	}
	want := []string{OutcomeImported, OutcomeImported, OutcomeRejected}
	for i, r := range resp.Results {
		if r.Outcome != want[i] || r.Index != i {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if len(resp.Results[0].TrackingCode) != 19 || resp.Results[2].Errors == nil || resp.Results[1].Warnings == nil {
		t.Errorf("results %+v", resp.Results)
	}
	// Caller tracking with ticket number + last four digits works, for the
	// anonymous caller too.
	for no, l4 := range map[string]string{"P001": "5678", "P002": "1234"} {
		if _, err := f.api.Importer.Ledger.TrackTicket(context.Background(), no, l4); err != nil {
			t.Errorf("track %s: %v", no, err)
		}
	}

	// The same tickets pushed again (signed anew): unchanged.
	w = f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(time.Second), body, nil)
	resp = PushResponse{}
	json.Unmarshal(w.Body.Bytes(), &resp)
	if w.Code != http.StatusOK || resp.Results[0].Outcome != OutcomeUnchanged || resp.Results[1].Outcome != OutcomeUnchanged {
		t.Fatalf("again: %d %s", w.Code, w.Body)
	}

	tests := []struct {
		name   string
		client string
		ts     time.Time
		body   []byte
		sign   func(string, []byte) string
		log    string
	}{
		{"ErrBadSignature", "shiquan-12345", f.now, body, func(ts string, b []byte) string { return Sign([]byte("wrong"), ts, b) }, "签名不匹配"},
		{"ErrStale", "shiquan-12345", f.now.Add(-6 * time.Minute), body, nil, "时间戳"},
		{"ErrFuture", "shiquan-12345", f.now.Add(6 * time.Minute), body, nil, "时间戳"},
		{"ErrUnknownClient", "nobody", f.now, body, nil, "未知的推送客户端"},
		{"ErrBodyChanged", "shiquan-12345", f.now, body, func(ts string, b []byte) string { return Sign(f.secret, ts, []byte("[]")) }, "签名不匹配"},
		{"ErrNotHex", "shiquan-12345", f.now, body, func(string, []byte) string { return "zz" }, "签名不匹配"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.logs.Reset()
			w := f.do("POST", "/api/hotline/v1/tickets", tc.client, tc.ts, tc.body, tc.sign)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if !strings.Contains(f.logs.String(), "401") || !strings.Contains(f.logs.String(), tc.log) {
				t.Fatalf("log %q", f.logs.String())
			}
		})
	}
	t.Run("ErrReplay", func(t *testing.T) {
		ts := f.now.Add(2 * time.Second)
		body := []byte(`[{"ticket_no": "P009", "received_at": "2026-11-03", "content": "油烟"}]`)
		if w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", ts, body, nil); w.Code != http.StatusOK {
			t.Fatalf("first: %d %s", w.Code, w.Body)
		}
		f.logs.Reset()
		if w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", ts, body, nil); w.Code != http.StatusUnauthorized {
			t.Fatalf("replay: %d %s", w.Code, w.Body)
		}
		if !strings.Contains(f.logs.String(), "重复") {
			t.Fatalf("log %q", f.logs.String())
		}
	})
	t.Run("ErrNotAnArray", func(t *testing.T) {
		w := f.do("POST", "/api/hotline/v1/tickets", "shiquan-12345", f.now.Add(3*time.Second), []byte(`{"ticket_no":"x"}`), nil)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("Result", func(t *testing.T) {
		w := f.do("GET", "/api/hotline/v1/tickets/P001", "shiquan-12345", f.now.Add(4*time.Second), nil, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var out map[string]any
		json.Unmarshal(w.Body.Bytes(), &out)
		if out["工单编号"] != "P001" || out["办理状态"] != "已接收" || !strings.HasPrefix(out["查询码"].(string), "R") {
			t.Fatalf("%s", w.Body)
		}
		w = f.do("GET", "/api/hotline/v1/tickets/NOPE", "shiquan-12345", f.now.Add(5*time.Second), nil, nil)
		if w.Code != http.StatusNotFound {
			t.Fatalf("unknown ticket: %d", w.Code)
		}
		w = f.do("GET", "/api/hotline/v1/tickets/P001", "shiquan-12345", f.now.Add(6*time.Second), nil,
			func(ts string, b []byte) string { return Sign([]byte("x"), ts, b) })
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned result: %d", w.Code)
		}
	})
}

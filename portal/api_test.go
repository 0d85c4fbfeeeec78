package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/trackcode"
	"ecoreport/internal/web"
)

func TestAPIFlow(t *testing.T) {
	v := newEnv(t, true)
	solve := func() (string, string) {
		w := v.get("/api/v1/captcha")
		if w.Code != 200 {
			t.Fatalf("captcha = %d", w.Code)
		}
		var c struct{ CaptchaID, ImageURL, AudioURL string }
		var raw map[string]any
		json.Unmarshal(w.Body.Bytes(), &raw)
		c.CaptchaID, _ = raw["captcha_id"].(string)
		c.ImageURL, _ = raw["image_url"].(string)
		c.AudioURL, _ = raw["audio_url"].(string)
		if c.CaptchaID == "" || v.get(c.ImageURL).Code != 200 || v.get(c.AudioURL).Code != 200 {
			t.Fatalf("captcha answer %s", w.Body)
		}
		return c.CaptchaID, v.h.captcha.Answer(context.Background(), c.CaptchaID)
	}
	body := func(desc, id, sol string) string {
		b, _ := json.Marshal(map[string]any{
			"categories": []string{"air", "noise"}, "town": "城关镇", "address": "东街", "subject": "某厂",
			"description": desc, "identity": "anonymous", "wants_reward": true, "captcha_id": id, "captcha_solution": sol,
		})
		return string(b)
	}

	id, sol := solve()
	w := v.postJSON("/api/v1/complaints", body("夜间施工噪声很大，持续到凌晨两点。", id, sol))
	if w.Code != http.StatusCreated {
		t.Fatalf("file = %d %s", w.Code, w.Body)
	}
	var filed struct {
		TrackingCode string `json:"tracking_code"`
		Status       string `json:"status"`
		ReceivedAt   string `json:"received_at"`
	}
	json.Unmarshal(w.Body.Bytes(), &filed)
	if !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$`).MatchString(filed.TrackingCode) || filed.Status != "received" {
		t.Fatalf("answer %s", w.Body)
	}
	if _, err := time.Parse(time.RFC3339, filed.ReceivedAt); err != nil {
		t.Fatal(err)
	}
	var ch string
	v.db.Get(&ch, "SELECT channel FROM complaints")
	if ch != "api" {
		t.Fatalf("channel %q", ch)
	}

	t.Run("Track", func(t *testing.T) {
		w := v.postJSON("/api/v1/track", fmt.Sprintf(`{"code": %q}`, strings.ToLower(filed.TrackingCode)))
		if w.Code != 200 {
			t.Fatalf("track = %d %s", w.Code, w.Body)
		}
		var a trackAnswer
		json.Unmarshal(w.Body.Bytes(), &a)
		if a.Status != "received" || a.StatusLabel != "已接收" || a.VerificationLabel != "待核实" || a.DueDate == "" || len(a.Events) != 1 {
			t.Fatalf("track answer %s", w.Body)
		}
	})
	t.Run("ErrNotFoundIdentical", func(t *testing.T) {
		// Every miss of a kind is the same 404 body; a ticket miss names
		// the ticket number, a code miss the code: what was typed.
		for _, misses := range []struct {
			names  string
			bodies []string
		}{
			{"查询码", []string{fmt.Sprintf(`{"code": %q}`, trackcode.Format(trackcode.New())), `{"code": "nonsense"}`, `{"code": "\u0000"}`}},
			{"工单编号", []string{`{"ticket_no": "X-1", "phone_last4": "1234"}`, `{"ticket_no": "x-1", "phone_last4": "１２３４"}`}},
		} {
			var first string
			for i, b := range misses.bodies {
				w := v.postJSON("/api/v1/track", b)
				if w.Code != 404 || !strings.Contains(w.Body.String(), misses.names) {
					t.Fatalf("%s = %d %s, want a 404 naming %s", b, w.Code, w.Body, misses.names)
				}
				if i == 0 {
					first = w.Body.String()
				} else if w.Body.String() != first {
					t.Fatalf("bodies differ: %s vs %s", w.Body, first)
				}
			}
		}
	})
	t.Run("Err400Malformed", func(t *testing.T) {
		for _, b := range []string{`{"description": `, `[1,2]`, `"x"`, `{} {}`} {
			if w := v.postJSON("/api/v1/complaints", b); w.Code != 400 || !strings.Contains(w.Body.String(), `"code":"EMALFORMED"`) {
				t.Fatalf("%s = %d %s", b, w.Code, w.Body)
			}
		}
		w := v.do(httpReq("POST", "/api/v1/complaints", "text/plain", "{}"))
		if w.Code != 400 {
			t.Fatalf("text/plain = %d", w.Code)
		}
		w = v.postJSON("/api/v1/complaints", `{"description": "`+strings.Repeat("x", 100<<10)+`"}`)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized = %d", w.Code)
		}
	})
	t.Run("Err422Fields", func(t *testing.T) {
		id, sol := solve()
		w := v.postJSON("/api/v1/complaints", body("短", id, sol))
		var e web.ErrorBody
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 422 || e.Error.Code != "EINVALID" || e.Error.Fields["description"] == "" {
			t.Fatalf("short = %d %s", w.Code, w.Body)
		}
		id, _ = solve()
		w = v.postJSON("/api/v1/complaints", body("夜间施工噪声很大，持续到凌晨两点。", id, "000000x"))
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 422 || e.Error.Fields["captcha_solution"] == "" {
			t.Fatalf("captcha = %d %s", w.Code, w.Body)
		}
		id, sol = solve()
		w = v.postJSON("/api/v1/complaints", body("坏的\x01控制字符描述内容很长很长", id, sol))
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 422 || !strings.Contains(e.Error.Fields["description"], "控制字符") {
			t.Fatalf("control = %d %s", w.Code, w.Body)
		}
	})
	t.Run("Err429", func(t *testing.T) {
		v.h.limits.FilePerHour = 0
		v.h.setLimiters()
		w := v.postJSON("/api/v1/complaints", body("夜间施工噪声很大，持续到凌晨两点。", "", ""))
		var e web.ErrorBody
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 429 || e.Error.Code != "ERATELIMIT" || !strings.Contains(e.Error.Message, "后再试") || w.Header().Get("Retry-After") != "3600" {
			t.Fatalf("429 = %d %s %q", w.Code, w.Body, w.Header().Get("Retry-After"))
		}
		for i := 0; i < 30; i++ {
			w = v.postJSON("/api/v1/track", `{"code": "AAAA"}`)
		}
		if w.Code != 429 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("track 429 = %d", w.Code)
		}
	})
}

func httpReq(method, path, ct, body string) *http.Request {
	r, _ := http.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	return r
}

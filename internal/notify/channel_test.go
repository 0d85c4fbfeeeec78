package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"ecoreport/internal/notify"
)

func TestWebhookPostsSignedJSONAndSortsFailures(t *testing.T) {
	var got []map[string]any
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte("oa-secret"))
		m.Write([]byte(r.Header.Get("X-Timestamp") + "\n"))
		m.Write(body)
		if hex.EncodeToString(m.Sum(nil)) != r.Header.Get("X-Signature") || r.Header.Get("X-Delivery-Id") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var v map[string]any
		json.Unmarshal(body, &v)
		got = append(got, v)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	wh := &notify.Webhook{URL: srv.URL, Secret: []byte("oa-secret")}
	e := &notify.Envelope{ID: 3, Key: "ev:7:unit.notice:webhook", Rule: notify.RuleUnitNotice, Channel: notify.ChannelWebhook, Recipient: "webhook",
		Subject: "【生态环境问题台账】收到整改通知书：C000004", Body: "收到整改通知书", CaseID: 4, CreatedAt: time.Now()}
	if _, err := wh.Send(ctx, e); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["delivery_id"] != e.Key || got[0]["case_ref"] != "C000004" || got[0]["rule_label"] != "收到整改通知书" {
		t.Fatalf("%v", got)
	}
	tests := []struct {
		status    int
		permanent bool
	}{{http.StatusBadRequest, true}, {http.StatusTooManyRequests, false}, {http.StatusBadGateway, false}}
	for _, tt := range tests {
		status = tt.status
		_, err := wh.Send(ctx, e)
		if err == nil || notify.IsPermanent(err) != tt.permanent {
			t.Fatalf("HTTP %d: %v (permanent %v)", tt.status, err, notify.IsPermanent(err))
		}
	}
	wrong := &notify.Webhook{URL: srv.URL, Secret: []byte("wrong")}
	if _, err := wrong.Send(ctx, e); err == nil || !notify.IsPermanent(err) {
		t.Fatalf("a refused signature: %v", err)
	}
}

func TestQuietHoursParse(t *testing.T) {
	tests := []struct {
		in       string
		from, to int
		ok       bool
	}{{"22:00-08:00", 1320, 480, true}, {"off", 0, 0, true}, {"12:30-14:00", 750, 840, true}, {"night", 0, 0, false}, {"25:00-08:00", 0, 0, false}}
	for _, tt := range tests {
		from, to, err := notify.ParseQuietHours(tt.in)
		if (err == nil) != tt.ok || from != tt.from || to != tt.to {
			t.Errorf("%q: %d %d %v", tt.in, from, to, err)
		}
	}
}

package hotline

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
)

// TestVerify checks every way a push can fail its signature, and that a
// signature is good once only (a replay is refused across instances).
func TestVerify(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	now := time.Now()
	cl := &Clients{DB: d, Keys: im.Ledger.Keys, Now: func() time.Time { return now }}
	ctx := context.Background()
	sec, err := cl.Add(ctx, "shiquan-12345")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Add(ctx, "shiquan-12345"); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("second add: %v", err)
	}
	if _, err := cl.Add(ctx, "有空格 的名字"); apperr.Code(err) != apperr.EINVALID {
		t.Fatalf("bad name: %v", err)
	}
	body := []byte(`[{"ticket_no":"P001"}]`)
	ts := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	good := func(tss string, b []byte) string { return Sign([]byte(sec), tss, b) }
	tests := []struct {
		name   string
		client string
		ts     string
		sign   func(string, []byte) string
		reason string // in the message; "" for OK
	}{
		{"OK", "shiquan-12345", ts(now), good, ""},
		{"ErrReplay", "shiquan-12345", ts(now), good, "重复的请求"},
		{"ErrBadSignature", "shiquan-12345", ts(now.Add(time.Second)), func(tss string, b []byte) string { return Sign([]byte("wrong"), tss, b) }, "签名不匹配"},
		{"ErrBodyChanged", "shiquan-12345", ts(now.Add(2 * time.Second)), func(tss string, _ []byte) string { return Sign([]byte(sec), tss, []byte("[]")) }, "签名不匹配"},
		{"ErrNotHex", "shiquan-12345", ts(now), func(string, []byte) string { return "zz" }, "签名不匹配"},
		{"ErrStale", "shiquan-12345", ts(now.Add(-6 * time.Minute)), good, "时间戳"},
		{"ErrFuture", "shiquan-12345", ts(now.Add(6 * time.Minute)), good, "时间戳"},
		{"ErrNotUnixSeconds", "shiquan-12345", "yesterday", good, "Unix"},
		{"ErrUnknownClient", "nobody", ts(now), good, "未知的推送客户端"},
		{"ErrMissingHeaders", "", "", good, "缺少"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cl.Verify(ctx, tt.client, tt.ts, tt.sign(tt.ts, body), body)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if apperr.Code(err) != apperr.EUNAUTHORIZED || !strings.Contains(apperr.Message(err), tt.reason) {
				t.Fatalf("got %v, want EUNAUTHORIZED with %q", err, tt.reason)
			}
		})
	}
}

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

// TestVerify checks every way a push signed the first way (v1) can fail its
// signature, and that a signature is good once only (a replay is refused
// across instances).
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
			_, err := cl.VerifyRequest(ctx, SignedRequest{Client: tt.client, Timestamp: tt.ts, Signature: tt.sign(tt.ts, body),
				Method: "POST", Path: "/api/hotline/v1/tickets", Body: body})
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

// TestVerifyV2 (issue 20, item 14): a version 2 signature covers the method,
// the path, the timestamp, a nonce and the body, so two requests in one
// second are two signatures, and a signature fits no other request. Version
// 1 stays good for pushes only, until the transition ends.
func TestVerifyV2(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	now := time.Now()
	cl := &Clients{DB: d, Keys: im.Ledger.Keys, Now: func() time.Time { return now }}
	ctx := context.Background()
	sec, err := cl.Add(ctx, "shiquan-12345")
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	const get, push = "/api/hotline/v1/tickets/P001", "/api/hotline/v1/tickets"
	body := []byte(`[{"ticket_no":"P001"}]`)
	signed := func(method, path, nonce string, b []byte) SignedRequest {
		return SignedRequest{Client: "shiquan-12345", Timestamp: ts, Nonce: nonce, Method: method, Path: path, Body: b,
			Signature: SignV2([]byte(sec), method, path, ts, nonce, b)}
	}
	tamper := func(r SignedRequest, f func(*SignedRequest)) SignedRequest { f(&r); return r }
	tests := []struct {
		name    string
		req     SignedRequest
		version int    // 0: refused
		reason  string // in the refusal
	}{
		{"OKGet", signed("GET", get, "nonce-0000000000000001", nil), 2, ""},
		{"OKGetSameSecond", signed("GET", get, "nonce-0000000000000002", nil), 2, ""},
		{"OKPush", signed("POST", push, "nonce-0000000000000003", body), 2, ""},
		{"ErrReplay", signed("GET", get, "nonce-0000000000000001", nil), 0, "重复的请求"},
		{"ErrOtherPath", tamper(signed("GET", get, "nonce-0000000000000004", nil), func(r *SignedRequest) { r.Path = "/api/hotline/v1/tickets/P002" }), 0, "签名不匹配"},
		{"ErrOtherMethod", tamper(signed("GET", push, "nonce-0000000000000005", body), func(r *SignedRequest) { r.Method = "POST" }), 0, "签名不匹配"},
		{"ErrOtherBody", tamper(signed("POST", push, "nonce-0000000000000006", body), func(r *SignedRequest) { r.Body = []byte("[]") }), 0, "签名不匹配"},
		{"ErrOtherNonce", tamper(signed("POST", push, "nonce-0000000000000007", body), func(r *SignedRequest) { r.Nonce = "nonce-0000000000000008" }), 0, "签名不匹配"},
		{"ErrShortNonce", signed("GET", get, "short", nil), 0, "X-Nonce"},
		{"ErrV1Get", SignedRequest{Client: "shiquan-12345", Timestamp: ts, Method: "GET", Path: get, Signature: Sign([]byte(sec), ts, nil)}, 0, "第 2 版签名"},
		{"OKV1Push", SignedRequest{Client: "shiquan-12345", Timestamp: ts, Method: "POST", Path: push, Body: body, Signature: Sign([]byte(sec), ts, body)}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := cl.VerifyRequest(ctx, tt.req)
			if tt.version != 0 {
				if err != nil || v != tt.version {
					t.Fatalf("version %d, %v; want %d", v, err, tt.version)
				}
				return
			}
			if apperr.Code(err) != apperr.EUNAUTHORIZED || !strings.Contains(apperr.Message(err), tt.reason) {
				t.Fatalf("got %v, want EUNAUTHORIZED with %q", err, tt.reason)
			}
		})
	}
	t.Run("ErrV1PushAfterTheTransition", func(t *testing.T) {
		strict := *cl
		strict.RefuseV1 = true
		b := []byte(`[{"ticket_no":"P002"}]`)
		_, err := strict.VerifyRequest(ctx, SignedRequest{Client: "shiquan-12345", Timestamp: ts, Method: "POST", Path: push, Body: b, Signature: Sign([]byte(sec), ts, b)})
		if apperr.Code(err) != apperr.EUNAUTHORIZED || !strings.Contains(apperr.Message(err), "已停用") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestSignV2MatchesTheShellRecipe pins SignV2 to what the openssl recipe of
// docs/hotline.md computes (run by hand with these inputs), so that a hotline
// system following the documentation signs as the service checks.
func TestSignV2MatchesTheShellRecipe(t *testing.T) {
	const ts, nonce = "1764640000", "3f2b8c1e9a7d4e6f8a0b1c2d3e4f5a6b"
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", "/api/hotline/v1/tickets", `[{"a":"河道"}]`, "cfcbf76c883e3f1b75d229e630e7fb81b1b7f1e4248dee8a3452d81457a20219"},
		{"GET", "/api/hotline/v1/tickets/X1", "", "aa6f4fe785cc2e8b572f8bd13aac2adbe1163725e6482d526dbdf31339b78f8c"},
	} {
		if got := SignV2([]byte("abc"), tc.method, tc.path, ts, nonce, []byte(tc.body)); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}

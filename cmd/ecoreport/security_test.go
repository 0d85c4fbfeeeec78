package main

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// noGzip is a client that neither asks for nor undoes compression, so the
// test sees what went over the wire.
var noGzip = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// TestHeadGzipAndMetricsOnTheRunningService: HEAD answers like GET on the
// public pages, pages are gzipped for a browser that asks, and /metrics is
// on its own loopback listener, not on the public one.
func TestHeadGzipAndMetricsOnTheRunningService(t *testing.T) {
	m, _ := MustRunMain(t)
	base := "http://" + m.Addr()
	for _, path := range []string{"/", "/healthz", "/stats", "/report", "/office/login"} {
		t.Run("HEAD"+path, func(t *testing.T) {
			req, _ := http.NewRequest("HEAD", base+path, nil)
			resp, err := noGzip.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("Content-Type") == "" {
				t.Fatalf("HEAD %s: %d, %d bytes, %v", path, resp.StatusCode, len(b), resp.Header)
			}
		})
	}
	t.Run("GzipHomePage", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := noGzip.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if !strings.Contains(string(b), "</html>") {
			t.Fatalf("%.200s", b)
		}
	})
	t.Run("MetricsNotPublic", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.Contains(string(b), "ecoreport_http") {
			t.Fatalf("public /metrics: %d %.200s", resp.StatusCode, b)
		}
	})
	t.Run("MetricsOnLoopback", func(t *testing.T) {
		if !strings.HasPrefix(m.MetricsAddr(), "127.0.0.1:") {
			t.Fatalf("metrics on %q", m.MetricsAddr())
		}
		resp, err := http.Get("http://" + m.MetricsAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `ecoreport_http_requests_total{method="HEAD",route="/healthz",status="200"}`) {
			t.Fatalf("%d %.300s", resp.StatusCode, b)
		}
	})
}

// TestStopDrainsBeforeClosing: while a stopping service is in its grace
// period, /healthz says 503, pages still answer and each response closes
// its connection; afterwards nothing listens.
func TestStopDrainsBeforeClosing(t *testing.T) {
	m, _ := MustRunMain(t)
	m.Config.ShutdownGrace = 1500 * time.Millisecond
	base := "http://" + m.Addr()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.Close() }()
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("healthz during the grace period: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || !resp.Close {
		t.Fatalf("healthz while stopping: %d, close %v", resp.StatusCode, resp.Close)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatalf("page during the grace period: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("page while stopping: %d, close %v", resp.StatusCode, resp.Close)
	}
	wg.Wait()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
}

// TestSecureCookiesBehindTheTLSProxy logs in through the running service
// as the TLS proxy would pass it on (plain HTTP): the session cookie is
// Secure and __Host- (Path=/) and HSTS is sent when the public URL is
// https or the trusted proxy says https; a client that merely claims
// X-Forwarded-Proto: https gets neither.
func TestSecureCookiesBehindTheTLSProxy(t *testing.T) {
	tests := []struct {
		name       string
		set        func(*config.Config)
		proto      string
		wantSecure bool
	}{
		{"PublicURLHTTPS", func(c *config.Config) { c.PublicURL = "https://jubao.example.gov.cn" }, "", true},
		{"TrustedProxySaysHTTPS", func(c *config.Config) { c.TrustedProxies = "127.0.0.1" }, "https", true},
		{"ErrUntrustedClaimsHTTPS", func(c *config.Config) {}, "https", false},
		{"PlainHTTP", func(c *config.Config) {}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, out := MustRunMain(t, tt.set)
			base := "http://" + m.Addr()
			jar, _ := cookiejar.New(nil)
			// The jar is told the origin is https when the browser's would be,
			// so that it keeps and sends Secure cookies as a browser would.
			origin := base
			if tt.wantSecure {
				origin = "https://" + m.Addr()
			}
			cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get := func(path string) *http.Response {
				req, _ := http.NewRequest("GET", base+path, nil)
				if tt.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tt.proto)
				}
				for _, ck := range jar.Cookies(mustURL(origin + path)) {
					req.AddCookie(ck)
				}
				resp, err := cl.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			resp := get("/office/login")
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			jar.SetCookies(mustURL(origin+"/office/login"), resp.Cookies())
			if got := resp.Header.Get("Strict-Transport-Security") != ""; got != tt.wantSecure {
				t.Fatalf("HSTS %v, want %v", got, tt.wantSecure)
			}
			csrf := between(string(b), `name="csrf" value="`, `"`)
			form := url.Values{"csrf": {csrf}, "username": {"admin"}, "password": {between(out.String(), "密码 ", " ")}}
			req, _ := http.NewRequest("POST", base+"/office/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			for _, ck := range jar.Cookies(mustURL(origin + "/office/login")) {
				req.AddCookie(ck)
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if strings.HasSuffix(ck.Name, "ecoreport_office") {
					session = ck
				}
			}
			if session == nil {
				t.Fatalf("no session cookie in %v", resp.Header["Set-Cookie"])
			}
			wantName, wantPath := "ecoreport_office", "/office"
			if tt.wantSecure {
				wantName, wantPath = "__Host-ecoreport_office", "/"
			}
			if session.Secure != tt.wantSecure || session.Name != wantName || session.Path != wantPath || !session.HttpOnly {
				t.Fatalf("session cookie %s", session.String())
			}
		})
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// countingZeros is a request body of n bytes that counts how much the
// transport took from it.
type countingZeros struct{ left, read atomic.Int64 }

func (z *countingZeros) Read(p []byte) (int, error) {
	n := min(int64(len(p)), z.left.Load())
	if n == 0 {
		return 0, io.EOF
	}
	clear(p[:n])
	z.left.Add(-n)
	z.read.Add(n)
	return int(n), nil
}

// TestHugeUploadWithoutSessionOnTheRunningService sends 300 MiB to the
// hotline import over a real connection without logging in: the service
// answers with the login page at once and does not read the body (what the
// client got rid of is what fits in the sockets' buffers, not a temp file
// of 246 MiB).
func TestHugeUploadWithoutSessionOnTheRunningService(t *testing.T) {
	m, _ := MustRunMain(t)
	body := &countingZeros{}
	body.left.Store(300 << 20)
	req, _ := http.NewRequest("POST", "http://"+m.Addr()+"/office/hotline/import", body)
	req.ContentLength = 300 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
	start := time.Now()
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/office/login" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if sent := body.read.Load(); sent > 32<<20 || time.Since(start) > 10*time.Second {
		t.Fatalf("%d MiB taken from the client in %v", sent>>20, time.Since(start))
	}
}

// TestAuditVerifyHoldsTheChainToCheckpoints: audit verify signs a
// checkpoint beside the key once the chain verifies; after the last
// entries are deleted the chain alone would still verify, but audit verify
// reports the cut, and so does a nulled hash on a sealed entry.
func TestAuditVerifyHoldsTheChainToCheckpoints(t *testing.T) {
	tests := []struct{ name, tamper, want string }{
		{"ErrTailCut", `DELETE FROM audit_log WHERE seq > 2`, "审计链被截断"},
		{"ErrNulledHash", `UPDATE audit_log SET seq = NULL, hash = NULL WHERE seq = 4`, "移出哈希链"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dbFlag := "--db=sqlite:" + filepath.Join(dir, "eco.db")
			env := map[string]string{"ECOREPORT_DATA_DIR": dir}
			if _, _, err := secret.LoadOrCreate(filepath.Join(dir, "ecoreport.key")); err != nil { // as the first serve does
				t.Fatal(err)
			}
			for _, name := range []string{"insp1", "insp2", "insp3", "insp4"} {
				if code, _, errOut := runCmd(t, env, "user", "add", "--name="+name, "--role=inspector", dbFlag); code != 0 {
					t.Fatal(errOut)
				}
			}
			code, out, errOut := runCmd(t, env, "audit", "verify", dbFlag)
			if code != 0 || !strings.Contains(out, "审计链完整：4 条已校验") || !strings.Contains(out, "已写入签名检查点：4 条") {
				t.Fatalf("%d %s %s", code, out, errOut)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "audit-checkpoints.jsonl")); err != nil || strings.Count(string(b), "\n") != 1 {
				t.Fatalf("checkpoint file: %q %v", b, err)
			}
			d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "eco.db"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			d.Close()
			code, out, _ = runCmd(t, env, "audit", "verify", dbFlag)
			if code != 1 || !strings.Contains(out, tt.want) {
				t.Fatalf("after tampering: %d %s", code, out)
			}
		})
	}
}

// TestServeSignsACheckpointWhenItStops: stopping the service leaves a
// checkpoint of the whole chain in the file beside the key.
func TestServeSignsACheckpointWhenItStops(t *testing.T) {
	m, _ := MustRunMain(t)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	cps, err := m.Checkpoints.File.Read()
	if err != nil || len(cps) == 0 || cps[len(cps)-1].Length < 1 || filepath.Dir(m.Checkpoints.File.Path) != filepath.Dir(m.Config.KeyFile) {
		t.Fatalf("%+v %v (%s)", cps, err, m.Checkpoints.File.Path)
	}
}

package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify/sms/smstest"
	"ecoreport/internal/secret"
)

// binary builds ecoreport once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ecoreport-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ecoreport")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build: " + e.out }

// server is the real binary running serve.
type server struct {
	cmd  *exec.Cmd
	base string
	out  *strings.Builder
	mu   *sync.Mutex
}

func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--captcha", "off"}, args...)...)
	cmd.Env = append(os.Environ(), "ECOREPORT_LOG_JSON=false")
	stderr, _ := cmd.StderrPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: &strings.Builder{}, mu: &sync.Mutex{}}
	urls := make(chan string, 1)
	read := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}
	go read(stderr)
	go read(stdout)
	select {
	case s.base = <-urls:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start:\n%s", s.log())
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	return s
}

func (s *server) log() string { s.mu.Lock(); defer s.mu.Unlock(); return s.out.String() }

// kill is kill -9: nothing of serve runs after it, not even a deferred line.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

// login logs admin in and returns a client with the session and the CSRF
// token of the office's forms.
// adminPassword waits for the first administrator's password, which serve
// prints on standard output once it is listening.
func (s *server) adminPassword(t *testing.T) string {
	t.Helper()
	var pw string
	waitFor(t, "the first administrator's password", 10*time.Second, func() bool {
		pw = between(s.log(), "密码 ", " ")
		return pw != ""
	})
	return pw
}

func (s *server) login(t *testing.T, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := func(path string) string {
		resp, err := c.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no csrf token on %s (%d)", path, resp.StatusCode)
		}
		return string(m[1])
	}
	resp, err := c.PostForm(s.base+"/office/login", url.Values{"csrf": {token("/office/login")}, "username": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path == "/office/login" {
		t.Fatalf("login as admin with %q failed: %s", password, regexp.MustCompile(`class="error"[^<]*<p>[^<]*`).Find(b))
	}
	return c, token("/office/inbox")
}

// hotlineReceiver is a 12369 system that takes callbacks: it checks the
// signature with the client's secret and takes each delivery id once.
type hotlineReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	secret   []byte
	hang     bool
	tries    map[string]int
	accepted map[string]string // delivery id → event
	bad      int
}

func newHotlineReceiver() *hotlineReceiver {
	h := &hotlineReceiver{tries: map[string]int{}, accepted: map[string]string{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		m := hmac.New(sha256.New, h.secret)
		m.Write([]byte(r.Header.Get("X-Timestamp") + "\n"))
		m.Write(body)
		id := r.Header.Get("X-Delivery-Id")
		if hex.EncodeToString(m.Sum(nil)) != r.Header.Get("X-Signature") || id == "" {
			h.bad++
			h.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.tries[id]++
		hang := h.hang
		h.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		h.mu.Lock()
		if _, seen := h.accepted[id]; !seen {
			h.accepted[id] = between(string(body), `"event":"`, `"`)
		}
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	return h
}

func (h *hotlineReceiver) state() (tries, accepted int, events []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.tries {
		tries += n
	}
	for _, e := range h.accepted {
		events = append(events, e)
	}
	return tries, len(h.accepted), events
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKilledMidDeliveryTheMessageArrivesOnceAfterRestart drives the real
// binary: a confidential hotline caller's complaint is accepted in the back
// office, which owes the caller an SMS and the hotline system a callback.
// The SMS provider and the hotline system take the requests and do not
// answer; serve is killed (-9) with both sends in flight. After a restart,
// each is sent again with the same key and taken once.
func TestKilledMidDeliveryTheMessageArrivesOnceAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	d, spec := dbtest.MustOpenDBSpec(t)
	dataDir := t.TempDir()
	ctx := context.Background()

	provider := smstest.NewAliyun("LTAI5tKeyId", "provider-secret")
	defer provider.Close()
	var hangSMS sync.Mutex
	hanging := true
	provider.Answer = func(int, *smstest.Request) string {
		hangSMS.Lock()
		defer hangSMS.Unlock()
		if hanging {
			return "hang"
		}
		return ""
	}
	receiver := newHotlineReceiver()
	defer receiver.Close()
	receiver.hang = true

	code, out, errOut := runCmd(t, map[string]string{"ECOREPORT_DATA_DIR": dataDir}, "hotline", "add-client", "--db", spec,
		"--callback-url", receiver.URL+"/callback", "county-12369")
	if code != 0 {
		t.Fatalf("add-client: %s %s", out, errOut)
	}
	receiver.secret = []byte(strings.TrimSpace(strings.Split(between(out, "只显示这一次，请妥善交给对方系统）：\n", "请求头"), "\n")[0]))

	args := []string{"--db", spec, "--data-dir", dataDir, "--sms", "aliyun", "--sms-endpoint", provider.URL,
		"--sms-key-id", "LTAI5tKeyId", "--sms-key-secret", "provider-secret", "--sms-sign-name", "石泉生态环境",
		"--sms-template", "SMS_154950909", "--quiet-hours", "off", "--notify-timeout", "3s", "--outbox-retry", "1s",
		"--public-url", "http://jubao.example.cn"}
	srv := startServe(t, args...)
	password := srv.adminPassword(t)

	// A confidential caller's ticket, as a push from the hotline system
	// leaves it (filed by hotline:county-12369).
	keys, created, err := secret.LoadOrCreate(filepath.Join(dataDir, "ecoreport.key"))
	if err != nil || created {
		t.Fatalf("data key: %v (created %v)", err, created)
	}
	l := ledger.NewService(d, keys)
	f, err := l.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelHotline, SourceRef: "12369SQ202611300007", Categories: ledger.Categories{ledger.Noise},
		Description: "工地夜间施工噪声扰民，凌晨两点还在打桩。", Identity: ledger.Confidential,
		Contact: &ledger.Contact{Name: "李四", Phone: "13912345678"}}, ledger.Actor{Name: "hotline:county-12369"})
	if err != nil {
		t.Fatal(err)
	}

	c, csrf := srv.login(t, password)
	resp, err := c.PostForm(srv.base+"/office/complaints/"+strconv.FormatInt(f.Complaint.ID, 10)+"/accept", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/office/cases/1" && false {
		t.Fatalf("accept: %s at %s", resp.Status, resp.Request.URL)
	}
	var rows int
	if err := d.Get(&rows, `SELECT COUNT(*) FROM outbox WHERE complaint_id = ? AND channel IN ('sms', 'hotline')`, f.Complaint.ID); err != nil || rows != 2 {
		t.Fatalf("the acceptance committed %d outbox rows for the caller and the hotline (%v), want 2 (answer at %s)", rows, err, resp.Request.URL)
	}

	waitFor(t, "both sends in flight", 20*time.Second, func() bool {
		tries, _, _ := receiver.state()
		return len(provider.Requests()) == 1 && tries == 1
	})
	srv.kill(t)
	if n := len(provider.Delivered()); n != 0 {
		t.Fatalf("%d SMS delivered before the kill", n)
	}

	hangSMS.Lock()
	hanging = false
	hangSMS.Unlock()
	receiver.mu.Lock()
	receiver.hang = false
	receiver.mu.Unlock()
	startServe(t, args...)
	waitFor(t, "the SMS and the callback after the restart", 30*time.Second, func() bool {
		_, accepted, _ := receiver.state()
		return len(provider.Delivered()) == 1 && accepted == 1
	})
	time.Sleep(2 * time.Second) // anything doubled would arrive by now

	reqs := provider.Requests()
	if len(reqs) != 2 || !reqs[0].Valid || !reqs[1].Valid || reqs[0].Key != reqs[1].Key || len(provider.Delivered()) != 1 {
		t.Fatalf("SMS requests %+v: want the hung one and its one retry, same OutId, one delivered", reqs)
	}
	sms := reqs[1]
	if sms.Phone != "13912345678" || len(sms.Templ) != 1 || sms.Templ[0] != f.Complaint.Ref() {
		t.Fatalf("SMS to %q with %q", sms.Phone, sms.Templ)
	}
	for _, secret := range []string{"噪声", "打桩", "李四", "12369SQ", f.TrackingCode, "城关"} {
		if strings.Contains(sms.Raw, secret) || strings.Contains(sms.Raw, url.QueryEscape(secret)) {
			t.Fatalf("the SMS request carries %q: %s", secret, sms.Raw)
		}
	}
	tries, accepted, events := receiver.state()
	if tries != 2 || accepted != 1 || events[0] != "accepted" || receiver.bad != 0 {
		t.Fatalf("hotline: %d tries, %d accepted %q, %d badly signed", tries, accepted, events, receiver.bad)
	}
	var sent int
	d.Get(&sent, `SELECT COUNT(*) FROM outbox WHERE complaint_id = ? AND status = 'sent'`, f.Complaint.ID)
	if sent != 2 {
		t.Fatalf("%d rows sent", sent)
	}
}

// TestAProviderDownAtTheChangeDeliversAfterRestart: the SMS provider cannot
// be reached when the change commits; serve is killed while the message
// waits; the next start sends it, once.
func TestAProviderDownAtTheChangeDeliversAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	d, spec := dbtest.MustOpenDBSpec(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	// A port nobody listens on: the provider is unreachable.
	l0, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l0.Addr().String()
	l0.Close()
	base := []string{"--db", spec, "--data-dir", dataDir, "--sms", "tencent",
		"--sms-key-id", "AKIDtest", "--sms-key-secret", "tencent-secret", "--sms-sign-name", "石泉生态环境",
		"--sms-template", "1110001", "--sms-app-id", "1400006666", "--quiet-hours", "off", "--notify-timeout", "2s", "--outbox-retry", "1s"}
	srv := startServe(t, append(base, "--sms-endpoint", down)...)
	password := srv.adminPassword(t)
	keys, _, err := secret.LoadOrCreate(filepath.Join(dataDir, "ecoreport.key"))
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewService(d, keys)
	f, err := l.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Water}, TownID: 2,
		Address: "饶峰镇河坝村", Subject: "养殖场", Description: "养殖场污水直排河道，气味很大，鱼都死了。", Identity: ledger.Confidential,
		Contact: &ledger.Contact{Phone: "13712345678"}}, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	c, csrf := srv.login(t, password)
	resp, err := c.PostForm(srv.base+"/office/complaints/"+strconv.FormatInt(f.Complaint.ID, 10)+"/accept", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	waitFor(t, "a failed attempt", 20*time.Second, func() bool {
		var n int
		d.Get(&n, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'failed'`)
		return n >= 1
	})
	srv.kill(t)

	provider := smstest.NewTencent("AKIDtest", "tencent-secret")
	defer provider.Close()
	startServe(t, append(base, "--sms-endpoint", provider.URL)...)
	waitFor(t, "the SMS after the restart", 30*time.Second, func() bool { return len(provider.Delivered()) == 1 })
	time.Sleep(2 * time.Second)
	if rs := provider.Requests(); len(rs) != 1 || !rs[0].Valid || rs[0].Phone != "+8613712345678" || rs[0].Templ[0] != f.Complaint.Ref() {
		t.Fatalf("requests %+v", rs)
	}
}

func TestANotificationMisconfigurationStopsServeWithOneLine(t *testing.T) {
	dir := t.TempDir()
	db := "--db=sqlite:" + filepath.Join(dir, "eco.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"UnknownSMSProvider", []string{"--sms=twilio"}, 2, "配置错误 --sms："},
		{"AliyunWithoutTemplate", []string{"--sms=aliyun", "--sms-key-id=a", "--sms-key-secret=b", "--sms-sign-name=c"}, 1, "配置错误 --sms-template"},
		{"TencentWithoutAppID", []string{"--sms=tencent", "--sms-key-id=a", "--sms-key-secret=b", "--sms-sign-name=c", "--sms-template=1"}, 1, "配置错误 --sms-app-id"},
		{"BadSMTPAddress", []string{"--mail=smtp", "--smtp-addr=smtp.example.cn", "--smtp-from=a@example.cn"}, 1, "配置错误 --smtp-addr"},
		{"BadSender", []string{"--mail=smtp", "--smtp-addr=smtp.example.cn:587", "--smtp-from=督查专班"}, 1, "配置错误 --smtp-from"},
		{"UnknownRule", []string{"--notify-off=reporter.everything"}, 1, "配置错误 --notify-off"},
		{"BadQuietHours", []string{"--quiet-hours=night"}, 1, "配置错误 --quiet-hours"},
		{"WebhookWithoutSecret", []string{"--webhook-url=https://oa.example.cn/hook"}, 2, "配置错误 --webhook-secret"},
		{"BadPublicURL", []string{"--public-url=jubao.example.cn"}, 2, "配置错误 --public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, map[string]string{"ECOREPORT_DATA_DIR": dir}, append([]string{"serve", db, "--addr=127.0.0.1:0"}, tt.args...)...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1] // log lines of the first start may come before it
			if code != tt.code || !strings.Contains(last, tt.want) || strings.Count(errOut, tt.want) != 1 {
				t.Fatalf("code %d, want %d:\n%s", code, tt.code, errOut)
			}
		})
	}
}

func TestOutboxCommands(t *testing.T) {
	dir := t.TempDir()
	db := "--db=sqlite:" + filepath.Join(dir, "eco.db")
	env := map[string]string{"ECOREPORT_DATA_DIR": dir}
	if code, _, e := runCmd(t, env, "user", "add", "--name=insp1", "--role=inspector", db); code != 0 {
		t.Fatal(e)
	}
	d, err := dbOpen(t, strings.TrimPrefix(db, "--db="))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, st := range []string{"dead", "sent"} {
		if _, err := d.Exec(`INSERT INTO outbox (msg_key, rule, channel, recipient, recipient_label, subject, body, status, attempts, next_at,
 last_error, provider_ref, created_at, updated_at) VALUES (?, 'unit.notice', 'email', 'user:1', 'insp1', '主题', '正文', ?, 3, ?, ?, '', ?, ?)`,
			"k"+strconv.Itoa(i), st, now, map[string]string{"dead": "邮件发送失败：550", "sent": ""}[st], now.AddDate(0, 0, -100), now.AddDate(0, 0, -100)); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ListFailures", []string{"outbox", "list", db}, 0, "邮件发送失败：550"},
		{"Show", []string{"outbox", "show", "1", db}, 0, "收到整改通知书"},
		{"ErrShowUnknown", []string{"outbox", "show", "99", db}, 1, "不存在"},
		{"Retry", []string{"outbox", "retry", "1", db}, 0, "已重新排入发送"},
		{"ErrRetrySent", []string{"outbox", "retry", "2", db}, 1, "无需重试"},
		{"Purge", []string{"outbox", "purge", "--days=90", db}, 0, "已删除 1 条"},
		{"Address", []string{"outbox", "address", "--user=insp1", "--email=insp1@example.cn", db}, 0, "insp1@example.cn"},
		{"ErrAddressBad", []string{"outbox", "address", "--user=insp1", "--email=not an address", db}, 2, "--email"},
		{"ErrAddressNoUser", []string{"outbox", "address", "--user=ghost", "--email=g@example.cn", db}, 1, "不存在"},
		{"ErrUsage", []string{"outbox"}, 2, "outbox list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, env, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("code %d, want %d\nout: %s\nerr: %s", code, tt.code, out, errOut)
			}
		})
	}
}

func dbOpen(t *testing.T, spec string) (*db.DB, error) {
	t.Helper()
	return db.Open(context.Background(), spec)
}

func TestMetricsCountTheOutbox(t *testing.T) {
	m, _ := MustRunMain(t)
	f, err := m.Ledger.File(context.Background(), ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air},
		Description: "夜里焚烧垃圾，烟很大，呛得睡不着。", Identity: ledger.Confidential, Contact: &ledger.Contact{Phone: "13812345678"}}, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Ledger.Accept(context.Background(), f.Complaint.ID, 0, ledger.Actor{Name: "inspector1"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get("http://" + m.Addr() + "/healthz"); err == nil { // one request the engine counts
		resp.Body.Close()
	}
	var body string
	waitFor(t, "the outbox metrics", 10*time.Second, func() bool {
		resp, err := http.Get("http://" + m.MetricsAddr() + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return strings.Contains(body, `ecoreport_outbox_messages{state="queued"}`) &&
			(strings.Contains(body, `ecoreport_outbox_messages{state="sent"} 1`) || strings.Contains(body, `ecoreport_outbox_messages{state="queued"} 1`))
	})
	for _, want := range []string{`ecoreport_outbox_messages{state="dead"} 0`, `ecoreport_http_requests_total`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, body)
		}
	}
}

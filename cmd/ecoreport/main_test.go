package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/partner"
)

// MustRunMain starts the whole service on 127.0.0.1:0 on a fresh database;
// each set changes the configuration first.
func MustRunMain(t *testing.T, set ...func(*config.Config)) (*Main, *bytes.Buffer) {
	t.Helper()
	_, spec := dbtest.MustOpenDBSpec(t)
	cfg := config.Default()
	cfg.DB, cfg.Addr, cfg.DataDir, cfg.Captcha = spec, "127.0.0.1:0", t.TempDir(), "off"
	cfg.MetricsAddr, cfg.ShutdownGrace = "127.0.0.1:0", 0
	for _, f := range set {
		f(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: &out}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, &out
}

func TestServeAnswersHealthzAndCreatesTheFirstAdmin(t *testing.T) {
	m, out := MustRunMain(t)
	resp, err := http.Get("http://" + m.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if !strings.Contains(out.String(), "admin") || !strings.Contains(out.String(), "密码") {
		t.Fatalf("first admin not announced: %q", out.String())
	}
	if login := "http://" + m.Addr() + "/office/login"; !strings.Contains(out.String(), login) {
		t.Fatalf("the first start does not say to log in at %s: %q", login, out.String())
	}
	if _, err := m.Users.Authenticate(context.Background(), "admin", between(out.String(), "密码 ", " ")); err != nil {
		t.Fatalf("printed password does not log in: %v", err)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	dbFlag := "--db=sqlite:" + filepath.Join(dir, "eco.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"Help", []string{"help"}, 0, "serve", ""},
		{"HelpServe", []string{"serve", "-h"}, 0, "", "-captcha"},
		{"Version", []string{"version"}, 0, "ecoreport", ""},
		{"ErrUnknown", []string{"frobnicate"}, 2, "", "未知命令"},
		{"ErrBadCaptcha", []string{"serve", "--captcha=maybe"}, 2, "", "--captcha"},
		{"ErrBadDB", []string{"serve", "--db=oracle:x"}, 2, "", "--db"},
		{"ErrDatabaseDown", []string{"serve", "--db=mysql:root@tcp(127.0.0.1:1)/x", "--data-dir=" + dir}, 1, "", "数据库无法连接"},
		{"MigrateUp", []string{"migrate", "up", dbFlag}, 0, "迁移", ""},
		{"MigrateStatus", []string{"migrate", "status", dbFlag}, 0, "已执行", ""},
		{"UserAdd", []string{"user", "add", "--name=inspector1", "--role=inspector", dbFlag}, 0, "密码", ""},
		{"UserAddUnit", []string{"user", "add", "--name=chengguan", "--role=unit", "--unit=城关镇", dbFlag}, 0, "责任单位", ""},
		{"ErrUserAddDuplicate", []string{"user", "add", "--name=inspector1", "--role=inspector", dbFlag}, 1, "", "已存在"},
		{"ErrUserAddRole", []string{"user", "add", "--name=x", "--role=boss", dbFlag}, 2, "", "--role"},
		{"ErrUserAddUnit", []string{"user", "add", "--name=x", "--role=unit", "--unit=火星镇", dbFlag}, 2, "", "--unit"},
		{"UserPasswd", []string{"user", "passwd", "--name=inspector1", dbFlag}, 0, "新密码", ""},
		{"UserDisable", []string{"user", "disable", "--name=inspector1", dbFlag}, 0, "已停用", ""},
		{"ErrUserDisableUnknown", []string{"user", "disable", "--name=ghost", dbFlag}, 1, "", "不存在"},
		{"AuditVerify", []string{"audit", "verify", dbFlag}, 0, "审计链完整", ""},
		{"ErrDemoOnARealDatabase", []string{"demo", dbFlag}, 1, "", "演示数据只能填入"},
		{"Bulletin", []string{"bulletin", "--month=2026-10", "-o", filepath.Join(dir, "b.xlsx"), dbFlag}, 0, "", ""},
		{"ErrBulletinMonth", []string{"bulletin", "--month=2026-13", "-o", filepath.Join(dir, "b.xlsx"), dbFlag}, 2, "", "month"},
		{"Retention", []string{"retention", "run", dbFlag}, 0, "", ""},
		{"RewardExpire", []string{"reward", "expire", dbFlag}, 0, "已过期 0 笔", ""},
		{"ErrRewardUsage", []string{"reward"}, 2, "", "reward expire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, map[string]string{"ECOREPORT_DATA_DIR": dir}, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Fatalf("code %d\nout: %s\nerr: %s", code, out, errOut)
			}
			if tt.code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && !strings.Contains(tt.name, "Help") && tt.name != "ErrUnknown" {
				// one clear line, not a stack trace
				if strings.Contains(errOut, "goroutine") {
					t.Fatalf("stack trace: %s", errOut)
				}
			}
		})
	}
}

func TestEnvironmentConfiguresServe(t *testing.T) {
	code, _, errOut := runCmd(t, map[string]string{"ECOREPORT_CAPTCHA": "sometimes"}, "serve")
	if code != 2 || !strings.Contains(errOut, "ECOREPORT_CAPTCHA") && !strings.Contains(errOut, "--captcha") {
		t.Fatalf("%d %s", code, errOut)
	}
}

func TestAuditVerifyNamesTampering(t *testing.T) {
	dir := t.TempDir()
	dbFlag := "--db=sqlite:" + filepath.Join(dir, "eco.db")
	for _, u := range []string{"a1", "a2", "a3"} {
		if code, _, e := runCmd(t, nil, "user", "add", "--name="+u, "--role=leader", dbFlag); code != 0 {
			t.Fatal(e)
		}
	}
	runCmd(t, nil, "audit", "verify", dbFlag)
	d, err := db.Open(context.Background(), strings.TrimPrefix(dbFlag, "--db="))
	if err != nil {
		t.Fatal(err)
	}
	d.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`)
	d.Close()
	code, out, _ := runCmd(t, nil, "audit", "verify", dbFlag)
	if code != 1 || !strings.Contains(out, "第 2 条") {
		t.Fatalf("%d %s", code, out)
	}
}

func TestMySQLRefusesABehindSchemaUnlessTold(t *testing.T) {
	dsn := os.Getenv(dbtest.EnvMySQL)
	if dsn == "" {
		t.Skip("needs " + dbtest.EnvMySQL)
	}
	// An empty database: every migration pending.
	d, spec := dbtest.MustOpenDBSpec(t)
	d.Exec(`DROP TABLE goose_db_version`)
	for _, tb := range []string{"events", "complaints", "cases"} {
		d.Exec("DROP TABLE " + tb)
	}
	dir := t.TempDir()
	code, _, errOut := runCmd(t, nil, "serve", "--db="+spec, "--data-dir="+dir, "--addr=127.0.0.1:0", "--metrics-addr=127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "migrate") {
		t.Fatalf("%d %s", code, errOut)
	}
}

func TestImportAndHotlineCommands(t *testing.T) {
	dir := t.TempDir()
	samples := filepath.Join("..", "..", "hotline", "testdata")
	if _, err := os.Stat(samples); err != nil {
		t.Skip("samples not found: ", err)
	}
	common := []string{"--db=sqlite:" + filepath.Join(dir, "eco.db"), "--data-dir=" + dir}
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"ImportJSON", append([]string{"import", "--json", "--operator=op1", filepath.Join(samples, "01-12369-utf8-bom.csv")}, common...), 0, `"imported":30`, ""},
		{"ImportAgainUnchanged", append([]string{"import", "--json", filepath.Join(samples, "01-12369-utf8-bom.csv")}, common...), 0, `"unchanged":30`, ""},
		{"ImportWithRejects", append([]string{"import", filepath.Join(samples, "02-12369-gbk-title.csv")}, common...), 0, "", ""},
		{"ErrImportMissingFile", append([]string{"import", filepath.Join(dir, "nope.csv")}, common...), 1, "", ""},
		{"ErrImportNoFile", append([]string{"import"}, common...), 2, "", ""},
		{"AddClient", append([]string{"hotline", "add-client", "county-12345"}, common...), 0, "密钥", ""},
		{"Feedback", append([]string{"hotline", "feedback", "--since-last", "-o", filepath.Join(dir, "fb.csv")}, common...), 0, "", ""},
		{"ErrHotlineUsage", []string{"hotline"}, 2, "", "add-client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Fatalf("code %d\nout: %s\nerr: %s", code, out, errOut)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(dir, "fb.csv"))
	if err != nil || !strings.Contains(string(b), "工单编号") {
		t.Fatalf("feedback file: %v %q", err, b)
	}
}

func TestResidentFilesAndTracksThroughTheRealService(t *testing.T) {
	m, _ := MustRunMain(t)
	base := "http://" + m.Addr()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/api/v1/complaints", `{"categories":["air","noise"],"town":"城关镇","address":"汉江大道107号",
		"subject":"某砂石厂","description":"每天夜里机器轰鸣，粉尘很大，严重影响休息。","identity":"anonymous"}`)
	if code != 201 {
		t.Fatalf("file: %d %s", code, body)
	}
	tracking := between(body, `"tracking_code":"`, `"`)
	if len(tracking) != 19 {
		t.Fatalf("tracking code %q in %s", tracking, body)
	}
	code, body = post("/api/v1/track", `{"code":"`+strings.ToLower(tracking)+`"}`)
	if code != 200 || !strings.Contains(body, "已接收") {
		t.Fatalf("track: %d %s", code, body)
	}
	for _, page := range []string{"/", "/report", "/track"} {
		resp, err := http.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: %d", page, resp.StatusCode)
		}
	}
}

func TestOpen311ThroughTheRealService(t *testing.T) {
	m, _ := MustRunMain(t)
	key, err := partner.New(m.DB).Add(context.Background(), "county-app")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"api_key": {key}, "service_code": {"noise"}, "attribute[town]": {"1"},
		"address_string": {"城关镇汉江大道"}, "description": {"工地夜间施工噪声扰民，持续到凌晨两点。"}}
	resp, err := http.PostForm("http://"+m.Addr()+"/open311/v2/requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 || !strings.Contains(string(b), "service_request_id") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	resp, err = http.Get("http://" + m.Addr() + "/open311/v2/requests.xml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<service_requests>") || strings.Contains(string(b), "凌晨两点") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

// slowBody sends its bytes in pieces, so the request is in flight for a while.
type slowBody struct {
	parts [][]byte
	delay time.Duration
	sent  chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.parts) == 0 {
		return 0, io.EOF
	}
	if b.sent != nil {
		close(b.sent)
		b.sent = nil
	} else {
		time.Sleep(b.delay)
	}
	n := copy(p, b.parts[0])
	b.parts = b.parts[1:]
	return n, nil
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	m, _ := MustRunMain(t)
	body := `{"categories":["water"],"town":"池河镇","address":"池河老街","description":"河里漂着死鱼，水发黑发臭，已经三天了。","identity":"anonymous"}`
	half := len(body) / 2
	sb := &slowBody{parts: [][]byte{[]byte(body[:half]), []byte(body[half:])}, delay: 700 * time.Millisecond, sent: make(chan struct{})}
	started := sb.sent
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+m.Addr()+"/api/v1/complaints", sb)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-started
	time.Sleep(200 * time.Millisecond) // the server has the request, the body is still coming
	spec := m.Config.DB
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	r := <-done
	if r.err != nil || r.code != 201 {
		t.Fatalf("in-flight request: %v %d %s", r.err, r.code, r.body)
	}
	// After the shutdown the complaint is in the database.
	again, err := db.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n int
	if err := again.Get(&n, `SELECT COUNT(*) FROM complaints WHERE description LIKE '%死鱼%'`); err != nil || n != 1 {
		t.Fatalf("complaint after shutdown: %d %v", n, err)
	}
	if _, err := http.Get("http://" + m.Addr() + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
}

func TestDemoFillsAnEmptyDatabaseOnce(t *testing.T) {
	dir := t.TempDir()
	dbFlag := "--db=sqlite:" + filepath.Join(dir, "eco.db")
	code, out, errOut := runCmd(t, nil, "demo", dbFlag, "--data-dir="+dir)
	if code != 0 || !strings.Contains(out, "督查人员") {
		t.Fatalf("%d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, nil, "audit", "verify", dbFlag); code != 0 {
		t.Fatal("demo broke the audit chain")
	}
	if code, _, _ := runCmd(t, nil, "demo", dbFlag, "--data-dir="+dir); code == 0 {
		t.Fatal("demo ran twice")
	}
}

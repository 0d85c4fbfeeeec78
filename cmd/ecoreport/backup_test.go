package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// browser is one person's cookie jar on a running service.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, m *Main) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: "http://" + m.Addr(), client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) get(path string) string {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	code, body := b.do(req)
	if code != 200 {
		b.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf(path string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get(path))
	if m == nil {
		b.t.Fatalf("no csrf token on %s", path)
	}
	return m[1]
}

// logIn logs the browser into the back office.
func (b *browser) logIn(user, password string) {
	b.t.Helper()
	code, body := b.post("/office/login", url.Values{"csrf": {b.csrf("/office/login")}, "username": {user}, "password": {password}})
	if code != http.StatusSeeOther && code != http.StatusFound {
		b.t.Fatalf("log in as %s: %d %s", user, code, body)
	}
}

// report files a confidential complaint with a photo through the portal's
// form and returns the tracking code the receipt shows.
func (b *browser) report(description, phone string) string {
	b.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var photo bytes.Buffer
	jpeg.Encode(&photo, img, nil)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": b.csrf("/report"), "categories": "water", "town": "城关镇", "address": "汉江边",
		"description": description, "identity": "confidential", "name": "王小明", "phone": phone, "action": "submit"} {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("photos", "river.jpg")
	fw.Write(photo.Bytes())
	w.Close()
	req, _ := http.NewRequest("POST", b.base+"/report", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	code, page := b.do(req)
	if code == http.StatusSeeOther { // the receipt is shown on the page the filing redirects to
		code, page = http.StatusOK, b.get("/report/done")
	}
	tc := regexp.MustCompile(`name="code" value="([0-9A-Z-]{19})"`).FindStringSubmatch(page)
	if code != 200 || tc == nil {
		b.t.Fatalf("report: %d %s", code, page)
	}
	return tc[1]
}

// ledgerView is what staff and the reporter see of the ledger, to compare
// before and after a restore.
type ledgerView struct {
	cases   []string // the case numbers on the case list
	contact bool     // the reporter's phone shows when asked for
	tracked bool     // the tracking code finds the complaint
}

func look(t *testing.T, m *Main, adminPassword, code, description, phone string) ledgerView {
	t.Helper()
	staff := newBrowser(t, m)
	staff.logIn("admin", adminPassword)
	cases := regexp.MustCompile(`C\d{6}`).FindAllString(staff.get("/office/cases"), -1)
	slices.Sort(cases)
	var id int64
	if err := m.DB.Get(&id, `SELECT id FROM complaints WHERE description = ?`, description); err != nil {
		t.Fatal(err)
	}
	tok := staff.csrf("/office/inbox")
	_, shown := staff.post(fmt.Sprintf("/office/complaints/%d/contact", id), url.Values{"csrf": {tok}})
	resident := newBrowser(t, m)
	_, track := resident.post("/track", url.Values{"csrf": {resident.csrf("/track")}, "code": {code}})
	return ledgerView{cases: slices.Compact(cases), contact: strings.Contains(shown, phone), tracked: strings.Contains(track, "已接收")}
}

func serveOn(t *testing.T, spec, dir string, out io.Writer) *Main {
	t.Helper()
	cfg := config.Default()
	cfg.DB, cfg.DataDir, cfg.Addr, cfg.Captcha = spec, dir, "127.0.0.1:0", "off"
	cfg.MetricsAddr = "127.0.0.1:0" // the default port may be another run's
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: out}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestBackupWipeRestoreServe is the county's disaster drill: a backup taken
// while the service runs, the data directory lost, the backup restored, and
// the service shows the same ledger and decrypts the same contact.
func TestBackupWipeRestoreServe(t *testing.T) {
	engines := []struct {
		name string
		spec func(t *testing.T, dir string) string
	}{
		{"SQLite", func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "ecoreport.db") }},
	}
	if os.Getenv(dbtest.EnvMySQL) != "" {
		engines = append(engines, struct {
			name string
			spec func(t *testing.T, dir string) string
		}{"MariaDB", func(t *testing.T, _ string) string { _, spec := dbtest.MustOpenDBSpec(t); return spec }})
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			spec := e.spec(t, data)
			code, demoOut, errOut := runCmd(t, nil, "demo", "--db", spec, "--data-dir", data)
			if code != 0 {
				t.Fatalf("demo: %s", errOut)
			}
			adminPassword := printedPassword(t, demoOut, "admin")

			m := serveOn(t, spec, data, io.Discard)
			const description, phone = "汉江边的排污口每天傍晚排出黑水，鱼都死了。", "13800001234"
			trackingCode := newBrowser(t, m).report(description, phone)
			before := look(t, m, adminPassword, trackingCode, description, phone)
			if len(before.cases) < 20 || !before.contact || !before.tracked {
				t.Fatalf("before the backup: %+v", before)
			}

			archive := filepath.Join(dir, "backup.tar.gz")
			code, out, errOut := runCmd(t, nil, "backup", "-o", archive, "--db", spec, "--data-dir", data)
			if code != 0 {
				t.Fatalf("backup while serving: %d %s %s", code, out, errOut)
			}
			m.Close()
			photos, _ := os.ReadDir(filepath.Join(data, "uploads"))
			if len(photos) != 1 {
				t.Fatalf("uploads before: %d", len(photos))
			}
			photo, _ := os.ReadFile(filepath.Join(data, "uploads", photos[0].Name()))

			var dump string
			if _, embedded := db.File(spec); !embedded {
				if !strings.Contains(errOut, "mariadb-dump") {
					t.Fatalf("backup on MariaDB does not say the database is not in it: %q", errOut)
				}
				dump = mariadbDump(t, spec, dir)
			}
			if err := os.RemoveAll(data); err != nil { // the disk is lost
				t.Fatal(err)
			}
			if dump != "" {
				mariadbReload(t, spec, dump)
			}

			code, out, errOut = runCmd(t, nil, "restore", archive, "--db", spec, "--data-dir", data)
			if code != 0 {
				t.Fatalf("restore: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := runCmd(t, nil, "restore", archive, "--db", spec, "--data-dir", data); code != 1 || !strings.Contains(errOut, "--force") {
				t.Fatalf("a second restore over the restored data: %d %s", code, errOut)
			}

			again := serveOn(t, spec, data, io.Discard)
			after := look(t, again, adminPassword, trackingCode, description, phone)
			if !slices.Equal(before.cases, after.cases) || !after.contact || !after.tracked {
				t.Fatalf("after the restore:\nbefore %+v\nafter  %+v", before, after)
			}
			if got, _ := os.ReadFile(filepath.Join(data, "uploads", photos[0].Name())); !bytes.Equal(got, photo) {
				t.Fatal("the photo did not come back")
			}
		})
	}
}

// mariadbDump and mariadbReload run the procedure docs/deployment.md gives
// for a database on a server, with the client tools of the machine.
func mariadbDump(t *testing.T, spec, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("mariadb-dump"); err != nil {
		t.Skip("mariadb-dump not installed")
	}
	cfg := mysqlDSN(t, spec)
	file := filepath.Join(dir, "ecoreport.sql")
	cmd := exec.Command("mariadb-dump", append(clientArgs(cfg), "--single-transaction", "--routines", "--triggers", "--result-file="+file, cfg.DBName)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-dump: %v %s", err, b)
	}
	return file
}

func mariadbReload(t *testing.T, spec, file string) {
	t.Helper()
	cfg := mysqlDSN(t, spec)
	sql := fmt.Sprintf("DROP DATABASE `%[1]s`; CREATE DATABASE `%[1]s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;", cfg.DBName)
	if b, err := exec.Command("mariadb", append(clientArgs(cfg), "-e", sql)...).CombinedOutput(); err != nil {
		t.Fatalf("drop and create: %v %s", err, b)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("mariadb", append(clientArgs(cfg), cfg.DBName)...)
	cmd.Stdin = f
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reload the dump: %v %s", err, b)
	}
}

func mysqlDSN(t *testing.T, spec string) *mysql.Config {
	t.Helper()
	_, dsn, err := config.SplitDB(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func clientArgs(cfg *mysql.Config) []string {
	host, port, _ := strings.Cut(cfg.Addr, ":")
	args := []string{"--protocol=tcp", "-h", host, "-u", cfg.User}
	if port != "" {
		args = append(args, "-P", port)
	}
	if cfg.Passwd != "" {
		args = append(args, "-p"+cfg.Passwd)
	}
	return args
}

func TestBackupCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	spec := "sqlite:" + filepath.Join(dir, "ecoreport.db")
	m := serveOn(t, spec, dir, io.Discard)
	newBrowser(t, m).report("汉江边的排污口每天傍晚排出黑水，鱼都死了。", "13800001234")
	m.Close()
	exists := filepath.Join(dir, "exists.tar.gz")
	os.WriteFile(exists, []byte("yesterday's backup"), 0o600)
	otherKey := filepath.Join(dir, "other.key")
	os.WriteFile(otherKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"ErrOutputExists", []string{"-o", exists}, 2, "不会覆盖"},
		{"ErrWrongKey", []string{"-o", filepath.Join(dir, "a.tar.gz"), "--key-file", otherKey}, 1, "不匹配"},
		{"ErrNoKey", []string{"-o", filepath.Join(dir, "b.tar.gz"), "--key-file", filepath.Join(dir, "missing.key")}, 1, "不存在"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, nil, append([]string{"backup", "--db", spec, "--data-dir", dir}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.err) {
				t.Fatalf("%d %s", code, errOut)
			}
		})
	}
	if b, _ := os.ReadFile(exists); string(b) != "yesterday's backup" {
		t.Fatal("an existing backup was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.key")); err == nil {
		t.Fatal("backup created a key")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".ecoreport-backup-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestFlagsStandAnywhereAmongArguments(t *testing.T) {
	for _, args := range [][]string{{"x.tar.gz", "--force", "--db", "sqlite:a.db"}, {"--force", "x.tar.gz", "--db=sqlite:a.db"}, {"--force", "--db", "sqlite:a.db", "--", "x.tar.gz"}} {
		cfg := config.Default()
		var force bool
		fs, code := flags("restore", "", args, &cfg, config.WithDB, io.Discard, func(fs *flag.FlagSet) { fs.BoolVar(&force, "force", false, "") })
		if code >= 0 || !force || cfg.DB != "sqlite:a.db" || fs.NArg() != 1 || fs.Arg(0) != "x.tar.gz" {
			t.Errorf("%q: code %d force %v db %s args %q", args, code, force, cfg.DB, fs.Args())
		}
	}
}

// TestServeRefusesAKeyThatCannotReadTheContacts: a data directory restored
// without its key (or a wrong --key-file) stops the start with one line,
// instead of sealing new contacts with a second key.
func TestServeRefusesAKeyThatCannotReadTheContacts(t *testing.T) {
	dir := t.TempDir()
	spec := "sqlite:" + filepath.Join(dir, "ecoreport.db")
	m := serveOn(t, spec, dir, io.Discard)
	newBrowser(t, m).report("汉江边的排污口每天傍晚排出黑水，鱼都死了。", "13800001234")
	m.Close()
	key := filepath.Join(dir, "ecoreport.key")
	os.Rename(key, key+".elsewhere")
	other := filepath.Join(dir, "other.key")
	os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"ErrKeyMissing", nil, "不存在"},
		{"ErrWrongKey", []string{"--key-file", other}, "不匹配"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, nil, append([]string{"serve", "--db", spec, "--data-dir", dir, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.err) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("%d %q", code, errOut)
			}
			if _, err := os.Stat(key); err == nil {
				t.Fatal("a new key was left in place of the missing one")
			}
		})
	}
}

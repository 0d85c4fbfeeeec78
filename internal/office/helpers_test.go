package office_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/auth"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify"
	"ecoreport/internal/office"
	"ecoreport/internal/secret"
	"ecoreport/internal/upload"
	"ecoreport/static"
)

var ctx = context.Background()

const password = "correct horse battery"

var (
	hashOnce sync.Once
	hashed   string
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a whole back office on a fresh database, with one user per role
// (named after the role) and a second unit user "unit2" of another town.
type env struct {
	t      *testing.T
	db     *db.DB
	ledger *ledger.Service
	users  *auth.Store
	h      *office.Handler
	r      *gin.Engine
	clk    *clock
	// recovery is the first TOTP recovery code enrolTOTP was shown.
	recovery string
	// uploads is the photo folder the back office serves from (the
	// portal's DataDir/uploads in the application).
	uploads string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)} // 09:00 in Shiquan
	l := ledger.NewService(d, keys)
	l.Now = clk.now
	users := auth.NewStore(d)
	users.Now = clk.now
	// Accounts are inserted with one precomputed hash: argon2id is slow on
	// purpose, and auth.Store.Create has its own tests.
	hashOnce.Do(func() { hashed = auth.HashPassword(password) })
	add := func(name, display string, role auth.Role, unit any) {
		if _, err := d.Exec(`INSERT INTO users (username, display_name, role, unit_id, password_hash, active, failed_logins, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`, name, display, role, unit, hashed, true, clk.t, clk.t); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range auth.Roles {
		var unit any
		if r == auth.UnitUser {
			unit = 1 // 城关镇
		}
		add(string(r), r.Label()+"甲", r, unit)
	}
	add("unit2", "饶峰镇", auth.UnitUser, 2)
	uploads := t.TempDir()
	ob := &notify.Outbox{DB: d, Keys: keys, Settings: notify.DefaultSettings, Location: l.Location, Now: clk.now}
	l.OnEvent = append(l.OnEvent, ob.Hook)
	h := office.New(office.Deps{Ledger: l, Users: users, Now: clk.now, Uploads: upload.NewDir(uploads),
		Hotline: &hotline.Importer{Ledger: l, DB: d}, HotlineFeedback: &hotline.Feedback{Ledger: l, DB: d}, Outbox: ob})
	r := gin.New()
	h.Register(r)
	return &env{t: t, db: d, ledger: l, users: users, h: h, r: r, clk: clk, uploads: uploads}
}

// client is a browser: it keeps cookies and the current CSRF token.
type client struct {
	e       *env
	cookies map[string]*http.Cookie
	csrf    string
}

func (e *env) client() *client { return &client{e: e, cookies: map[string]*http.Cookie{}} }

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

func (c *client) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.e.t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		if form.Get("csrf") == "" {
			form.Set("csrf", c.csrf)
		}
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.e.r.ServeHTTP(w, req)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	if m := csrfRE.FindStringSubmatch(w.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return w
}

func (c *client) get(path string) *httptest.ResponseRecorder { return c.do(http.MethodGet, path, nil) }

func (c *client) post(path string, kv ...string) *httptest.ResponseRecorder {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return c.do(http.MethodPost, path, f)
}

// login logs in through the login page and loads a page to pick up the
// session's CSRF token.
func (e *env) login(username string) *client {
	e.t.Helper()
	c := e.client()
	c.get("/office/login")
	w := c.post("/office/login", "username", username, "password", password)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/" {
		e.t.Fatalf("login %s: %d %s", username, w.Code, w.Body)
	}
	if w := c.get("/office/password"); w.Code != http.StatusOK {
		e.t.Fatalf("after login %s: %d", username, w.Code)
	}
	return c
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) file(in ledger.NewComplaint) ledger.Complaint {
	e.t.Helper()
	f, err := e.ledger.File(ctx, in, ledger.Resident)
	if err != nil {
		e.t.Fatal(err)
	}
	return f.Complaint
}

func webComplaint() ledger.NewComplaint {
	return ledger.NewComplaint{
		Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air, ledger.Noise}, TownID: 1,
		Address: "城关镇汉江大道107号", Subject: "某砂石厂", Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。",
		Identity: ledger.Confidential, Contact: &ledger.Contact{Name: "张三", Phone: "13812345678"}, WantsReward: true,
	}
}

func mustContain(t *testing.T, w *httptest.ResponseRecorder, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(w.Body.String(), s) {
			t.Fatalf("page (%d) lacks %q:\n%s", w.Code, s, w.Body)
		}
	}
}

func mustNotContain(t *testing.T, w *httptest.ResponseRecorder, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(w.Body.String(), s) {
			t.Fatalf("page (%d) must not contain %q", w.Code, s)
		}
	}
}

// kinds lists the event kinds of a case's timeline.
func (e *env) kinds(caseID int64) []string {
	e.t.Helper()
	evs, err := e.ledger.CaseTimeline(ctx, caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

func (e *env) audited(actor, action string) int {
	return e.count(`SELECT COUNT(*) FROM audit_log WHERE actor = ? AND action = ?`, actor, action)
}

// session gives a client a session for username without the login form
// (argon2id makes every real login take a while; the form has its own tests).
func (e *env) session(username string) *client {
	e.t.Helper()
	u, err := e.users.ByUsername(ctx, username)
	if err != nil {
		e.t.Fatal(err)
	}
	token, _, err := e.h.Sessions.Create(ctx, u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	c.cookies[office.SessionCookie] = &http.Cookie{Name: office.SessionCookie, Value: token}
	if w := c.get("/office/password"); w.Code != http.StatusOK || c.csrf == "" {
		e.t.Fatalf("session for %s: %d", username, w.Code)
	}
	return c
}

// mustStyle checks that the page links the stylesheet name of static/ under
// a content-hashed URL and that the stylesheet holds every rule.
func mustStyle(t *testing.T, w *httptest.ResponseRecorder, name string, rules ...string) {
	t.Helper()
	if !regexp.MustCompile(`<link rel="stylesheet" href="/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]{12}">`).MatchString(w.Body.String()) {
		t.Fatalf("page (%d) does not link %s:\n%s", w.Code, name, w.Body)
	}
	css, err := fs.ReadFile(static.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.Contains(string(css), r) {
			t.Fatalf("%s lacks %q", name, r)
		}
	}
}

// hotlineSample is the hotline export the operator pages' tests import: 18
// good rows and 2 that go to the quarantine.
var hotlineSample = filepath.Join("..", "..", "hotline", "testdata", "02-12369-gbk-title.csv")

// importSample imports hotlineSample through the bridge and returns the id
// of a quarantined row.
func (e *env) importSample() int64 {
	e.t.Helper()
	f, err := os.Open(hotlineSample)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	im := &hotline.Importer{Ledger: e.ledger, DB: e.db}
	if _, err := im.Import(ctx, f, "02-12369-gbk-title.csv", "fixture", nil); err != nil {
		e.t.Fatal(err)
	}
	q, err := im.Quarantine(ctx, 10)
	if err != nil || len(q) == 0 {
		e.t.Fatalf("quarantine %v %v", q, err)
	}
	return q[0].ID
}

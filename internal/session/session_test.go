package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/session"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*session.Store, *gin.Engine, *clock, *auth.User) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)}
	users := auth.NewStore(d)
	users.Now = clk.now
	ctx := context.Background()
	if _, err := users.Create(ctx, auth.NewUser{Username: "insp", Role: auth.Inspector, Password: "correct horse"}, "test"); err != nil {
		t.Fatal(err)
	}
	u, _ := users.ByUsername(ctx, "insp")
	s := session.New(d, users)
	s.Now = clk.now
	r := gin.New()
	g := r.Group("/office", s.Middleware())
	g.POST("/login", func(c *gin.Context) {
		if _, err := s.Login(c, u); err != nil {
			t.Fatal(err)
		}
		c.String(200, "ok")
	})
	g.GET("/login", func(c *gin.Context) { c.String(200, session.CSRFToken(c)) })
	g.GET("/me", s.RequireRoles(auth.Inspector), func(c *gin.Context) { c.String(200, session.CSRFToken(c)) })
	g.GET("/admin", s.RequireRoles(auth.Admin), func(c *gin.Context) { c.String(200, "admin") })
	g.POST("/act", s.RequireRoles(auth.Inspector), func(c *gin.Context) { c.String(200, "done") })
	return s, r, clk, u
}

func do(r *gin.Engine, method, path string, cookies []*http.Cookie, form url.Values) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func cookie(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login goes through the pre-login CSRF cookie and returns the session cookie
// and the session's CSRF token.
func login(t *testing.T, r *gin.Engine) (*http.Cookie, string) {
	t.Helper()
	w := do(r, "GET", "/office/login", nil, nil)
	pre := cookie(w, session.PreLoginCookie)
	if pre == nil || w.Body.String() != pre.Value {
		t.Fatalf("pre-login token %v %q", pre, w.Body.String())
	}
	if w := do(r, "POST", "/office/login", []*http.Cookie{pre}, url.Values{}); w.Code != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", w.Code)
	}
	w = do(r, "POST", "/office/login", []*http.Cookie{pre}, url.Values{"csrf": {pre.Value}})
	sc := cookie(w, session.DefaultCookie)
	if w.Code != 200 || sc == nil {
		t.Fatalf("login %d %v", w.Code, sc)
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure {
		t.Fatalf("cookie attributes %+v", sc)
	}
	w = do(r, "GET", "/office/me", []*http.Cookie{sc}, nil)
	if w.Code != 200 {
		t.Fatalf("me %d", w.Code)
	}
	return sc, w.Body.String()
}

func TestSessionLifecycle(t *testing.T) {
	s, r, clk, _ := setup(t)
	sc, csrf := login(t, r)
	var stored string
	s.DB.Get(&stored, `SELECT id FROM sessions`)
	if stored != session.HashToken(sc.Value) || strings.Contains(stored, sc.Value) {
		t.Fatal("the table must hold the token's hash only")
	}

	t.Run("CSRF", func(t *testing.T) {
		if w := do(r, "POST", "/office/act", []*http.Cookie{sc}, url.Values{"csrf": {"wrong"}}); w.Code != http.StatusForbidden {
			t.Fatalf("bad csrf %d", w.Code)
		}
		if w := do(r, "POST", "/office/act", []*http.Cookie{sc}, url.Values{"csrf": {csrf}}); w.Code != 200 {
			t.Fatalf("good csrf %d", w.Code)
		}
	})
	t.Run("Roles", func(t *testing.T) {
		if w := do(r, "GET", "/office/admin", []*http.Cookie{sc}, nil); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "无权") {
			t.Fatalf("admin page %d %s", w.Code, w.Body)
		}
		if w := do(r, "GET", "/office/me", nil, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
			t.Fatalf("anonymous %d %s", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("TouchAtMostOnceAMinute", func(t *testing.T) {
		var before, after time.Time
		s.DB.Get(&before, `SELECT last_seen_at FROM sessions`)
		clk.t = clk.t.Add(30 * time.Second)
		do(r, "GET", "/office/me", []*http.Cookie{sc}, nil)
		s.DB.Get(&after, `SELECT last_seen_at FROM sessions`)
		if !after.Equal(before) {
			t.Fatal("touched within the minute")
		}
		clk.t = clk.t.Add(31 * time.Second)
		do(r, "GET", "/office/me", []*http.Cookie{sc}, nil)
		s.DB.Get(&after, `SELECT last_seen_at FROM sessions`)
		if !after.Equal(clk.t) {
			t.Fatalf("not touched after a minute: %v", after)
		}
	})
	t.Run("IdleTimeout", func(t *testing.T) {
		clk.t = clk.t.Add(29 * time.Minute)
		if w := do(r, "GET", "/office/me", []*http.Cookie{sc}, nil); w.Code != 200 {
			t.Fatalf("29 min idle %d", w.Code)
		}
		clk.t = clk.t.Add(31 * time.Minute)
		if w := do(r, "GET", "/office/me", []*http.Cookie{sc}, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("31 min idle %d", w.Code)
		}
		var n int
		s.DB.Get(&n, `SELECT COUNT(*) FROM sessions`)
		if n != 0 {
			t.Fatal("expired session kept")
		}
	})
}

func TestAbsoluteTimeoutAndDisabledUser(t *testing.T) {
	s, r, clk, u := setup(t)
	sc, _ := login(t, r)
	for i := 0; i < 24; i++ { // busy all day, never idle
		clk.t = clk.t.Add(29 * time.Minute)
		w := do(r, "GET", "/office/me", []*http.Cookie{sc}, nil)
		if elapsed := time.Duration(i+1) * 29 * time.Minute; (elapsed <= 12*time.Hour) != (w.Code == 200) {
			t.Fatalf("after %v: %d", elapsed, w.Code)
		}
	}
	sc, _ = login(t, r)
	if err := s.Users.Disable(context.Background(), u.Username, "admin"); err != nil {
		t.Fatal(err)
	}
	if w := do(r, "GET", "/office/me", []*http.Cookie{sc}, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("disabled user %d", w.Code)
	}
}

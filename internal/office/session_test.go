package office_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/auth"
	"ecoreport/internal/office"
)

// TestLoginEdge drives the session guard through the real back office: the
// pre-login CSRF cookie, cookie attributes, the CSRF check of every form,
// the role guard, expiry and a disabled account.
func TestLoginEdge(t *testing.T) {
	e := newEnv(t)

	t.Run("PreLoginCSRF", func(t *testing.T) {
		c := e.client()
		w := c.get("/office/login")
		pre := c.cookies[office.PreLoginCookie]
		if w.Code != http.StatusOK || pre == nil || c.csrf != pre.Value {
			t.Fatalf("login form %d, pre-login cookie %v, form token %q", w.Code, pre, c.csrf)
		}
		if w := c.do("POST", "/office/login", url.Values{"csrf": {"forged"}, "username": {"inspector"}, "password": {password}}); w.Code != http.StatusForbidden ||
			!strings.Contains(w.Body.String(), "CSRF") || c.cookies[office.SessionCookie] != nil {
			t.Fatalf("login without the token: %d", w.Code)
		}
		w = c.post("/office/login", "username", "inspector", "password", password)
		sc := c.cookies[office.SessionCookie]
		if w.Code != http.StatusSeeOther || sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/office" {
			t.Fatalf("login %d, cookie %+v", w.Code, sc)
		}
		if sc.Value == pre.Value || c.cookies[office.PreLoginCookie] != nil {
			t.Fatal("the pre-login token must end with the login")
		}
	})

	t.Run("CSRFOnEveryPost", func(t *testing.T) {
		c := e.session("inspector")
		before := e.snapshot()
		w := c.do("POST", "/office/password", url.Values{"csrf": {"wrong"}, "current": {password}, "new": {"another password 1"}, "confirm": {"another password 1"}})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "CSRF") || e.snapshot() != before {
			t.Fatalf("forged post %d", w.Code)
		}
		mustContain(t, w, "工作台") // the back office's own error page, in its layout
	})

	t.Run("Roles", func(t *testing.T) {
		c := e.session("inspector")
		if w := c.get("/office/rewards/rules"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "无权") {
			t.Fatalf("admin page %d", w.Code)
		}
		if w := e.client().get("/office/inbox"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
			t.Fatalf("anonymous %d %s", w.Code, w.Header().Get("Location"))
		}
	})

	t.Run("IdleSessionEnds", func(t *testing.T) {
		c := e.session("inspector")
		e.clk.add(29 * time.Minute)
		if w := c.get("/office/inbox"); w.Code != http.StatusOK {
			t.Fatalf("29 min idle %d", w.Code)
		}
		e.clk.add(31 * time.Minute)
		if w := c.get("/office/inbox"); w.Code != http.StatusSeeOther {
			t.Fatalf("31 min idle %d", w.Code)
		}
		if c.cookies[office.SessionCookie] != nil {
			t.Fatal("expired cookie kept")
		}
	})

	t.Run("DisabledUserIsOut", func(t *testing.T) {
		c := e.session("leader")
		if err := e.users.Disable(ctx, "leader", "admin"); err != nil {
			t.Fatal(err)
		}
		if w := c.get("/office/inbox"); w.Code != http.StatusSeeOther {
			t.Fatalf("disabled user %d", w.Code)
		}
	})

	t.Run("ErrStoreDownIs503", func(t *testing.T) {
		c := e.session("admin")
		if _, err := e.db.Exec(`DROP TABLE sessions`); err != nil {
			t.Fatal(err)
		}
		w := c.get("/office/inbox")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "sessions") {
			t.Fatalf("store down %d %s", w.Code, w.Body)
		}
	})
}

// hugeBody is a 300 MiB request body that is never held in memory and
// counts what was read of it.
type hugeBody struct{ left, read int64 }

const hugeSize = 300 << 20

func (b *hugeBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > b.left {
		n = b.left
	}
	for i := range p[:n] {
		p[i] = 'a'
	}
	b.left -= n
	b.read += n
	return int(n), nil
}

// TestNoBodyIsReadBeforeLogin posts 300 MiB to every POST route of the
// table: without a session, every route but the login forms sends the
// request to the login page (no-store) having read nothing of the body,
// and the login forms read at most the form limit; with the session of a
// role the route refuses, nothing is read either.
func TestNoBodyIsReadBeforeLogin(t *testing.T) {
	e := newEnv(t)
	unit := e.session("unit")
	post := func(c *client, path string, upload bool) (*httptest.ResponseRecorder, int64) {
		body := &hugeBody{left: hugeSize}
		req := httptest.NewRequest(http.MethodPost, path, body)
		req.ContentLength = hugeSize
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if upload {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
		}
		if c != nil {
			for _, ck := range c.cookies {
				req.AddCookie(ck)
			}
		}
		w := httptest.NewRecorder()
		e.r.ServeHTTP(w, req)
		return w, body.read
	}
	for _, rt := range office.Routes {
		if rt.Method != http.MethodPost {
			continue
		}
		path := "/office" + strings.NewReplacer(":id", "1", ":task", "1", ":interview", "1", ":referral", "1").Replace(rt.Path)
		t.Run(strings.TrimPrefix(rt.Path, "/"), func(t *testing.T) {
			w, read := post(nil, path, rt.Upload)
			if rt.Roles == nil {
				if read > 1<<20+4096 || w.Code < 400 {
					t.Fatalf("public form without a session: %d, %d bytes read", w.Code, read)
				}
				return
			}
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" || read != 0 {
				t.Fatalf("without a session: %d %s, %d bytes read", w.Code, w.Header().Get("Location"), read)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q", w.Header().Get("Cache-Control"))
			}
			if slices.Contains(rt.Roles, auth.UnitUser) {
				return
			}
			if w, read := post(unit, path, rt.Upload); w.Code != http.StatusForbidden || read != 0 {
				t.Fatalf("another role: %d, %d bytes read", w.Code, read)
			}
		})
	}
}

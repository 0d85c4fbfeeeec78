package portal

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
)

// The home page and the fresh report form are answered from pages prepared
// once (view.Prepared); what a visitor gets must be, byte for byte, what
// the template renders for the same data: with the captcha on and off, a
// county whose names need escaping, and after the town list changed.
func TestPreparedPagesAreTheTemplates(t *testing.T) {
	for _, tt := range []struct {
		name    string
		captcha bool
		county  config.County
	}{
		{"CaptchaOn", true, config.County{}},
		{"CaptchaOff", false, config.County{}},
		{"EscapedCounty", true, config.County{Name: `某县<b>&"'`, TaskForce: "专班 <script>", NoticePrefix: "某环", Hotline: `12369 & "0916"<br>`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t, tt.captcha)
			if tt.county.Name != "" {
				v.h.deps.County = tt.county
				v.h.homePage.Store(nil)
				v.h.reportPage.Store(nil)
			}
			ctx := t.Context()
			check := func(t *testing.T) {
				t.Helper()
				// Home: no token on the page, but the CSRF cookie is set as on every page.
				v.jar = map[string]*http.Cookie{}
				w := v.get("/")
				if pp := v.h.homePage.Load(); pp == nil || pp.p.Served() == 0 {
					t.Fatal("home was not answered from the prepared page")
				}
				if len(w.Result().Cookies()) != 1 {
					t.Fatalf("cookies %v", w.Result().Cookies())
				}
				want := httptest.NewRecorder()
				v.h.views.Render(ctx, want, http.StatusOK, "home", v.h.pageData(page{Title: "生态环境问题举报", Nav: "home", CSRF: "unused"}))
				same(t, "home", w, want)

				// The report form, for a visitor with a cookie and for one without.
				lastKey := ""
				for _, fresh := range []bool{true, false} {
					if fresh {
						v.jar = map[string]*http.Cookie{}
					}
					var served int64
					if pp := v.h.reportPage.Load(); pp != nil {
						served = pp.p.Served()
					}
					w = v.get("/report")
					body := w.Body.String()
					csrf := csrfRE.FindStringSubmatch(body)
					if csrf == nil {
						t.Fatal("no csrf token")
					}
					id := ""
					if m := captchaRE.FindStringSubmatch(body); m != nil {
						id = m[1]
					}
					if (id != "") != tt.captcha {
						t.Fatalf("captcha id %q with captcha %v", id, tt.captcha)
					}
					// The values are this visitor's: the token of the cookie, a stored captcha.
					if want := v.h.keys.MAC("csrf", v.jar[csrfCookie].Value); csrf[1] != want {
						t.Fatalf("csrf %q, want the cookie's %q", csrf[1], want)
					}
					if id != "" && v.h.captcha.Answer(ctx, id) == "" {
						t.Fatalf("captcha %q is not stored", id)
					}
					if pp := v.h.reportPage.Load(); pp == nil || pp.p.Served() != served+1 && pp.p.Served() != 1 {
						t.Fatal("the report form was not answered from the prepared page")
					}
					_, towns, err := v.h.townMap(ctx)
					if err != nil {
						t.Fatal(err)
					}
					want = httptest.NewRecorder()
					// The form's key is this rendering's own: fresh, and
					// another on the next.
					key := formKeyInRE.FindStringSubmatch(body)
					if key == nil || key[1] == lastKey {
						t.Fatalf("form key %v, the last one %q", key, lastKey)
					}
					lastKey = key[1]
					v.h.views.Render(ctx, want, http.StatusOK, "report", v.h.pageData(page{Title: "我要举报", Nav: "report", CSRF: csrf[1],
						V: v.h.reportData(reportInput{Identity: string(ledger.Anonymous), FormKey: key[1]}, nil, photoSet{}, towns, id, "")}))
					same(t, "report", w, want)
				}
			}
			t.Run("Start", check)
			// A town added (with a name to escape) shows once the cache is read again.
			if _, err := v.db.ExecContext(ctx, `INSERT INTO units (kind, name, short_name, sort_order, active) VALUES (?, ?, ?, ?, ?)`,
				"town", `新<镇>&"一"`, "", 99, true); err != nil {
				t.Fatal(err)
			}
			old := v.h.towns.cur.Load()
			stale := *old
			stale.at = stale.at.Add(-2 * 60e9)
			v.h.towns.cur.Store(&stale)
			t.Run("TownAdded", func(t *testing.T) {
				check(t)
				if g := v.h.reportPage.Load().gen; g != old.gen+1 {
					t.Fatalf("prepared for gen %d, want %d", g, old.gen+1)
				}
				if w := v.get("/report"); !bytes.Contains(w.Body.Bytes(), []byte(`<option value="新&lt;镇&gt;&amp;&#34;一&#34;">`)) {
					t.Fatalf("new town not shown:\n%s", w.Body)
				}
			})
		})
	}
}

// A report form with a captcha problem is no fresh form: the template
// renders it with the message, and the prepared page is not used.
func TestReportFormCaptchaProblemUsesTheTemplate(t *testing.T) {
	v := newEnv(t, true)
	v.h.limits.CaptchaPerMin = 1
	v.h.setLimiters()
	if w := v.get("/report"); !captchaRE.MatchString(w.Body.String()) {
		t.Fatal("no captcha on the first form")
	}
	w := v.get("/report")
	if w.Code != 200 || captchaRE.MatchString(w.Body.String()) || !bytes.Contains(w.Body.Bytes(), []byte("验证码获取过于频繁")) {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
}

func same(t *testing.T, what string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
		t.Fatalf("%s: %d %q, template %d %q", what, got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
	}
	if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		a, b := got.Body.Bytes(), want.Body.Bytes()
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Fatalf("%s differs from the template at byte %d:\nprepared …%q\ntemplate …%q", what, i, a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
	}
}

var formKeyInRE = regexp.MustCompile(`name="form_key" value="([0-9a-f]{32})"`)

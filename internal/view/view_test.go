package view

import (
	"bytes"
	"database/sql"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

var testAssets = MustAssets(fstest.MapFS{
	"site.css":    {Data: []byte("body{margin:0}")},
	"favicon.ico": {Data: []byte("\x00\x00\x01\x00icon")},
	"embed.go":    {Data: []byte("package static")},
})

const (
	testLayout   = `<!doctype html><html><head><link rel="stylesheet" href="{{asset "site.css"}}"></head><body>{{block "subnav" .}}{{end}}<main>{{template "content" .}}</main></body></html>`
	testFallback = `<!doctype html><html><body>系统错误</body></html>`
)

func testConfig(files map[string]string, views map[string]string) Config {
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return Config{Name: "test", FS: fsys, Views: views, Assets: testAssets, Location: time.FixedZone("CST", 8*3600),
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), Fallback: []byte(testFallback)}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		views map[string]string
		funcs template.FuncMap
		err   string
	}{
		{"OK", map[string]string{"layout.html": testLayout, "home.html": `{{define "content"}}首页{{end}}`, "sheet.html": `<!doctype html><p>{{.}}</p>`},
			map[string]string{"home": "layout", "sheet": Standalone}, nil, ""},
		{"ErrMissingView", map[string]string{"layout.html": testLayout}, map[string]string{"home": "layout"}, nil, "view home"},
		{"ErrMissingLayout", map[string]string{"home.html": `{{define "content"}}x{{end}}`}, map[string]string{"home": "frame"}, nil, "layout frame"},
		{"ErrBrokenTemplate", map[string]string{"layout.html": testLayout, "home.html": `{{define "content"}}{{if}}{{end}}`},
			map[string]string{"home": "layout"}, nil, "view home"},
		{"ErrUnknownFunction", map[string]string{"layout.html": testLayout, "home.html": `{{define "content"}}{{nope}}{{end}}`},
			map[string]string{"home": "layout"}, nil, "nope"},
		{"ErrNoContent", map[string]string{"layout.html": testLayout, "home.html": `<p>no define</p>`},
			map[string]string{"home": "layout"}, nil, `defines no "content"`},
		{"ErrShadowedFunction", map[string]string{"layout.html": testLayout, "home.html": `{{define "content"}}x{{end}}`},
			map[string]string{"home": "layout"}, template.FuncMap{"date": func() string { return "" }}, `"date"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(tt.files, tt.views)
			c.Funcs = tt.funcs
			s, err := New(c)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(s.Views(), ","); got != "home,sheet" {
					t.Fatalf("views %s", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err %v, want %q", err, tt.err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	var logged bytes.Buffer
	c := testConfig(map[string]string{
		"layout.html": testLayout,
		"home.html":   `{{define "content"}}<h1>{{.Title}}</h1>{{template "field-error" (errOf .Errors "phone")}}{{end}}`,
		"tabs.html":   `{{define "subnav"}}<nav>{{template "nav-links" .Links}}</nav>{{end}}{{define "content"}}表{{end}}`,
		"broken.html": `{{define "content"}}<p>开始</p>{{boom}}<p>结束</p>{{end}}`,
	}, map[string]string{"home": "layout", "tabs": "layout", "broken": "layout"})
	c.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	c.Funcs = template.FuncMap{"boom": func() (string, error) { return "", errors.New("boom") }}
	s := Must(c)
	render := func(code int, name string, data any) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		w.Header().Set("Cache-Control", "no-store")
		s.Render(t.Context(), w, code, name, data)
		return w
	}

	t.Run("OK", func(t *testing.T) {
		w := render(http.StatusUnprocessableEntity, "home", map[string]any{"Title": "<标题>", "Errors": map[string]string{"phone": "请填写电话"}})
		want := `<!doctype html><html><head><link rel="stylesheet" href="/static/site.css?v=` + testAssets.files["site.css"].hash +
			`"></head><body><main><h1>&lt;标题&gt;</h1><p class="field-error">请填写电话</p></main></body></html>`
		if w.Code != http.StatusUnprocessableEntity || w.Body.String() != want {
			t.Fatalf("%d\n%s\nwant\n%s", w.Code, w.Body, want)
		}
		if w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", w.Header())
		}
		if s.Rendered("home") != 1 {
			t.Fatalf("rendered %d", s.Rendered("home"))
		}
	})
	t.Run("NoFieldError", func(t *testing.T) {
		if w := render(200, "home", map[string]any{"Title": "x"}); strings.Contains(w.Body.String(), "field-error") {
			t.Fatal(w.Body.String())
		}
	})
	t.Run("SubnavAndLinks", func(t *testing.T) {
		w := render(200, "tabs", map[string]any{"Links": []Link{{Label: "导入", Href: "/a"}, {Label: "待修正", Href: "/b", Current: true}}})
		if !strings.Contains(w.Body.String(), `<body><nav><a href="/a">导入</a>
<a href="/b" aria-current="page">待修正</a>
</nav><main>表</main>`) {
			t.Fatal(w.Body.String())
		}
	})
	t.Run("ErrTemplateIs500", func(t *testing.T) {
		w := render(http.StatusOK, "broken", nil)
		if w.Code != http.StatusInternalServerError || w.Body.String() != testFallback {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if l := logged.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "view=broken") || !strings.Contains(l, "boom") {
			t.Fatalf("log: %s", l)
		}
		if s.Rendered("broken") != 0 {
			t.Fatal("a failed render counted")
		}
		// The pooled buffer does not carry the failed page into the next one.
		if w := render(200, "tabs", map[string]any{}); strings.Contains(w.Body.String(), "开始") {
			t.Fatal(w.Body.String())
		}
	})
	t.Run("ErrNoView", func(t *testing.T) {
		w := render(http.StatusOK, "missing", nil)
		if w.Code != http.StatusInternalServerError || w.Body.String() != testFallback {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if err := s.Execute(&bytes.Buffer{}, "missing", nil); !errors.Is(err, ErrNoView) {
			t.Fatal(err)
		}
	})
}

func TestFuncs(t *testing.T) {
	f := Funcs(time.FixedZone("CST", 8*3600), testAssets)
	at := time.Date(2026, 11, 2, 17, 4, 5, 0, time.UTC) // 01:04 on the 3rd in Shiquan
	for _, tt := range []struct {
		name string
		fn   string
		arg  any
		want string
	}{
		{"Date", "date", at, "2026-11-03"},
		{"DateTime", "datetime", at, "2026-11-03 01:04"},
		{"Timestamp", "timestamp", at, "2026-11-03 01:04:05"},
		{"ChineseDate", "cndate", at, "2026年11月3日"},
		{"ChineseDateTime", "cndatetime", at, "2026年11月3日 01:04"},
		{"Pointer", "date", &at, "2026-11-03"},
		{"NullTime", "date", sql.NullTime{Time: at, Valid: true}, "2026-11-03"},
		{"InvalidNullTime", "date", sql.NullTime{Time: at}, ""},
		{"ZeroTime", "datetime", time.Time{}, ""},
		{"NilPointer", "date", (*time.Time)(nil), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f[tt.fn].(func(any) (string, error))(tt.arg)
			if err != nil || got != tt.want {
				t.Fatalf("%s(%v) = %q, %v; want %q", tt.fn, tt.arg, got, err, tt.want)
			}
		})
	}
	t.Run("ErrNotATime", func(t *testing.T) {
		if _, err := f["date"].(func(any) (string, error))("2026-11-03"); err == nil {
			t.Fatal("a string formatted as a date")
		}
	})
	t.Run("Truncate", func(t *testing.T) {
		if got := Truncate("生态环境问题", 4); got != "生态环境…" {
			t.Fatal(got)
		}
		if got := Truncate("生态", 4); got != "生态" {
			t.Fatal(got)
		}
	})
}

// Renders run in parallel (one Set serves every request): each answer is
// its own page, whatever the others render into the pooled buffers.
func TestRenderConcurrent(t *testing.T) {
	s := Must(testConfig(map[string]string{
		"layout.html": testLayout,
		"home.html":   `{{define "content"}}<p>{{.}}</p>{{end}}`,
	}, map[string]string{"home": "layout"}))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := strings.Repeat(strconv.Itoa(i), 1+i*100)
			w := httptest.NewRecorder()
			if err := s.Render(t.Context(), w, http.StatusOK, "home", want); err != nil {
				t.Error(err)
				return
			}
			if got := w.Body.String(); !strings.Contains(got, "<main><p>"+want+"</p></main>") || strings.Count(got, "<main>") != 1 {
				t.Errorf("render %d: %d bytes", i, len(got))
			}
		}()
	}
	wg.Wait()
	if n := s.Rendered("home"); n != 50 {
		t.Fatalf("rendered %d", n)
	}
}

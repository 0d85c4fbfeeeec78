package office

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/view"
	"ecoreport/static"
)

// testHandler is a Handler with only the given views (files name.html,
// each standalone).
func testHandler(t *testing.T, log *bytes.Buffer, files map[string]string) *Handler {
	t.Helper()
	fsys, views := fstest.MapFS{}, map[string]string{}
	for name, text := range files {
		fsys[name+".html"] = &fstest.MapFile{Data: []byte(text)}
		views[name] = view.Standalone
	}
	h := &Handler{log: slog.New(slog.NewTextHandler(log, nil))}
	h.views = view.Must(view.Config{Name: "office", FS: fsys, Views: views, Assets: view.MustAssets(static.FS), Logger: h.log,
		Funcs: template.FuncMap{"boom": func() (string, error) { return "", errors.New("boom") }}, Fallback: []byte(renderErrorPage)})
	return h
}

// A template that fails while executing must not give a 200 with half a
// page: renderPage renders into a buffer, logs the error and answers 500.
func TestRenderPageTemplateErrorIs500(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logged bytes.Buffer
	h := testHandler(t, &logged, map[string]string{
		"broken": `<!doctype html><html><body><p>开始</p>{{boom}}<p>结束</p></body></html>`,
		"fine":   `<!doctype html><html><body>{{.Title}}</body></html>`,
	})
	serve := func(view string, code int) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodGet, "/office/x", nil)
		h.renderPage(c, code, view, page{Title: "标题"})
		return w
	}

	w := serve("broken", http.StatusOK)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("template error: status %d, want 500", w.Code)
	}
	body := w.Body.String()
	if strings.Contains(body, "开始") || !strings.Contains(body, "系统错误") || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		t.Fatalf("template error page:\n%s", body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	if !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "view=broken") || !strings.Contains(logged.String(), "boom") {
		t.Fatalf("log: %s", logged.String())
	}

	// An unknown view is a 500 too, not a panic.
	if w := serve("missing", http.StatusOK); w.Code != http.StatusInternalServerError {
		t.Fatalf("unknown view: %d", w.Code)
	}

	// A page that renders keeps its status and is whole; the pooled buffer
	// does not leak the failed page into it.
	w = serve("fine", http.StatusUnprocessableEntity)
	if w.Code != http.StatusUnprocessableEntity || w.Body.String() != `<!doctype html><html><body>标题</body></html>` {
		t.Fatalf("fine page: %d %q", w.Code, w.Body.String())
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("cache-control %q", w.Header().Get("Cache-Control"))
	}
}

// fail renders the error page through renderPage; a failing error page
// still answers 500 with the fixed message.
func TestFailWithBrokenErrorView(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := testHandler(t, &bytes.Buffer{}, map[string]string{"error": `{{.Nope.Field}}`})
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodGet, "/office/x", nil)
	h.fail(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "页面不存在"})
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "系统错误") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

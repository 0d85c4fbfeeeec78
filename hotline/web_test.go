package hotline

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/db/dbtest"
)

func TestWebPages(t *testing.T) {
	gin.SetMode(gin.TestMode)
	dir := impSampleDir(t)
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	w, err := NewWeb(im, &Feedback{Ledger: im.Ledger, DB: d},
		func(*gin.Context) string { return "操作员甲" }, func(*gin.Context) string { return "tok" })
	if err != nil {
		t.Fatal(err)
	}
	w.Home, w.Logout = "/office/", "/office/logout"
	w.User = func(*gin.Context) string { return "张三（op1，热线操作员）" }
	r := gin.New()
	w.Register(r)
	do := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec
	}
	upload := func(csrf string) *httptest.ResponseRecorder {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("file", `..\..\02-12369-gbk-title.csv`)
		b, _ := os.ReadFile(filepath.Join(dir, "02-12369-gbk-title.csv"))
		fw.Write(b)
		mw.Close()
		req := httptest.NewRequest("POST", "/hotline/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return do(req)
	}
	form := func(path string, v url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(req)
	}

	if rec := upload("wrong"); rec.Code != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", rec.Code)
	}
	rec := upload("tok")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "导入回执") || !strings.Contains(rec.Body.String(), "新导入 18") {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), `..\`) {
		t.Fatal("path in file name kept")
	}
	// Every wide table scrolls in its own container; rejected rows show
	// their ticket number.
	if b := rec.Body.String(); strings.Count(b, `<div class="table-wrap"><table>`) != 2 || !strings.Contains(b, "<td>12369SQ202611100112</td>") {
		t.Fatalf("receipt tables: %s", b)
	}
	rec = do(httptest.NewRequest("GET", "/hotline", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "02-12369-gbk-title.csv") || !strings.Contains(rec.Body.String(), `name="csrf" value="tok"`) {
		t.Fatalf("history: %d %s", rec.Code, rec.Body)
	}
	// The office's header: 工作台, who is logged in, logout with the token;
	// the file input is labelled and the history table scrolls on its own.
	for _, want := range []string{`<a href="/office/">工作台</a>`, "张三（op1，热线操作员）", `<form method="post" action="/office/logout"><input type="hidden" name="csrf" value="tok">`,
		`<link rel="icon" href="/favicon.ico">`, `<label class="field" for="hotline-file">`, `id="hotline-file" name="file"`, `<div class="table-wrap"><table>`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("index lacks %s:\n%s", want, rec.Body)
		}
	}
	rec = do(httptest.NewRequest("GET", "/hotline/quarantine", nil))
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "修正并导入</button>") != 2 {
		t.Fatalf("quarantine: %d %s", rec.Code, rec.Body)
	}
	if b := rec.Body.String(); !strings.Contains(b, "第 15 行（12369SQ202611100112）") || !strings.Contains(b, "第 9 行（12369SQ202611120106）") {
		t.Fatalf("quarantine headings without the ticket numbers: %s", b)
	}
	q, _ := im.Quarantine(t.Context(), 10)
	target := q[0]
	v := url.Values{"csrf": {"tok"}}
	for i, f := range target.Raw() {
		val := f.Value
		switch {
		case (strings.Contains(f.Name, "编号") || f.Name == "工单号") && strings.TrimSpace(val) == "":
			val = "WEBFIX1"
		case strings.Contains(f.Name, "时间"):
			val = "2026-11-21 08:00"
		case strings.Contains(f.Name, "内容") && strings.TrimSpace(val) == "":
			val = "补录"
		}
		v.Set("f"+strconv.Itoa(i), val)
	}
	rec = form("/hotline/quarantine/"+strconv.FormatInt(target.ID, 10)+"/fix", v)
	if rec.Code != http.StatusOK || !regexp.MustCompile(`新导入 1|已更新 1|无变化 1`).MatchString(rec.Body.String()) {
		t.Fatalf("fix: %d %s", rec.Code, rec.Body)
	}
	// The fix's receipt names the row as in the file, not as row 2 of the
	// one-row file the fix is read from.
	if want := "<tr><td>" + strconv.Itoa(target.Row) + "</td><td>" + target.TicketNo + "</td>"; target.TicketNo == "" || !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("fix receipt lacks %q: %s", want, rec.Body)
	}
	rec = form("/hotline/quarantine/"+strconv.FormatInt(q[1].ID, 10)+"/fix", url.Values{"csrf": {"tok"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "仍无法导入") {
		t.Fatalf("fix still wrong: %d %s", rec.Code, rec.Body)
	}
	rec = form("/hotline/feedback", url.Values{"csrf": {"tok"}, "mode": {"since_last"}, "format": {"csv"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") ||
		!strings.Contains(rec.Body.String(), "工单编号,查询码") {
		t.Fatalf("feedback: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = form("/hotline/feedback", url.Values{"csrf": {"tok"}, "mode": {"range"}, "from": {"x"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("feedback bad range: %d", rec.Code)
	}
}

func TestWebHeaderLinksFromPrefix(t *testing.T) {
	for _, c := range []struct{ prefix, home, logout string }{
		{"", "", ""},
		{"/hotline", "", ""},
		{"/office/hotline", "/office/", "/office/logout"},
		{"/office/hotline/", "/office/", "/office/logout"},
	} {
		w := &Web{Prefix: c.prefix}
		if w.home() != c.home || w.logout() != c.logout {
			t.Errorf("prefix %q: home %q logout %q, want %q %q", c.prefix, w.home(), w.logout(), c.home, c.logout)
		}
	}
	w := &Web{Prefix: "/office/hotline", Home: "/x/", Logout: "/x/out"}
	if w.home() != "/x/" || w.logout() != "/x/out" {
		t.Errorf("explicit: %q %q", w.home(), w.logout())
	}
}

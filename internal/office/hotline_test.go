package office_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/office"
)

// upload posts a file to the hotline import as the client's browser would.
func (c *client) upload(csrf, filename string, data []byte) *httptest.ResponseRecorder {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/office/hotline/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.e.r.ServeHTTP(w, req)
	return w
}

func sample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(hotlineSample)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHotlinePages is an operator's round: import a file, read the receipt
// and the history, fix a quarantined row, download the feedback; the pages
// are office pages (header, navigation, no-store).
func TestHotlinePages(t *testing.T) {
	e := newEnv(t)
	op := e.session("operator")

	if w := op.upload(strings.Repeat("0", 64), "x.csv", sample(t)); w.Code != http.StatusForbidden || e.count(`SELECT COUNT(*) FROM import_batches`) != 0 {
		t.Fatalf("upload with a bad CSRF token: %d", w.Code)
	}
	w := op.upload(op.csrf, `..\..\02-12369-gbk-title.csv`, sample(t))
	if w.Code != http.StatusOK {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	mustContain(t, w, "导入回执", "新导入 18", "拒收 2", `<p class="flash" role="status">02-12369-gbk-title.csv 已导入。</p>`,
		"<td>12369SQ202611100112</td>", "<title>导入回执 · 12369热线工单 · 生态环境督查工作台</title>")
	mustNotContain(t, w, `..\`)
	// Every wide table scrolls in its own container.
	if n := strings.Count(w.Body.String(), `<div class="table-wrap"><table>`); n != 2 {
		t.Fatalf("receipt: %d scrolling tables", n)
	}

	w = op.get("/office/hotline")
	mustContain(t, w, "02-12369-gbk-title.csv", `name="csrf" value="`+op.csrf+`"`,
		// The office's header: who is logged in, logout, and the navigation
		// with the hotline pages marked current; the bar of hotline pages.
		"热线话务员甲（operator，热线话务员）", `<form method="post" action="/office/logout"><input type="hidden" name="csrf" value="`+op.csrf+`">`,
		`<a href="/office/hotline" aria-current="page">12369热线工单</a>`, `<nav class="sub" aria-label="12369热线工单"><a href="/office/hotline" aria-current="page">导入</a>`,
		`<a href="/office/hotline/quarantine">待修正（2）</a>`, `<link rel="icon" href="/favicon.ico">`,
		`<label class="field" for="hotline-file">`, `id="hotline-file" name="file"`, `<div class="table-wrap"><table>`)
	mustStyle(t, w, "office.css", "nav.sub", ".hotline section")
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("cache-control %q", w.Header().Get("Cache-Control"))
	}

	w = op.get("/office/hotline/quarantine")
	if w.Code != http.StatusOK || strings.Count(w.Body.String(), "修正并导入</button>") != 2 {
		t.Fatalf("quarantine: %d %s", w.Code, w.Body)
	}
	mustContain(t, w, "第 15 行（12369SQ202611100112）", "第 9 行（12369SQ202611120106）", `<a href="/office/hotline/quarantine" aria-current="page">待修正（2）</a>`)

	q, err := (&hotline.Importer{Ledger: e.ledger, DB: e.db}).Quarantine(ctx, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("quarantine %v %v", q, err)
	}
	target := q[0]
	var kv []string
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
		kv = append(kv, "f"+strconv.Itoa(i), val)
	}
	w = op.post("/office/hotline/quarantine/"+strconv.FormatInt(target.ID, 10)+"/fix", kv...)
	if w.Code != http.StatusOK || !regexp.MustCompile(`新导入 1|已更新 1|无变化 1`).MatchString(w.Body.String()) {
		t.Fatalf("fix: %d %s", w.Code, w.Body)
	}
	// The fix's receipt names the row as in the file, not as row 2 of the
	// one-row file the fix is read from.
	if want := "<tr><td>" + strconv.Itoa(target.Row) + "</td><td>" + target.TicketNo + "</td>"; target.TicketNo == "" || !strings.Contains(w.Body.String(), want) {
		t.Fatalf("fix receipt lacks %q: %s", want, w.Body)
	}
	mustContain(t, w, `role="status">第 `+strconv.Itoa(target.Row)+` 行已修正并导入。</p>`)

	w = op.post("/office/hotline/quarantine/" + strconv.FormatInt(q[1].ID, 10) + "/fix")
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "仍无法导入") {
		t.Fatalf("fix still wrong: %d %s", w.Code, w.Body)
	}
	if w := op.post("/office/hotline/quarantine/0/fix"); w.Code != http.StatusNotFound {
		t.Fatalf("fix of no row: %d", w.Code)
	}

	w = op.get("/office/hotline/feedback")
	mustContain(t, w, "工单编号、查询码", `<a href="/office/hotline/feedback" aria-current="page">回音导出</a>`)
	w = op.post("/office/hotline/feedback", "mode", "since_last", "format", "csv")
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Disposition"), `attachment; filename="hotline-feedback-20261103-090000.csv"`) ||
		!strings.Contains(w.Body.String(), "工单编号,查询码") {
		t.Fatalf("feedback: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := op.post("/office/hotline/feedback", "mode", "range", "from", "x"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "请填写开始和结束日期") {
		t.Fatalf("feedback bad range: %d", w.Code)
	}
}

// TestHotlineUploadLimit: a file over the limit is refused with its own
// message before anything reads it into the import, and a form without a
// file says so; neither imports anything.
func TestHotlineUploadLimit(t *testing.T) {
	e := newEnv(t)
	e.h = office.New(office.Deps{Ledger: e.ledger, Users: e.users, Sessions: e.h.Sessions, Now: e.clk.now, MaxUpload: 16 << 10,
		Hotline: &hotline.Importer{Ledger: e.ledger, DB: e.db}, HotlineFeedback: &hotline.Feedback{Ledger: e.ledger, DB: e.db}})
	e.r = gin.New()
	e.h.Register(e.r)
	op := e.session("operator")

	w := op.upload(op.csrf, "big.csv", bytes.Repeat([]byte("x"), 17<<10))
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "上传失败：文件过大（不超过 16 KiB）") {
		t.Fatalf("too large: %d %s", w.Code, w.Body)
	}
	w = op.post("/office/hotline/import")
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "请选择要导入的文件") {
		t.Fatalf("no file: %d %s", w.Code, w.Body)
	}
	if n := e.count(`SELECT COUNT(*) FROM import_batches`); n != 0 {
		t.Fatalf("%d batches", n)
	}
	// Without a session nothing of the body is read: the request goes to
	// the login page (session_test.go sends 300 MiB to every POST route).
	anon := e.client()
	anon.get("/office/login")
	if w := anon.upload(anon.csrf, "big.csv", bytes.Repeat([]byte("x"), 2<<20)); w.Code != http.StatusSeeOther {
		t.Fatalf("anonymous big upload: %d", w.Code)
	}
	if w := anon.upload(anon.csrf, "small.csv", []byte("x")); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
		t.Fatalf("anonymous upload: %d %s", w.Code, w.Header().Get("Location"))
	}
	// Within the limit, the same route imports.
	if w := op.upload(op.csrf, "02-12369-gbk-title.csv", sample(t)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "新导入 18") {
		t.Fatalf("within the limit: %d %s", w.Code, w.Body)
	}
}

// TestHotlinePagesWithoutBridge: an application that gives the back office
// no hotline bridge answers the operator pages with 503, not a panic.
func TestHotlinePagesWithoutBridge(t *testing.T) {
	e := newEnv(t)
	e.h = office.New(office.Deps{Ledger: e.ledger, Users: e.users, Sessions: e.h.Sessions, Now: e.clk.now})
	e.r = gin.New()
	e.h.Register(e.r)
	for _, r := range office.HotlineOperators {
		if w := e.session(string(r)).get("/office/hotline"); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d", r, w.Code)
		}
	}
}

package hotline

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

//go:embed templates/*.html
var templateFS embed.FS

// webViews maps each view to its file; all are parsed with the layout at
// start, so a missing or broken template fails at once.
var webViews = map[string]string{
	"index":      "templates/index.html",
	"receipt":    "templates/receipt.html",
	"quarantine": "templates/quarantine.html",
	"feedback":   "templates/feedback.html",
}

// Web is the operators' pages (热线工单导入后台): upload a file, see its
// receipt, fix quarantined rows, see import history, download feedback.
// Mount it behind the staff login (operator role); Operator names who acts
// and CSRF gives the token the forms carry in the field "csrf".
type Web struct {
	Importer *Importer
	Feedback *Feedback
	Operator func(*gin.Context) string
	CSRF     func(*gin.Context) string
	// Prefix is where Register's routes are reachable from the browser
	// (the group's base path plus "/hotline"); default "/hotline".
	Prefix string
	// Home and Logout are the back office's home page (工作台) and its
	// logout URL (a POST with the csrf field), shown in the header. By
	// default they are derived from Prefix: "/office/hotline" gives
	// "/office/" and "/office/logout"; with no parent path there are none.
	Home, Logout string
	// User names who is logged in for the header, e.g. "张三（op1，热线操作员）";
	// Operator's name when nil.
	User      func(*gin.Context) string
	MaxUpload int64 // default 100 MiB
	Logf      func(format string, args ...any)

	views map[string]*template.Template
}

// NewWeb parses the templates; it fails when one is missing or broken.
func NewWeb(im *Importer, fb *Feedback, operator, csrf func(*gin.Context) string) (*Web, error) {
	w := &Web{Importer: im, Feedback: fb, Operator: operator, CSRF: csrf}
	funcs := template.FuncMap{
		"localTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(im.Ledger.Location).Format("2006-01-02 15:04:05")
		},
		"short": func(s string) string { return s[:min(12, len(s))] },
		"join":  strings.Join,
		"sourceLabel": func(s string) string {
			return map[string]string{SourceFile: "文件", SourcePush: "推送", SourceFix: "修正"}[s]
		},
		"outcomeLabel": OutcomeLabel,
	}
	w.views = map[string]*template.Template{}
	for name, file := range webViews {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/header.html", file)
		if err != nil {
			return nil, fmt.Errorf("hotline: template %s: %w", name, err)
		}
		w.views[name] = t
	}
	return w, nil
}

// Register mounts the pages under /hotline of r.
func (w *Web) Register(r gin.IRouter) {
	g := r.Group("/hotline")
	g.GET("", w.index)
	g.POST("/import", w.upload)
	g.GET("/quarantine", w.quarantine)
	g.POST("/quarantine/:id/fix", w.fix)
	g.GET("/feedback", w.feedbackForm)
	g.POST("/feedback", w.feedbackDownload)
}

type page struct {
	Title, Prefix, Operator, CSRF, Error, Notice string
	Home, Logout, User                           string
	Pending                                      int
	Batches                                      []Batch
	Receipt                                      *Receipt
	Rejects                                      []QuarantinedRow
	FixErrors                                    map[int64]string
	Columns                                      []string
}

func (w *Web) prefix() string {
	if w.Prefix == "" {
		return "/hotline"
	}
	return strings.TrimRight(w.Prefix, "/")
}

// parent is the path Prefix hangs under ("/office" for "/office/hotline"),
// "" when there is none.
func (w *Web) parent() string {
	p := w.prefix()
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return ""
}

func (w *Web) home() string {
	if w.Home != "" {
		return w.Home
	}
	if p := w.parent(); p != "" {
		return p + "/"
	}
	return ""
}

func (w *Web) logout() string {
	if w.Logout != "" {
		return w.Logout
	}
	if p := w.parent(); p != "" {
		return p + "/logout"
	}
	return ""
}

func (w *Web) user(c *gin.Context) string {
	if w.User != nil {
		return w.User(c)
	}
	return w.operator(c)
}

func (w *Web) operator(c *gin.Context) string {
	if w.Operator == nil {
		return ""
	}
	return w.Operator(c)
}

func (w *Web) csrf(c *gin.Context) string {
	if w.CSRF == nil {
		return ""
	}
	return w.CSRF(c)
}

// checkCSRF compares the form's token with the session's; the staff
// middleware may check it too.
func (w *Web) checkCSRF(c *gin.Context) bool {
	want := w.csrf(c)
	if want != "" && subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(want)) == 1 {
		return true
	}
	c.String(http.StatusForbidden, "页面已过期或请求来源无效，请返回刷新后重试。")
	c.Abort()
	return false
}

func (w *Web) render(c *gin.Context, status int, view string, p page) {
	p.Prefix, p.Operator, p.CSRF = w.prefix(), w.operator(c), w.csrf(c)
	p.Home, p.Logout, p.User = w.home(), w.logout(), w.user(c)
	if q, err := w.Importer.Quarantine(c.Request.Context(), 1000); err == nil {
		p.Pending = len(q)
	}
	var buf bytes.Buffer
	if err := w.views[view].ExecuteTemplate(&buf, "layout", p); err != nil {
		w.logf("hotline web: render %s: %v", view, err)
		c.String(http.StatusInternalServerError, "系统错误，请稍后再试")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (w *Web) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

func (w *Web) index(c *gin.Context) {
	p := page{Title: "导入"}
	bs, err := w.Importer.History(c.Request.Context(), 50)
	if err != nil {
		p.Error = apperr.Message(err)
	}
	p.Batches = bs
	w.render(c, http.StatusOK, "index", p)
}

func (w *Web) upload(c *gin.Context) {
	max := w.MaxUpload
	if max <= 0 {
		max = 100 << 20
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil {
		w.render(c, http.StatusBadRequest, "index", page{Title: "导入", Error: fmt.Sprintf("上传失败：文件过大（不超过 %d MiB）或上传不完整", max>>20)})
		return
	}
	defer c.Request.MultipartForm.RemoveAll()
	if !w.checkCSRF(c) {
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		w.render(c, http.StatusUnprocessableEntity, "index", page{Title: "导入", Error: "请选择要导入的文件"})
		return
	}
	f, err := fh.Open()
	if err != nil {
		w.render(c, http.StatusBadRequest, "index", page{Title: "导入", Error: "上传的文件无法读取"})
		return
	}
	defer f.Close()
	name := safeName(fh.Filename)
	rc, err := w.Importer.Import(c.Request.Context(), f, name, w.operator(c), nil)
	if err != nil {
		p := page{Title: "导入失败", Receipt: rc, Error: failLine(name, err)}
		if rc == nil || rc.Total() == 0 {
			p.Receipt = nil
			p.Batches, _ = w.Importer.History(c.Request.Context(), 50)
			w.render(c, http.StatusUnprocessableEntity, "index", p)
			return
		}
		w.render(c, http.StatusInternalServerError, "receipt", p)
		return
	}
	w.render(c, http.StatusOK, "receipt", page{Title: "导入回执", Receipt: rc, Notice: fmt.Sprintf("%s 已导入。", name)})
}

// safeName keeps the base name of an uploaded file, without path tricks or
// control characters.
func safeName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, `\`, "/"))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if s == "" || s == "." || s == "/" {
		s = "上传文件"
	}
	return truncRunes(s, 200)
}

func (w *Web) quarantine(c *gin.Context) {
	w.quarantinePage(c, http.StatusOK, nil, "")
}

func (w *Web) quarantinePage(c *gin.Context, status int, fixErrors map[int64]string, notice string) {
	p := page{Title: "待修正", FixErrors: fixErrors, Notice: notice}
	if p.FixErrors == nil {
		p.FixErrors = map[int64]string{}
	}
	rs, err := w.Importer.Quarantine(c.Request.Context(), 200)
	if err != nil {
		p.Error = apperr.Message(err)
	}
	p.Rejects = rs
	w.render(c, status, "quarantine", p)
}

func (w *Web) fix(c *gin.Context) {
	if !w.checkCSRF(c) {
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.String(http.StatusNotFound, "待修正的行不存在")
		return
	}
	q, err := w.Importer.Reject(c.Request.Context(), id)
	if err != nil {
		w.quarantinePage(c, http.StatusNotFound, map[int64]string{id: apperr.Message(err)}, "")
		return
	}
	fields := map[string]string{}
	for i, f := range q.Raw() {
		if v, ok := c.GetPostForm("f" + strconv.Itoa(i)); ok {
			fields[f.Name] = v
		}
	}
	rc, err := w.Importer.FixReject(c.Request.Context(), id, fields, w.operator(c))
	if err != nil {
		msg := apperr.Message(err)
		if fs := apperr.Fields(err); len(fs) > 0 {
			var parts []string
			for k, v := range fs {
				parts = append(parts, strings.TrimPrefix(k+"：", "：")+v)
			}
			msg = strings.Join(parts, "；")
		}
		status := http.StatusUnprocessableEntity
		if !apperr.Is(err, apperr.EINVALID) && !apperr.Is(err, apperr.ECONFLICT) {
			status = http.StatusInternalServerError
			w.logf("hotline web: fix reject %d: %v", id, err)
		}
		w.quarantinePage(c, status, map[int64]string{id: msg}, "")
		return
	}
	w.render(c, http.StatusOK, "receipt", page{Title: "修正回执", Receipt: rc, Notice: fmt.Sprintf("第 %d 行已修正并导入。", q.Row)})
}

func (w *Web) feedbackForm(c *gin.Context) {
	w.render(c, http.StatusOK, "feedback", page{Title: "回音导出", Columns: FeedbackColumns})
}

func (w *Web) feedbackDownload(c *gin.Context) {
	if !w.checkCSRF(c) {
		return
	}
	q := FeedbackQuery{Format: c.PostForm("format"), SinceLast: c.PostForm("mode") != "range"}
	loc := w.Feedback.Ledger.Location
	if !q.SinceLast {
		f, err1 := time.ParseInLocation("2006-01-02", c.PostForm("from"), loc)
		t, err2 := time.ParseInLocation("2006-01-02", c.PostForm("to"), loc)
		if err1 != nil || err2 != nil || t.Before(f) {
			w.render(c, http.StatusUnprocessableEntity, "feedback", page{Title: "回音导出", Columns: FeedbackColumns, Error: "请填写开始和结束日期（结束不早于开始）"})
			return
		}
		q.From, q.To = f, t.AddDate(0, 0, 1)
	}
	var buf bytes.Buffer
	if _, err := w.Feedback.Export(c.Request.Context(), &buf, q, w.operator(c)); err != nil {
		w.render(c, http.StatusUnprocessableEntity, "feedback", page{Title: "回音导出", Columns: FeedbackColumns, Error: apperr.Message(err)})
		return
	}
	ext, ctype := ".csv", "text/csv; charset=utf-8"
	switch q.Format {
	case FormatCSVGBK:
		ctype = "text/csv; charset=gbk"
	case FormatXLSX:
		ext, ctype = ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	name := "hotline-feedback-" + time.Now().In(loc).Format("20060102-150405") + ext
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

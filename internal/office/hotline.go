package office

// The hotline operators' pages (12369热线工单): upload a ticket export and
// see its receipt, fix quarantined rows, see the import history, download
// the feedback file for the hotline. They are office pages (route table,
// session, roles, no-store, body limits); the work is done by the hotline
// bridge (package hotline: hotline.Importer, hotline.Feedback).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/view"
)

// HotlineOperators import hotline files, fix rejects and export feedback.
var HotlineOperators = []auth.Role{auth.Operator, auth.Admin}

// HotlineImports is what the operator pages need of the import
// (*hotline.Importer).
type HotlineImports interface {
	Import(ctx context.Context, r io.Reader, name, operator string, progress func(rows int)) (*hotline.Receipt, error)
	History(ctx context.Context, limit int) ([]hotline.Batch, error)
	Quarantine(ctx context.Context, limit int) ([]hotline.QuarantinedRow, error)
	Reject(ctx context.Context, id int64) (*hotline.QuarantinedRow, error)
	FixReject(ctx context.Context, id int64, fields map[string]string, operator string) (*hotline.Receipt, error)
}

// HotlineFeedback writes the feedback file for the hotline (*hotline.Feedback).
type HotlineFeedback interface {
	Export(ctx context.Context, w io.Writer, q hotline.FeedbackQuery, operator string) (int, error)
}

// DefaultMaxUpload bounds an uploaded hotline file.
const DefaultMaxUpload = 100 << 20

// hotlineOnly answers 503 when the application gave the back office no
// hotline bridge (Deps.Hotline).
func hotlineOnly(fn func(h *Handler, c *gin.Context)) func(h *Handler, c *gin.Context) {
	return func(h *Handler, c *gin.Context) {
		if h.Hotline == nil || h.HotlineFeedback == nil {
			h.fail(c, apperr.Errorf(apperr.EUNAVAILABLE, "热线工单模块未启用"))
			return
		}
		fn(h, c)
	}
}

// uploadLimit bounds an upload route's body at MaxUpload. It only wraps
// the body: readUpload reads it, once the role check has let the request
// through (Register), so nobody spools 100 MiB to disk before logging in.
func (h *Handler) uploadLimit(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.MaxUpload)
}

// readUpload reads the multipart form before the CSRF check would, so that
// a file over the limit or cut short gets its own answer rather than a
// failed CSRF check. Other bodies (not multipart) go on to that check as
// they are.
func (h *Handler) readUpload(c *gin.Context) {
	err := c.Request.ParseMultipartForm(8 << 20)
	if err == nil || errors.Is(err, http.ErrNotMultipart) {
		return
	}
	code, msg := http.StatusBadRequest, "上传失败：上传不完整，请重新选择文件上传（文件不超过 "+sizeText(h.MaxUpload)+"）"
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		code, msg = http.StatusRequestEntityTooLarge, "上传失败：文件过大（不超过 "+sizeText(h.MaxUpload)+"）"
	}
	h.renderPage(c, code, "error", page{Title: "上传失败", Error: msg})
	c.Abort()
}

// sizeText is a size limit for people: 100 MiB, 64 KiB.
func sizeText(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}

// hotlineData is what the hotline views get as Data.
type hotlineData struct {
	Sub       []view.Link // the bar of the hotline pages
	Batches   []hotline.Batch
	Receipt   *hotline.Receipt
	Rejects   []hotline.QuarantinedRow
	FixErrors map[int64]string
	Columns   []string
}

// hotlineMsg is a hotline page's title and its one-line messages.
type hotlineMsg struct{ title, notice, err string }

// hotlineRender renders a hotline view; sub names its entry of the bar
// (import, quarantine, feedback), which counts the rows waiting for a fix.
func (h *Handler) hotlineRender(c *gin.Context, code int, view, sub string, m hotlineMsg, d hotlineData) {
	pending := 0
	if q, err := h.Hotline.Quarantine(h.ctx(c), 1000); err == nil {
		pending = len(q)
	}
	d.Sub = hotlineBar(sub, pending)
	h.renderPage(c, code, view, page{Title: m.title + " · 12369热线工单", Flash: m.notice, Error: m.err, Data: d})
}

func hotlineBar(current string, pending int) []view.Link {
	return []view.Link{
		{Label: "导入", Href: "/office/hotline", Current: current == "import"},
		{Label: fmt.Sprintf("待修正（%d）", pending), Href: "/office/hotline/quarantine", Current: current == "quarantine"},
		{Label: "回音导出", Href: "/office/hotline/feedback", Current: current == "feedback"},
	}
}

func operatorName(c *gin.Context) string {
	if u := User(c); u != nil {
		return u.Username
	}
	return ""
}

func (h *Handler) hotlineIndex(c *gin.Context) {
	m := hotlineMsg{title: "导入"}
	bs, err := h.Hotline.History(h.ctx(c), 50)
	if err != nil {
		m.err = apperr.Message(err)
	}
	h.hotlineRender(c, http.StatusOK, "hotline_index", "import", m, hotlineData{Batches: bs})
}

// hotlineUpload imports an uploaded file (the route reads the multipart
// body, see uploadLimit) and shows its receipt.
func (h *Handler) hotlineUpload(c *gin.Context) {
	fh, err := c.FormFile("file")
	if err != nil {
		h.hotlineRender(c, http.StatusUnprocessableEntity, "hotline_index", "import", hotlineMsg{title: "导入", err: "请选择要导入的文件"}, hotlineData{})
		return
	}
	f, err := fh.Open()
	if err != nil {
		h.hotlineRender(c, http.StatusBadRequest, "hotline_index", "import", hotlineMsg{title: "导入", err: "上传的文件无法读取"}, hotlineData{})
		return
	}
	defer f.Close()
	name := safeName(fh.Filename)
	rc, err := h.Hotline.Import(h.ctx(c), f, name, operatorName(c), nil)
	if err != nil {
		m := hotlineMsg{title: "导入失败", err: hotline.FailLine(name, err)}
		if rc == nil || rc.Total() == 0 {
			bs, _ := h.Hotline.History(h.ctx(c), 50)
			h.hotlineRender(c, http.StatusUnprocessableEntity, "hotline_index", "import", m, hotlineData{Batches: bs})
			return
		}
		h.log.ErrorContext(h.ctx(c), "office: hotline import", "file", name, "err", err)
		h.hotlineRender(c, http.StatusInternalServerError, "hotline_receipt", "import", m, hotlineData{Receipt: rc})
		return
	}
	h.hotlineRender(c, http.StatusOK, "hotline_receipt", "import", hotlineMsg{title: "导入回执", notice: fmt.Sprintf("%s 已导入。", name)}, hotlineData{Receipt: rc})
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
	return view.Truncate(s, 200)
}

func (h *Handler) hotlineQuarantine(c *gin.Context) {
	h.quarantinePage(c, http.StatusOK, nil, "")
}

func (h *Handler) quarantinePage(c *gin.Context, code int, fixErrors map[int64]string, notice string) {
	m := hotlineMsg{title: "待修正", notice: notice}
	if fixErrors == nil {
		fixErrors = map[int64]string{}
	}
	rs, err := h.Hotline.Quarantine(h.ctx(c), 200)
	if err != nil {
		m.err = apperr.Message(err)
	}
	h.hotlineRender(c, code, "hotline_quarantine", "quarantine", m, hotlineData{Rejects: rs, FixErrors: fixErrors})
}

// hotlineFix imports a quarantined row with the operator's corrections.
func (h *Handler) hotlineFix(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, apperr.Errorf(apperr.ENOTFOUND, "待修正的行不存在"))
		return
	}
	q, err := h.Hotline.Reject(h.ctx(c), id)
	if err != nil {
		h.quarantinePage(c, http.StatusNotFound, map[int64]string{id: apperr.Message(err)}, "")
		return
	}
	fields := map[string]string{}
	for i, f := range q.Raw() {
		if v, ok := c.GetPostForm("f" + strconv.Itoa(i)); ok {
			fields[f.Name] = v
		}
	}
	rc, err := h.Hotline.FixReject(h.ctx(c), id, fields, operatorName(c))
	if err != nil {
		msg := apperr.Message(err)
		if fs := apperr.Fields(err); len(fs) > 0 {
			var parts []string
			for k, v := range fs {
				parts = append(parts, strings.TrimPrefix(k+"：", "：")+v)
			}
			msg = strings.Join(parts, "；")
		}
		code := http.StatusUnprocessableEntity
		if !apperr.Is(err, apperr.EINVALID) && !apperr.Is(err, apperr.ECONFLICT) {
			code = http.StatusInternalServerError
			h.log.ErrorContext(h.ctx(c), "office: hotline fix reject", "id", id, "err", err)
		}
		h.quarantinePage(c, code, map[int64]string{id: msg}, "")
		return
	}
	h.hotlineRender(c, http.StatusOK, "hotline_receipt", "quarantine",
		hotlineMsg{title: "修正回执", notice: fmt.Sprintf("第 %d 行已修正并导入。", q.Row)}, hotlineData{Receipt: rc})
}

func (h *Handler) hotlineFeedbackForm(c *gin.Context) {
	h.hotlineRender(c, http.StatusOK, "hotline_feedback", "feedback", hotlineMsg{title: "回音导出"}, hotlineData{Columns: hotline.FeedbackColumns})
}

// hotlineFeedbackDownload sends the feedback file: the tickets changed
// since the last such export, or those changed in a range of days.
func (h *Handler) hotlineFeedbackDownload(c *gin.Context) {
	q := hotline.FeedbackQuery{Format: c.PostForm("format"), SinceLast: c.PostForm("mode") != "range"}
	bad := func(msg string) {
		h.hotlineRender(c, http.StatusUnprocessableEntity, "hotline_feedback", "feedback", hotlineMsg{title: "回音导出", err: msg},
			hotlineData{Columns: hotline.FeedbackColumns})
	}
	if !q.SinceLast {
		f, err1 := time.ParseInLocation("2006-01-02", c.PostForm("from"), h.Location)
		t, err2 := time.ParseInLocation("2006-01-02", c.PostForm("to"), h.Location)
		if err1 != nil || err2 != nil || t.Before(f) {
			bad("请填写开始和结束日期（结束不早于开始）")
			return
		}
		q.From, q.To = f, t.AddDate(0, 0, 1)
	}
	var buf bytes.Buffer
	if _, err := h.HotlineFeedback.Export(h.ctx(c), &buf, q, operatorName(c)); err != nil {
		bad(apperr.Message(err))
		return
	}
	ext, ctype := ".csv", "text/csv; charset=utf-8"
	switch q.Format {
	case hotline.FormatCSVGBK:
		ctype = "text/csv; charset=gbk"
	case hotline.FormatXLSX:
		ext, ctype = ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	name := "hotline-feedback-" + h.Now().In(h.Location).Format("20060102-150405") + ext
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

package portal

import (
	"errors"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/captcha"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
	"ecoreport/internal/web"
)

// reportView is the report form's data.
type reportView struct {
	In         reportInput
	Errors     map[string]string
	Summary    []errorLink // every problem, in the form's order, linking to its field
	Towns      []ledger.Unit
	Categories []ledger.Category
	CaptchaID  string
	Photos     photoSet
}

// errorLink is one entry of a form's error summary: the message and the id
// of the control it is about.
type errorLink struct {
	Field, Message, Target string
}

// reportFields are the report form's fields in the order they appear, each
// with the id of the control the error summary links to and the name the
// summary gives it when the message does not.
var reportFields = []formField{
	{"form", "", ""}, {"categories", "cat-air", "污染类型"}, {"town", "town", "所在的镇"}, {"address", "address", "详细地址"},
	{"subject", "subject", "被举报对象"}, {"description", "description", "问题描述"}, {"occurred", "occurred", "发生时间"},
	{"photos", "photos", "照片"}, {"identity", "identity-anonymous", "身份"}, {"name", "name", "姓名"},
	{"phone", "phone", "联系电话"}, {"captcha_solution", "captcha_solution", "验证码"},
}

// formField is one field of a form as its error summary names it.
type formField struct{ name, target, label string }

// summary lists fields in the order of order, each message prefixed with
// its field's name unless it says it already; a field the order does not
// know goes last, linking nowhere.
func summary(fields map[string]string, order []formField) []errorLink {
	var out []errorLink
	seen := map[string]bool{}
	for _, f := range order {
		m, ok := fields[f.name]
		if !ok || m == "" {
			continue
		}
		if f.label != "" && !strings.Contains(m, f.label) {
			m = f.label + "：" + m
		}
		out = append(out, errorLink{Field: f.name, Message: m, Target: f.target})
		seen[f.name] = true
	}
	rest := []string{}
	for k, m := range fields {
		if !seen[k] && m != "" {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, errorLink{Field: k, Message: fields[k]})
	}
	return out
}

// reportForm shows the empty report form with a fresh captcha.
func (h *Handler) reportForm(c *gin.Context) {
	h.renderReport(c, http.StatusOK, reportInput{Identity: string(ledger.Anonymous)}, nil, "", photoSet{})
}

// renderReport shows the form with what was typed, the held photos, every
// field message at once (with a summary that takes focus) and a new
// captcha (the old one is used up by any check).
func (h *Handler) renderReport(c *gin.Context, code int, in reportInput, fields map[string]string, msg string, ps photoSet) {
	ctx := h.ctx(c)
	_, towns, err := h.townMap(ctx)
	if err != nil {
		h.renderError(c, err)
		return
	}
	v := reportView{In: in, Towns: towns, Categories: ledger.AllCategories, Photos: ps, Errors: map[string]string{}}
	for k, m := range fields {
		v.Errors[k] = m
	}
	if ps.Msg != "" {
		v.Errors["photos"] = ps.Msg
	}
	if h.deps.Captcha {
		if err := h.allow(h.captchaLimit, h.clientKey(c, "captcha")); err != nil {
			v.Errors["captcha_solution"] = "验证码获取过于频繁，请稍后刷新页面"
		} else if id, err := h.captcha.New(ctx); err != nil {
			h.logErr(c, "new captcha", err)
			v.Errors["captcha_solution"] = "验证码暂时无法生成，请稍后刷新页面"
		} else {
			v.CaptchaID = id
		}
	}
	if len(fields) > 0 {
		v.Summary = summary(v.Errors, reportFields)
		msg = "" // the summary says it, field by field
	}
	h.render(c, code, "report", page{Title: "我要举报", Nav: "report", Error: msg, V: v})
}

// readReportForm collects the form's values (kept short for showing back).
func readReportForm(c *gin.Context) reportInput {
	f := c.Request.PostForm
	in := reportInput{
		Town: f.Get("town"), Address: f.Get("address"), Subject: f.Get("subject"),
		Description: f.Get("description"), Occurred: f.Get("occurred"), Identity: f.Get("identity"),
		Name: f.Get("name"), Phone: f.Get("phone"), WantsReward: f.Get("wants_reward") != "",
		CaptchaID: f.Get("captcha_id"), CaptchaSolution: f.Get("captcha_solution"),
	}
	in.Categories = f["categories"]
	if len(in.Categories) > 16 {
		in.Categories = in.Categories[:16]
	}
	return in
}

// shown returns a copy of in that is safe and small enough to show back.
func shown(in reportInput) reportInput {
	out := in
	out.Town = keepText(in.Town, 40)
	out.Address = keepText(in.Address, 400)
	out.Subject = keepText(in.Subject, 400)
	out.Description = keepText(in.Description, 4000)
	out.Occurred = keepText(in.Occurred, 200)
	out.Name = keepText(in.Name, 100)
	out.Phone = keepText(in.Phone, 40)
	out.CaptchaSolution = ""
	return out
}

// parseForm parses a POST body of either encoding within the route's limit:
// ETOOLARGE over it, EMALFORMED when it cannot be read.
func parseForm(c *gin.Context) error {
	err := c.Request.ParseMultipartForm(8 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		err = c.Request.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, multipart.ErrMessageTooLarge) {
			const msg = "提交的内容过大（照片每张不超过10MB，合计不超过70MB）"
			return &apperr.Error{Code: apperr.ETOOLARGE, Message: msg, Fields: map[string]string{"photos": msg}}
		}
		const msg = "提交的内容无法读取，请重新提交"
		return &apperr.Error{Code: apperr.EMALFORMED, Message: msg, Fields: map[string]string{"form": msg}}
	}
	return nil
}

// reportFailed answers a filing that did not go through with the form
// again: what was typed, the held photos, the problem and its field
// messages, a new captcha.
func (h *Handler) reportFailed(c *gin.Context, in reportInput, ps photoSet, err error) {
	h.errs.HTML(c, err, func(p web.Problem) {
		h.renderReport(c, p.Status, shown(in), p.Fields, p.Message, ps)
	})
}

// reportSubmit files a report. Every field is checked, the captcha with
// them, and every problem is shown at once; photos are kept under the
// form's token whatever else was wrong. A filing that went through is
// answered with a redirect to its receipt page (POST-redirect-GET), so a
// refresh never sends the form again.
//
// Rate limits count what they are for: a filing that went through counts
// against the filing limit, a wrong captcha answer against the captcha
// limit, and a form sent back for a field to fix against neither.
func (h *Handler) reportSubmit(c *gin.Context) {
	ctx := h.ctx(c)
	perr := parseForm(c)
	if c.Request.MultipartForm != nil {
		defer c.Request.MultipartForm.RemoveAll()
	}
	in := readReportForm(c)
	if perr != nil {
		h.reportFailed(c, in, photoSet{}, perr)
		return
	}
	if !h.checkCSRF(c) {
		h.reportFailed(c, in, photoSet{}, errCSRF)
		return
	}
	if c.Request.PostForm.Get("action") == "reload_captcha" {
		ps, err := h.collectPhotos(c, "photos")
		if err != nil {
			h.reportFailed(c, in, ps, err)
			return
		}
		h.renderReport(c, http.StatusOK, shown(in), nil, "", ps)
		return
	}
	fileKey, capKey := h.clientKey(c, "file"), h.clientKey(c, "captcha-fail")
	if err := h.allow(h.fileLimit, fileKey); err != nil {
		h.reportFailed(c, in, photoSet{}, err)
		return
	}
	filed := false
	defer func() {
		if !filed {
			h.fileLimit.Refund(fileKey)
		}
	}()
	if ok, wait := h.captchaFailLimit.Peek(capKey); !ok {
		h.reportFailed(c, in, photoSet{}, refused(wait))
		return
	}
	towns, _, err := h.townMap(ctx)
	if err != nil {
		h.renderError(c, err)
		return
	}
	nc, verr := validateReport(&in, towns, ledger.ChannelWeb)
	fields := map[string]string{}
	for k, m := range apperr.Fields(verr) {
		fields[k] = m
	}
	if verr != nil && len(fields) == 0 {
		h.reportFailed(c, in, photoSet{}, verr)
		return
	}
	honeypot := c.Request.PostForm.Get("website")
	if err := h.captcha.Verify(ctx, in.CaptchaID, in.CaptchaSolution, honeypot); err != nil {
		cf := apperr.Fields(err)
		if cf == nil {
			h.reportFailed(c, in, photoSet{}, err)
			return
		}
		h.captchaFailLimit.Allow(capKey)
		for k, m := range cf {
			fields[k] = m
		}
		if errors.Is(err, captcha.ErrHoneypot) {
			h.reportFailed(c, in, photoSet{}, apperr.Invalid(fields))
			return
		}
	}
	ps, err := h.collectPhotos(c, "photos")
	if err != nil {
		h.reportFailed(c, in, ps, merge(err, fields))
		return
	}
	if ps.Msg != "" {
		fields["photos"] = ps.Msg
	}
	if ps.Busy {
		h.reportFailed(c, in, ps, merge(photo.ErrBusy, fields))
		return
	}
	if len(fields) > 0 {
		h.reportFailed(c, in, ps, apperr.Invalid(fields))
		return
	}
	r, err := h.conv.FileReport(ctx, conversation.Filing{Complaint: nc, Held: conversation.HeldClaim{Token: ps.Token, Seqs: ps.Keep}, Receipt: true})
	if err != nil {
		if errors.Is(err, conversation.ErrHeldGone) {
			ps = photoSet{}
		}
		h.reportFailed(c, in, ps, err)
		return
	}
	filed = true
	h.setReceiptCookie(c, r.ReceiptToken)
	c.Redirect(http.StatusSeeOther, receiptPath)
}

// merge returns err with the field messages of fields added to its own,
// so that a form answered with a store or busy error still shows every
// problem found before it. An error that is no *apperr.Error stays as it
// is (it is logged and shown as 系统错误).
func merge(err error, fields map[string]string) error {
	var e *apperr.Error
	if !errors.As(err, &e) || len(fields) == 0 {
		return err
	}
	out := *e
	out.Fields = map[string]string{}
	for k, m := range fields {
		out.Fields[k] = m
	}
	for k, m := range e.Fields {
		out.Fields[k] = m
	}
	return &out
}

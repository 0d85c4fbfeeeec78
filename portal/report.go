package portal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/captcha"
	"ecoreport/internal/conversation"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
	"ecoreport/internal/view"
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

// reportForm shows the empty report form with a fresh captcha. The form is
// the same for everyone but for the CSRF token and the captcha id, so it is
// answered from the prepared page (preparedReport) when the captcha was
// issued; otherwise, or when a token is not plain, the template renders it.
func (h *Handler) reportForm(c *gin.Context) {
	ctx := h.ctx(c)
	ts, err := h.townSnap(ctx)
	if err != nil {
		h.renderError(c, err)
		return
	}
	in := reportInput{Identity: string(ledger.Anonymous), FormKey: newFormKey()}
	id, capMsg := h.issueCaptcha(c)
	if capMsg == "" {
		if p := h.preparedReport(ts); p != nil && p.Render(ctx, c.Writer, http.StatusOK, h.csrfToken(c), id, in.FormKey) {
			return
		}
	}
	h.renderReportView(c, http.StatusOK, in, nil, "", photoSet{}, ts.towns, id, capMsg)
}

// preparedReport is the empty report form prepared for the towns of ts
// (view.Prepared: slot 0 the CSRF token, slot 1 the captcha id, slot 2 the
// form's idempotency key), prepared
// again when the town list was read again. nil when it cannot be prepared
// (logged; the template then renders every form).
func (h *Handler) preparedReport(ts *townSnapshot) *view.Prepared {
	if pp := h.reportPage.Load(); pp != nil && pp.gen == ts.gen {
		return pp.p
	}
	v := h.reportData(reportInput{Identity: string(ledger.Anonymous), FormKey: view.Slot(2)}, nil, photoSet{}, ts.towns, "", "")
	if h.deps.Captcha {
		v.CaptchaID = view.Slot(1)
	}
	p, err := h.views.Prepare("report", h.pageData(page{Title: "我要举报", Nav: "report", V: v, CSRF: view.Slot(0)}))
	if err != nil {
		h.log.Error("portal: prepare the report form", "err", err)
		return nil
	}
	h.reportPage.Store(&preparedPage{gen: ts.gen, p: p})
	return p
}

// issueCaptcha makes the form's captcha when the captcha is on: its id, or
// the message the form shows in its place (too many new captchas from this
// client, or none could be made).
func (h *Handler) issueCaptcha(c *gin.Context) (id, msg string) {
	if !h.deps.Captcha {
		return "", ""
	}
	if err := h.allow(h.captchaLimit, h.clientKey(c, "captcha")); err != nil {
		return "", "验证码获取过于频繁，请稍后刷新页面"
	}
	id, err := h.captcha.New(h.ctx(c))
	if err != nil {
		h.logErr(c, "new captcha", err)
		return "", "验证码暂时无法生成，请稍后刷新页面"
	}
	return id, ""
}

// renderReport shows the form with what was typed, the held photos, every
// field message at once (with a summary that takes focus) and a new
// captcha (the old one is used up by any check).
func (h *Handler) renderReport(c *gin.Context, code int, in reportInput, fields map[string]string, msg string, ps photoSet) {
	_, towns, err := h.townMap(h.ctx(c))
	if err != nil {
		h.renderError(c, err)
		return
	}
	id, capMsg := h.issueCaptcha(c)
	h.renderReportView(c, code, in, fields, msg, ps, towns, id, capMsg)
}

// reportData is the form's data: capMsg is the captcha's problem, if any.
func (h *Handler) reportData(in reportInput, fields map[string]string, ps photoSet, towns []ledger.Unit, captchaID, capMsg string) reportView {
	v := reportView{In: in, Towns: towns, Categories: ledger.AllCategories, Photos: ps, Errors: map[string]string{}, CaptchaID: captchaID}
	for k, m := range fields {
		v.Errors[k] = m
	}
	if ps.Msg != "" {
		v.Errors["photos"] = ps.Msg
	}
	if capMsg != "" {
		v.Errors["captcha_solution"] = capMsg
	}
	if len(fields) > 0 {
		v.Summary = summary(v.Errors, reportFields)
	}
	return v
}

func (h *Handler) renderReportView(c *gin.Context, code int, in reportInput, fields map[string]string, msg string, ps photoSet, towns []ledger.Unit, captchaID, capMsg string) {
	if in.FormKey == "" {
		in.FormKey = newFormKey()
	}
	v := h.reportData(in, fields, ps, towns, captchaID, capMsg)
	if len(fields) > 0 {
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
		FormKey: f.Get("form_key"),
	}
	if !formKeyRE.MatchString(in.FormKey) {
		in.FormKey = "" // an old or altered form: filed without a key, shown again with a new one
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
	// The form's key seen before (a double submit, a retry after a lost
	// answer): the same receipt again, before the captcha, which the first
	// submission used up, is checked.
	claim := h.formClaim(in, c.Request.PostForm)
	if claim != nil {
		if a, err := claim.Replay(ctx); err != nil || a != nil {
			h.formReplayed(c, in, a, err)
			return
		}
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
	r, err := h.conv.FileReport(ctx, conversation.Filing{Complaint: nc, Held: conversation.HeldClaim{Token: ps.Token, Seqs: ps.Keep}, Receipt: true,
		Once: claim, Answer: formAnswer})
	if err != nil {
		if claim != nil {
			var a *idempotency.Answer
			if a, err = claim.Settle(ctx, err); a != nil || errors.Is(err, idempotency.ErrKeyReused) || errors.Is(err, idempotency.ErrInFlight) {
				h.formReplayed(c, in, a, err)
				return
			}
		}
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

// formKeyRE is the form's idempotency key: 128 random bits in hex.
var formKeyRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newFormKey is a fresh key for one rendering of the report form: known
// only to the browser it is sent to, so that answering it with the
// receipt of its filing shows that receipt to no one else.
func newFormKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// formClaim is the claim of a report form on its key, nil for a form
// without one. What it hashes is what was typed and chosen: not the CSRF
// token, the captcha or the key, nor the photos' bytes (photos sent again
// with a double submit are dropped with it).
func (h *Handler) formClaim(in reportInput, form url.Values) *idempotency.Claim {
	if in.FormKey == "" {
		return nil
	}
	kept := url.Values{}
	for k, vs := range form {
		switch k {
		case "csrf", "form_key", "captcha_id", "captcha_solution", "action":
			continue
		}
		kept[k] = vs
	}
	return h.once.Claim("report-form", in.FormKey, []byte(kept.Encode()))
}

// formAnswer is what a filed form answered: a redirect to its receipt,
// the receipt's token its body.
func formAnswer(r conversation.Report) idempotency.Answer {
	return idempotency.Answer{Status: http.StatusSeeOther, Body: []byte(r.ReceiptToken)}
}

// errFormChanged answers a form sent again under its key with other
// contents: shown again with a new key, so that sending it files it.
var errFormChanged = &apperr.Error{Code: apperr.ECONFLICT, Message: "这份表单已经提交过，这次的内容与那次不同。如需另外举报，请核对内容后再次提交。"}

// errFormInFlight answers a form sent again while its first submission is
// being filed: sending it once more shows that one's receipt.
var errFormInFlight = &apperr.Error{Code: apperr.ECONFLICT, Message: "这份举报正在提交，请稍候再点一次提交，即可看到回执。"}

// formReplayed answers a form whose key was seen before: the receipt of
// its filing again, or the form with the problem.
func (h *Handler) formReplayed(c *gin.Context, in reportInput, a *idempotency.Answer, err error) {
	if err != nil {
		switch {
		case errors.Is(err, idempotency.ErrKeyReused):
			in.FormKey, err = "", errFormChanged
		case errors.Is(err, idempotency.ErrInFlight):
			err = errFormInFlight
		}
		h.reportFailed(c, in, photoSet{}, err)
		return
	}
	h.setReceiptCookie(c, string(a.Body))
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

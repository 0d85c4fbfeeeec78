package portal

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// reportView is the report form's data.
type reportView struct {
	In         reportInput
	Errors     map[string]string
	Towns      []ledger.Unit
	Categories []ledger.Category
	CaptchaID  string
}

// reportForm shows the empty report form with a fresh captcha.
func (h *Handler) reportForm(c *gin.Context) {
	h.renderReport(c, http.StatusOK, reportInput{Identity: string(ledger.Anonymous)}, nil, "")
}

// renderReport shows the form with what was typed, field messages and a new
// captcha (the old one is used up by any check).
func (h *Handler) renderReport(c *gin.Context, code int, in reportInput, fields map[string]string, msg string) {
	ctx := h.ctx(c)
	_, towns, err := h.townMap(ctx)
	if err != nil {
		h.renderError(c, err, 0)
		return
	}
	v := reportView{In: in, Errors: fields, Towns: towns, Categories: ledger.AllCategories}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if h.deps.Captcha {
		if _, err := h.allow(h.captchaLimit, h.clientKey(c, "captcha")); err != nil {
			v.Errors["captcha_solution"] = "验证码获取过于频繁，请稍后刷新页面"
		} else if id, err := h.captcha.New(ctx); err != nil {
			h.logErr(c, "new captcha", err)
			v.Errors["captcha_solution"] = "验证码暂时无法生成，请稍后刷新页面"
		} else {
			v.CaptchaID = id
		}
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

// parseForm parses a POST body of either encoding within the route's limit.
func parseForm(c *gin.Context) error {
	err := c.Request.ParseMultipartForm(8 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		err = c.Request.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, multipart.ErrMessageTooLarge) {
			return apperr.Invalid(map[string]string{"photos": "提交的内容过大（照片每张不超过10MB，合计不超过70MB）"})
		}
		return apperr.Invalid(map[string]string{"form": "提交的内容无法读取，请重新提交"})
	}
	return nil
}

// reportSubmit files a report: CSRF, rate limit, honeypot and captcha,
// validation, photos, then one transaction; the receipt is the response.
func (h *Handler) reportSubmit(c *gin.Context) {
	ctx := h.ctx(c)
	perr := parseForm(c)
	if c.Request.MultipartForm != nil {
		defer c.Request.MultipartForm.RemoveAll()
	}
	in := readReportForm(c)
	if perr != nil {
		h.renderReport(c, http.StatusRequestEntityTooLarge, shown(in), apperr.Fields(perr), msgOf(perr))
		return
	}
	if c.Request.PostForm.Get("action") == "reload_captcha" {
		h.renderReport(c, http.StatusOK, shown(in), nil, "")
		return
	}
	if !h.checkCSRF(c) {
		h.renderReport(c, http.StatusForbidden, shown(in), nil, errCSRF.Message)
		return
	}
	if wait, err := h.allow(h.fileLimit, h.clientKey(c, "file")); err != nil {
		c.Header("Retry-After", strconv.Itoa(int(wait/time.Second)))
		h.renderReport(c, http.StatusTooManyRequests, shown(in), nil, msgOf(err))
		return
	}
	if err := h.captcha.Verify(ctx, in.CaptchaID, in.CaptchaSolution, c.Request.PostForm.Get("website")); err != nil {
		h.logErr(c, "captcha", err)
		h.renderReport(c, status(err), shown(in), apperr.Fields(err), msgOf(err))
		return
	}
	towns, _, err := h.townMap(ctx)
	if err != nil {
		h.renderError(c, err, 0)
		return
	}
	nc, err := validateReport(&in, towns, ledger.ChannelWeb)
	fields := apperr.Fields(err)
	if err != nil && fields == nil {
		h.renderReport(c, status(err), shown(in), nil, msgOf(err))
		return
	}
	var photos []cleanPhoto
	if c.Request.MultipartForm != nil {
		var msg string
		photos, msg = readPhotos(c.Request.MultipartForm.File["photos"], h.limits.MaxPhotos)
		if msg != "" {
			if fields == nil {
				fields = map[string]string{}
			}
			fields["photos"] = msg
		}
	}
	if len(fields) > 0 {
		h.renderReport(c, http.StatusUnprocessableEntity, shown(in), fields, apperr.Invalid(fields).Message)
		return
	}
	filed, err := h.file(c, nc, photos)
	if err != nil {
		h.renderReport(c, status(err), shown(in), nil, msgOf(err))
		return
	}
	h.render(c, http.StatusOK, "receipt", page{Title: "举报已提交", V: h.receiptView(filed.Complaint, filed.TrackingCode, len(photos))})
}

// file writes the photos, then files the complaint and links the photos in
// one transaction; if the transaction fails the photos are removed again.
func (h *Handler) file(c *gin.Context, nc ledger.NewComplaint, photos []cleanPhoto) (ledger.Filed, error) {
	ctx := h.ctx(c)
	saved, err := h.saveFiles(photos)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: save photos", "err", err)
		return ledger.Filed{}, errUploadDir
	}
	var filed ledger.Filed
	err = h.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if filed, err = h.ledger.FileTx(ctx, tx, nc, ledger.Resident); err != nil {
			return err
		}
		return insertAttachments(ctx, tx, filed.Complaint.ReceivedAt, filed.Complaint.ID, 0, saved)
	})
	if err != nil {
		err = db.Classify(err)
		h.removeFiles(saved)
		h.logErr(c, "file complaint", err)
		return ledger.Filed{}, err
	}
	return filed, nil
}

package portal

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/trackcode"
)

// receiptView is the proof of filing (回执): no contact details.
type receiptView struct {
	Code        string // grouped
	Ref         string
	ReceivedAt  time.Time
	DecideDueAt time.Time
	Categories  ledger.Categories
	Town        string
	Address     string
	Subject     string
	Summary     string
	Identity    ledger.Identity
	Anonymous   bool
	WantsReward bool
	Photos      int
	QR          template.HTML
}

func (h *Handler) receiptView(cmp ledger.Complaint, code string, photos int) receiptView {
	formatted := trackcode.Format(code)
	return receiptView{
		Code: formatted, Ref: cmp.Ref(), ReceivedAt: cmp.ReceivedAt, DecideDueAt: cmp.DecideDueAt,
		Categories: cmp.Categories, Town: cmp.TownText, Address: cmp.Address, Subject: cmp.Subject,
		Summary: truncateRunes(cmp.Description, 200), Identity: cmp.Identity,
		Anonymous: cmp.Identity == ledger.Anonymous, WantsReward: cmp.WantsReward, Photos: photos,
		QR: qrsvg.SVG(formatted, "查询码二维码"),
	}
}

// receiptDownload renders the printable receipt for a code sent in the POST
// body (download=1 makes it a file to keep). The code never enters a URL.
func (h *Handler) receiptDownload(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.renderError(c, err)
		return
	}
	if !h.checkCSRF(c) {
		h.renderError(c, errCSRF)
		return
	}
	in := lookupFromForm(c)
	cmp, err := h.lookup(c, in)
	if err != nil {
		h.renderError(c, err)
		return
	}
	code, _ := trackcode.Normalize(in.Code)
	var photos int
	if as, err := h.conv.Attachments(h.ctx(c), cmp.ID); err == nil {
		for _, a := range as {
			if !a.AdditionID.Valid {
				photos++
			}
		}
	}
	if c.Request.PostForm.Get("download") != "" {
		c.Header("Content-Disposition", "attachment; filename=\"ecoreport-receipt.html\"; filename*=UTF-8''"+url.PathEscape("举报回执.html"))
	}
	h.render(c, http.StatusOK, "receipt_print", page{Title: "举报回执", V: h.receiptView(*cmp, code, photos)})
}

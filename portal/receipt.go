package portal

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/trackcode"
)

// The receipt (回执) of a filing is a GET page reached by a redirect after
// the POST, so a refresh shows it again instead of sending the form again.
// The way back to it is a random token in a cookie scoped to the page: never
// the code, never in a URL (so never in an access log, a proxy's log or the
// browser's history), kept for conversation.ReceiptTTL. After that the page
// says where the code was and how to track.

const (
	receiptPath   = "/report/done"
	receiptCookie = "ecoreport_receipt"
)

// setReceiptCookie hands the browser the receipt token for receiptPath.
func (h *Handler) setReceiptCookie(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: receiptCookie, Value: token, Path: receiptPath, MaxAge: int(conversation.ReceiptTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(c),
	})
}

// secure reports whether cookies must be Secure: the public address is
// https, or the request came over TLS (directly or through the proxy).
func (h *Handler) secure(c *gin.Context) bool {
	return strings.HasPrefix(h.deps.PublicURL, "https://") || c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
}

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
	Site        string // the public address, printed
	TrackURL    string // the tracking page, with the code in the fragment only
	QR          template.HTML
	Until       time.Time // the receipt page shows this receipt until then
}

func (h *Handler) receiptView(c *gin.Context, cmp ledger.Complaint, code string, photos int) receiptView {
	formatted := trackcode.Format(code)
	site := h.publicURL(c)
	link := site + "/track#code=" + formatted
	return receiptView{
		Code: formatted, Ref: cmp.Ref(), ReceivedAt: cmp.ReceivedAt, DecideDueAt: cmp.DecideDueAt,
		Categories: cmp.Categories, Town: h.townName(h.ctx(c), &cmp), Address: cmp.Address, Subject: cmp.Subject,
		Summary: truncateRunes(cmp.Description, 200), Identity: cmp.Identity,
		Anonymous: cmp.Identity == ledger.Anonymous, WantsReward: cmp.WantsReward, Photos: photos,
		Site: site, TrackURL: link, QR: qrsvg.SVG(link, "查询进度的二维码：扫码打开查询页，查询码已填好"),
	}
}

// publicURL is the configured public address without a trailing slash, or
// the address this request came to.
func (h *Handler) publicURL(c *gin.Context) string {
	if u := strings.TrimRight(h.deps.PublicURL, "/"); u != "" {
		return u
	}
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	host := c.Request.Host
	if u, err := url.Parse(scheme + "://" + host); err != nil || u.Host != host || host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// receiptGone is the page of a receipt that is no longer shown.
type receiptGone struct{}

// receiptPage shows the receipt of the filing whose token the cookie holds,
// the same code on every refresh while it lives.
func (h *Handler) receiptPage(c *gin.Context) {
	tok, _ := c.Cookie(receiptCookie)
	r, err := h.conv.Receipt(h.ctx(c), tok)
	if err != nil {
		if apperr.Is(err, apperr.ENOTFOUND) {
			h.render(c, http.StatusGone, "receipt_gone", page{Title: "回执已不再显示", V: receiptGone{}})
			return
		}
		h.renderError(c, err)
		return
	}
	cmp, err := h.ledger.Complaint(h.ctx(c), r.ComplaintID)
	if err != nil {
		h.renderError(c, err)
		return
	}
	v := h.receiptView(c, *cmp, r.Code, r.Photos)
	v.Until = r.ExpiresAt
	h.render(c, http.StatusOK, "receipt", page{Title: "举报已提交", V: v})
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
	h.render(c, http.StatusOK, "receipt_print", page{Title: "举报回执", V: h.receiptView(c, *cmp, code, photos)})
}

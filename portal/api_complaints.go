package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
)

// apiComplaints files a complaint for a partner app (channel api), with the
// same rules as the form: every field and the captcha checked at once, and
// the rate limits counting what they are for (a filing that went through,
// a wrong captcha answer), never a body sent back for a field to fix.
func (h *Handler) apiComplaints(c *gin.Context) {
	fileKey, capKey := h.clientKey(c, "file"), h.clientKey(c, "captcha-fail")
	if err := h.allow(h.fileLimit, fileKey); err != nil {
		h.apiFail(c, err)
		return
	}
	filed := false
	defer func() {
		if !filed {
			h.fileLimit.Refund(fileKey)
		}
	}()
	if ok, wait := h.captchaFailLimit.Peek(capKey); !ok {
		h.apiFail(c, refused(wait))
		return
	}
	var in reportInput
	if err := decodeJSON(c, &in); err != nil {
		h.apiFail(c, err)
		return
	}
	ctx := h.ctx(c)
	towns, _, err := h.townMap(ctx)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	nc, verr := validateReport(&in, towns, ledger.ChannelAPI)
	fields := map[string]string{}
	for k, m := range apperr.Fields(verr) {
		fields[k] = m
	}
	if verr != nil && len(fields) == 0 {
		h.apiFail(c, verr)
		return
	}
	if err := h.captcha.Verify(ctx, in.CaptchaID, in.CaptchaSolution, ""); err != nil {
		cf := apperr.Fields(err)
		if cf == nil {
			h.apiFail(c, err)
			return
		}
		h.captchaFailLimit.Allow(capKey)
		for k, m := range cf {
			fields[k] = m
		}
	}
	if len(fields) > 0 {
		h.apiFail(c, apperr.Invalid(fields))
		return
	}
	r, err := h.conv.FileReport(ctx, conversation.Filing{Complaint: nc})
	if err != nil {
		h.apiFail(c, err)
		return
	}
	filed = true
	c.JSON(http.StatusCreated, gin.H{
		"tracking_code": trackcode.Format(r.TrackingCode),
		"status":        string(r.Complaint.Status),
		"received_at":   r.Complaint.ReceivedAt.In(h.loc).Format(time.RFC3339),
	})
}

package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
)

// apiComplaints files a complaint for a partner app (channel api), with the
// same rules as the form: rate limit, captcha, validation.
func (h *Handler) apiComplaints(c *gin.Context) {
	if err := h.allow(h.fileLimit, h.clientKey(c, "file")); err != nil {
		h.apiFail(c, err)
		return
	}
	var in reportInput
	if err := decodeJSON(c, &in); err != nil {
		h.apiFail(c, err)
		return
	}
	ctx := h.ctx(c)
	if err := h.captcha.Verify(ctx, in.CaptchaID, in.CaptchaSolution, ""); err != nil {
		h.apiFail(c, err)
		return
	}
	towns, _, err := h.townMap(ctx)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	nc, err := validateReport(&in, towns, ledger.ChannelAPI)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	filed, err := h.file(c, nc, nil)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{
		"tracking_code": trackcode.Format(filed.TrackingCode),
		"status":        string(filed.Complaint.Status),
		"received_at":   filed.Complaint.ReceivedAt.In(h.loc).Format(time.RFC3339),
	})
}

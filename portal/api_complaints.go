package portal

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/idempotency"
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
	key, err := idempotencyKey(c)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	var in reportInput
	if err := decodeJSON(c, &in); err != nil {
		h.apiFail(c, err)
		return
	}
	ctx := h.ctx(c)
	// A key seen before: its answer again, before the captcha (spent by
	// the first request) is checked.
	var claim *idempotency.Claim
	if key != "" {
		claim = h.once.Claim("api/v1/complaints", key, apiClaimBody(in))
		if a, err := claim.Replay(ctx); err != nil || a != nil {
			h.apiReplay(c, a, err)
			return
		}
	}
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
	answer := func(r conversation.Report) idempotency.Answer {
		b, _ := json.Marshal(gin.H{
			"tracking_code": trackcode.Format(r.TrackingCode),
			"status":        string(r.Complaint.Status),
			"received_at":   r.Complaint.ReceivedAt.In(h.loc).Format(time.RFC3339),
		})
		return idempotency.Answer{Status: http.StatusCreated, Body: b}
	}
	r, err := h.conv.FileReport(ctx, conversation.Filing{Complaint: nc, Once: claim, Answer: answer})
	if err != nil {
		if claim != nil {
			var a *idempotency.Answer
			if a, err = claim.Settle(ctx, err); a != nil {
				h.apiReplay(c, a, nil)
				return
			}
		}
		h.apiFail(c, err)
		return
	}
	filed = true
	a := answer(r)
	c.Data(a.Status, "application/json; charset=utf-8", a.Body)
}

// IdempotencyHeader is the header of a client's idempotency key (幂等键).
const IdempotencyHeader = "Idempotency-Key"

// idempotencyKey is the request's Idempotency-Key, checked; "" without
// one.
func idempotencyKey(c *gin.Context) (string, error) {
	vs := c.Request.Header.Values(IdempotencyHeader)
	if len(vs) == 0 {
		return "", nil
	}
	if len(vs) > 1 {
		return "", apperr.Invalid(map[string]string{IdempotencyHeader: IdempotencyHeader + " 只能发送一个"})
	}
	return vs[0], idempotency.CheckKey(IdempotencyHeader, vs[0])
}

// apiClaimBody is what a key's filing is compared by: the fields as
// decoded (so spacing and order do not count), without the captcha, which
// a client retrying after a lost answer may have had to solve again.
func apiClaimBody(in reportInput) []byte {
	in.CaptchaID, in.CaptchaSolution = "", ""
	b, _ := json.Marshal(in)
	return b
}

// apiReplay answers a request whose key was seen before: the stored answer,
// or the error (409 for another body or a first request not finished).
func (h *Handler) apiReplay(c *gin.Context, a *idempotency.Answer, err error) {
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.Header("Idempotent-Replayed", "true")
	c.Data(a.Status, "application/json; charset=utf-8", a.Body)
}

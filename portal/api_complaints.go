package portal

import (
	"bytes"
	"encoding/json"
	"io"
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
	claim, err := h.idempotencyClaim(c, "api/v1/complaints")
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
	if claim != nil {
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

// idempotencyClaim reads the request's Idempotency-Key and, when there is
// one, its claim on the body, which it reads whole (within the route's
// limit) and puts back for the handler. nil without a key.
func (h *Handler) idempotencyClaim(c *gin.Context, scope string) (*idempotency.Claim, error) {
	vs := c.Request.Header.Values(IdempotencyHeader)
	if len(vs) == 0 {
		return nil, nil
	}
	if len(vs) > 1 {
		return nil, apperr.Invalid(map[string]string{IdempotencyHeader: IdempotencyHeader + " 只能发送一个"})
	}
	if err := idempotency.CheckKey(IdempotencyHeader, vs[0]); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return nil, err
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return h.once.Claim(scope, vs[0], body), nil
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

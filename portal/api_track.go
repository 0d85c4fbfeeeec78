package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
)

// trackEvent is one public timeline entry in the API.
type trackEvent struct {
	At          string `json:"at"`
	Kind        string `json:"kind"`
	Status      string `json:"status,omitempty"`
	StatusLabel string `json:"status_label,omitempty"`
	Note        string `json:"note"`
}

// trackAnswer is the API's view of a complaint for its reporter.
type trackAnswer struct {
	Ref               string       `json:"ref"`
	Status            string       `json:"status"`
	StatusLabel       string       `json:"status_label"`
	Categories        []string     `json:"categories"`
	Town              string       `json:"town"`
	ReceivedAt        string       `json:"received_at"`
	DueDate           string       `json:"due_date,omitempty"`
	DueLabel          string       `json:"due_label,omitempty"`
	Verification      string       `json:"verification"`
	VerificationLabel string       `json:"verification_label"`
	Unit              string       `json:"unit,omitempty"`
	PublicReply       string       `json:"public_reply,omitempty"`
	ReplyWithdrawn    bool         `json:"reply_withdrawn,omitempty"` // an earlier reply no longer stands: the problem came back
	Events            []trackEvent `json:"events"`
}

// apiTrack answers {code} or {ticket_no, phone_last4}. Every miss is the same
// 404 body.
func (h *Handler) apiTrack(c *gin.Context) {
	var in lookupInput
	if err := decodeJSON(c, &in); err != nil {
		h.apiFail(c, err)
		return
	}
	for _, s := range []string{in.Code, in.TicketNo, in.Last4} {
		if ledger.CheckText(s) != "" || len(s) > 128 {
			h.apiFail(c, ledger.ErrNoSuchCode)
			return
		}
	}
	cmp, evs, err := h.lookupTimeline(c, in)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	cv, err := h.caseOf(h.ctx(c), cmp)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	a := trackAnswer{
		Ref: cmp.Ref(), Status: string(cmp.Status), StatusLabel: cmp.Status.Label(), Town: cmp.TownText,
		ReceivedAt: cmp.ReceivedAt.In(h.loc).Format(time.RFC3339), Categories: []string{},
		Verification: string(ledger.Pending), VerificationLabel: ledger.Pending.Label(), Events: []trackEvent{},
	}
	for _, cat := range cmp.Categories {
		a.Categories = append(a.Categories, string(cat))
	}
	if due, label := dueOf(cmp, cv); !due.IsZero() {
		a.DueDate, a.DueLabel = due.In(h.loc).Format("2006-01-02"), label
	}
	if cv != nil {
		a.Verification, a.VerificationLabel = string(cv.Verification), cv.Verification.Label()
		r := cv.Reply()
		a.Unit, a.PublicReply, a.ReplyWithdrawn = cv.UnitName, r.Text, r.Withdrawn
	}
	for _, e := range evs {
		a.Events = append(a.Events, trackEvent{At: e.CreatedAt.In(h.loc).Format(time.RFC3339), Kind: e.Kind,
			Status: e.ToStatus, StatusLabel: e.StatusLabel(), Note: e.PublicNote})
	}
	c.JSON(http.StatusOK, a)
}

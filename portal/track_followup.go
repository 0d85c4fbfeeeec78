package portal

import (
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// followupInput says the problem was not solved or came back.
type followupInput struct {
	Kind string `json:"kind" label:"情况" validate:"required,oneof=not_solved came_back"`
	Body string `json:"body" label:"具体情况" validate:"required,max=1000"`
}

// trackFollowup records a "not solved / came back" request staff must answer.
func (h *Handler) trackFollowup(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		in := followupInput{Kind: c.Request.PostForm.Get("kind"), Body: c.Request.PostForm.Get("body")}
		form := map[string]string{"followup_body": keepText(in.Body, 2000), "followup_kind": keepText(in.Kind, 20)}
		f := map[string]string{}
		checkTexts(f, map[string]string{"body": in.Body, "kind": in.Kind})
		if len(f) == 0 {
			in.Body = trimmed(in.Body)
			f = checkStruct(&in)
		}
		if len(f) > 0 {
			return "", form, apperr.Invalid(prefix("followup_", f))
		}
		if err := h.conv.RequestFollowup(h.ctx(c), cmp, in.Kind, in.Body); err != nil {
			return "", form, err
		}
		return "已收到您的反映，工作人员会尽快答复。", nil, nil
	})
}

func trimmed(s string) string { return strings.TrimSpace(s) }

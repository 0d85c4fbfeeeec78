package portal

import (
	"errors"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
)

// additionInput is a 补充材料: text and/or photos.
type additionInput struct {
	Body string `json:"body" label:"补充说明" validate:"max=2000"`
}

// trackAdd stores additional information and photos (补充材料). Photos are
// held under the form's token like the report form's, so a body sent back
// for a fix keeps them, and the addition takes them in its transaction.
func (h *Handler) trackAdd(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		in := additionInput{Body: c.Request.PostForm.Get("body")}
		form := map[string]string{"add_body": keepText(in.Body, 4000)}
		f := map[string]string{}
		checkTexts(f, map[string]string{"body": in.Body})
		if len(f) == 0 {
			f = checkStruct(&in)
		}
		ps, err := h.collectPhotos(c, "photos")
		c.Set(heldKey, ps)
		if err != nil {
			return "", form, merge(err, prefix("add_", f))
		}
		if ps.Msg != "" {
			f["photos"] = ps.Msg
		}
		if ps.Busy {
			return "", form, merge(photo.ErrBusy, prefix("add_", f))
		}
		if len(f) == 0 && trimmed(in.Body) == "" && len(ps.Keep) == 0 {
			f["body"] = "请填写补充说明或选择照片"
		}
		if len(f) > 0 {
			return "", form, apperr.Invalid(prefix("add_", f))
		}
		if err := h.conv.AddHeld(h.ctx(c), cmp, trimmed(in.Body), conversation.HeldClaim{Token: ps.Token, Seqs: ps.Keep}); err != nil {
			if errors.Is(err, conversation.ErrHeldGone) {
				c.Set(heldKey, photoSet{})
				return "", form, apperr.Invalid(map[string]string{"add_photos": apperr.Fields(err)["photos"]})
			}
			return "", form, err
		}
		c.Set(heldKey, photoSet{})
		return "补充材料已提交，工作人员会一并核查。", nil, nil
	})
}

// heldKey is where trackAdd leaves the photos its form holds for the page.
const heldKey = "portal.held"

func prefix(p string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[p+k] = v
	}
	return out
}

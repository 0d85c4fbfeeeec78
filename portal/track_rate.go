package portal

import (
	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// rateInput is the one rating of the outcome.
type rateInput struct {
	Rating  string `json:"rating" label:"评价" validate:"required,oneof=satisfied basically unsatisfied"`
	Comment string `json:"comment" label:"评价意见" validate:"max=500"`
}

// trackRate records 满意 / 基本满意 / 不满意 with a comment, once.
func (h *Handler) trackRate(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		in := rateInput{Rating: c.Request.PostForm.Get("rating"), Comment: c.Request.PostForm.Get("comment")}
		form := map[string]string{"rate_comment": keepText(in.Comment, 1000), "rate_rating": keepText(in.Rating, 20)}
		f := map[string]string{}
		checkTexts(f, map[string]string{"comment": in.Comment, "rating": in.Rating})
		if len(f) == 0 {
			in.Comment = trimmed(in.Comment)
			f = checkStruct(&in)
		}
		if len(f) > 0 {
			return "", form, apperr.Invalid(prefix("rate_", f))
		}
		if err := h.conv.Rate(h.ctx(c), cmp, in.Rating, in.Comment); err != nil {
			return "", form, err
		}
		return "感谢您的评价。", nil, nil
	})
}

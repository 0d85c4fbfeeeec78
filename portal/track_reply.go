package portal

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// replyInput is the reporter's answer to a question staff asked.
type replyInput struct {
	Body    string `json:"body" label:"回复内容" validate:"required,max=1000"`
	ReplyTo int64  `json:"reply_to"`
}

// trackReply stores the reporter's answer; the reporter stays anonymous.
func (h *Handler) trackReply(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		in := replyInput{Body: c.Request.PostForm.Get("body")}
		in.ReplyTo, _ = strconv.ParseInt(c.Request.PostForm.Get("reply_to"), 10, 64)
		form := map[string]string{"reply_body": keepText(in.Body, 2000)}
		f := map[string]string{}
		checkTexts(f, map[string]string{"body": in.Body})
		if len(f) == 0 {
			in.Body = trimmed(in.Body)
			f = checkStruct(&in)
		}
		if len(f) > 0 {
			return "", form, apperr.Invalid(prefix("reply_", f))
		}
		if err := h.conv.Reply(h.ctx(c), cmp, in.Body, in.ReplyTo); err != nil {
			return "", form, err
		}
		return "回复已发送。", nil, nil
	})
}

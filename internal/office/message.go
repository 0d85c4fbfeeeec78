package office

// Two-way messages with reporters (与举报人沟通): an inspector asks the
// reporter of one complaint a question; the reporter answers with the
// tracking code on the portal. The conversation and its rules are
// internal/conversation's; staff see the conversation, never who the
// reporter is.

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
)

func (h *Handler) askReporter(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	cm, err := h.Conversation.Ask(h.ctx(c), id, c.PostForm("body"), h.actor(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	// Back to where the conversation is shown: the case's conversations, or
	// the complaint's own page while it waits in the inbox.
	to := "/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "#evidence"
	if cm.CaseID.Valid {
		to = "/office/cases/" + strconv.FormatInt(cm.CaseID.Int64, 10) + "/messages#c" + strconv.FormatInt(cm.ID, 10)
	}
	done(c, to, "问题已发送，举报人可在查询页面查看并回复")
}

type messagesData struct {
	Case          *ledger.Case
	Conversations []conversation.Conversation
}

// caseMessages shows, per complaint of the case, the conversation with its
// reporter and the reporter's follow-up requests, with the forms to ask and
// answer.
func (h *Handler) caseMessages(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	cs, err := h.Ledger.Case(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	convs, err := h.Conversation.OfCase(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "message_case", "与举报人沟通 "+cs.Ref(), messagesData{Case: cs, Conversations: convs})
}

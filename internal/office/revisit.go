package office

// Revisits (回头看) and residents' "not solved / came back" requests
// (问题未解决/反弹): one list of what is due, and the two answers.

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
)

type revisitData struct {
	Due       []caseRow
	Followups []conversation.Followup
}

// revisits lists the closed cases whose revisit is due (today or earlier)
// and the residents' open "not solved / came back" requests.
func (h *Handler) revisits(c *gin.Context) {
	ctx := h.ctx(c)
	cs, err := h.Ledger.DueRevisits(ctx, h.now())
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := revisitData{}
	for _, k := range cs {
		d.Due = append(d.Due, caseRow{Case: k, Town: names[k.TownID.Int64], Unit: names[k.UnitID.Int64]})
	}
	if d.Followups, err = h.Conversation.OpenFollowups(ctx); err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "revisit_list", "回头看与群众反映", d)
}

// back is where a form returns: the page it was posted from when that is a
// back-office page, else the given default.
func back(c *gin.Context, def string) string {
	if to := c.PostForm("back"); strings.HasPrefix(to, "/office/") && !strings.HasPrefix(to, "//") && !strings.ContainsAny(to, "\\\r\n") {
		return to
	}
	return def
}

// recordRevisit records a revisit: holds=1 (巩固) or holds=0 (反弹, reopens).
func (h *Handler) recordRevisit(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	holds := c.PostForm("holds") == "1"
	if err := h.Ledger.RecordRevisit(h.ctx(c), id, holds, c.PostForm("note"), h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	msg := ledger.CaseRef(id) + " 回头看已记录：整改成效巩固"
	if !holds {
		msg = ledger.CaseRef(id) + " 回头看发现问题反弹，已退回重新整改"
	}
	done(c, back(c, "/office/revisits"), msg)
}

// answerFollowup answers the open request of a complaint; reopen=1 also
// sends its closed case back to the unit.
func (h *Handler) answerFollowup(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	reopen := c.PostForm("reopen") == "1"
	if err := h.Conversation.AnswerFollowup(h.ctx(c), id, c.PostForm("answer"), reopen, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	msg := ledger.ComplaintRef(id) + " 的反映已答复"
	if reopen {
		msg += "，问题已退回重新整改"
	}
	done(c, back(c, "/office/revisits"), msg)
}

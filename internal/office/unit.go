package office

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

type unitNotice struct {
	ledger.Notice
	Case      *ledger.Case
	CanReport bool
	Overdue   bool
}

type unitData struct {
	Unit    string
	Notices []unitNotice
}

// unitPage lists the notices of the user's own unit, and no other.
func (h *Handler) unitPage(c *gin.Context) {
	u := User(c)
	if !u.UnitID.Valid {
		h.fail(c, apperr.Errorf(apperr.EFORBIDDEN, "账号未关联责任单位，请联系管理员"))
		return
	}
	ctx := h.ctx(c)
	ns, err := h.Ledger.NoticesOfUnit(ctx, u.UnitID.Int64)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := unitData{Unit: names[u.UnitID.Int64]}
	now := h.now()
	for _, n := range ns {
		cs, err := h.Ledger.Case(ctx, n.CaseID)
		if err != nil {
			h.fail(c, err)
			return
		}
		waiting := cs.Status == ledger.Assigned || cs.Status == ledger.Reopened
		d.Notices = append(d.Notices, unitNotice{Notice: n, Case: cs,
			CanReport: n.Status != ledger.NoticeSuperseded && waiting, Overdue: waiting && now.After(n.Deadline)})
	}
	h.render(c, http.StatusOK, "unit", "本单位整改通知书", d)
}

// reportRectification is the unit's report that the rectification is done.
func (h *Handler) reportRectification(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	u := User(c)
	if !u.UnitID.Valid {
		h.fail(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "整改通知书不存在"})
		return
	}
	if err := h.Ledger.ReportRectification(h.ctx(c), id, u.UnitID.Int64, c.PostForm("note"), h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/unit", "整改情况已报送，等待验收")
}

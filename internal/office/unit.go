package office

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/evidence"
	"ecoreport/internal/ledger"
)

// unitNotice is one notice as its unit works it: where the problem is, what
// the inspectors shared, what the unit reported, how late it is.
type unitNotice struct {
	ledger.Notice
	Case        *ledger.Case
	Town        string
	TownKnown   bool
	Address     string
	Place       string // town and address for a sentence (a listed town only)
	CanReport   bool
	DaysOverdue int
	Evidence    *evidence.UnitEvidence
	// SentBack is the reason the case came back to the unit (退回原因),
	// while it waits for the unit again.
	SentBack string
}

type unitData struct {
	Unit    string
	Notices []unitNotice
	Overdue int // notices past their deadline
	Max     int // photos per field
}

// unitPage lists the notices of the user's own unit, and no other: for each
// the town and address of the problem, the problem in full, the
// requirements and deadline (red when passed), why it was sent back, the
// photos inspectors shared, and the report form with before/after photos.
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
	d := unitData{Unit: names[u.UnitID.Int64], Max: maxReportPhotos}
	now := h.now()
	for _, n := range ns {
		cs, err := h.Ledger.Case(ctx, n.CaseID)
		if err != nil {
			h.fail(c, err)
			return
		}
		waiting := cs.Status == ledger.Assigned || cs.Status == ledger.Reopened
		un := unitNotice{Notice: n, Case: cs, Town: names[cs.TownID.Int64], TownKnown: cs.TownID.Valid, Address: cs.Address,
			CanReport: n.Status != ledger.NoticeSuperseded && waiting, DaysOverdue: n.DaysOverdue(cs.Status, now)}
		if cs.Status == ledger.Reopened {
			un.SentBack = cs.ReopenReason
		}
		if !un.TownKnown || un.Address == "" {
			// A case without a listed town or an address: what its
			// reporters wrote, as written.
			cms, err := h.Ledger.Complaints(ctx, cs.ID)
			if err != nil {
				h.fail(c, err)
				return
			}
			for _, cm := range cms {
				if !un.TownKnown && un.Town == "" {
					un.Town = strings.TrimSpace(cm.TownText)
				}
				if un.Address == "" {
					un.Address = cm.Address
				}
			}
		}
		un.Place = place(un.Town, un.Address)
		if n.Status != ledger.NoticeSuperseded {
			if un.Evidence, err = h.Evidence.ForUnit(ctx, cs.ID, u.UnitID.Int64); err != nil {
				h.fail(c, err)
				return
			}
			for i := range un.Evidence.Shared {
				un.Evidence.Shared[i].Shared = false // all of them are: no tag on the unit's own page
			}
		}
		if un.DaysOverdue > 0 {
			d.Overdue++
		}
		d.Notices = append(d.Notices, un)
	}
	h.render(c, http.StatusOK, "unit", "本单位整改通知书", d)
}

// maxReportPhotos bounds each of the report's photo fields (before, after).
const maxReportPhotos = ledger.MaxPhotosPerAction / 2

// reportRectification is the unit's report that the rectification is done,
// with before/after photos (sanitised as the portal's): the files are
// written first and removed again when the report is refused.
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
	var photos []ledger.Photo
	if mf := c.Request.MultipartForm; mf != nil {
		bad := map[string]string{}
		var read [2][]cleanPhoto
		for i, field := range []string{"before", "after"} {
			var msg string
			if read[i], msg = readPhotos(mf.File[field], maxReportPhotos); msg != "" {
				bad[field] = msg
			}
		}
		if len(bad) > 0 {
			h.fail(c, apperr.Invalid(bad))
			return
		}
		for i, kind := range []ledger.PhotoKind{ledger.PhotoBefore, ledger.PhotoAfter} {
			saved, err := h.files.save(h.ctx(c), read[i], kind)
			if err != nil {
				h.forget(c, photos)
				h.fail(c, err)
				return
			}
			photos = append(photos, saved...)
		}
	}
	if err := h.Ledger.ReportRectification(h.ctx(c), id, u.UnitID.Int64, c.PostForm("note"), h.actor(c), photos...); err != nil {
		h.forget(c, photos)
		h.fail(c, err)
		return
	}
	done(c, "/office/unit", "整改情况已报送，等待验收")
}

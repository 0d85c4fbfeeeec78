package office

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

// Clue referrals (移送线索) in the back office. The case page is left as it
// is; the referrals of one case are listed at /office/referrals?case=ID.

type referralRow struct {
	inspection.Referral
	Title string
}

type referralListData struct {
	Rows   []referralRow
	CaseID int64
	Case   *ledger.Case
}

func (h *Handler) referralList(c *gin.Context) {
	ctx := h.ctx(c)
	var d referralListData
	if v := c.Query("case"); v != "" {
		id, ok := parseCaseRef(v)
		if !ok || id == 0 {
			h.fail(c, apperr.Invalid(map[string]string{"case": "问题编号无效"}))
			return
		}
		cs, err := h.Ledger.Case(ctx, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.CaseID, d.Case = id, cs
	}
	rs, err := h.inspections().Referrals(ctx, d.CaseID)
	if err != nil {
		h.fail(c, err)
		return
	}
	titles := map[int64]string{}
	for _, r := range rs {
		if _, ok := titles[r.CaseID]; !ok {
			cs, err := h.Ledger.Case(ctx, r.CaseID)
			if err != nil {
				h.fail(c, err)
				return
			}
			titles[r.CaseID] = cs.Title
		}
		d.Rows = append(d.Rows, referralRow{Referral: r, Title: titles[r.CaseID]})
	}
	title := "移送线索"
	if d.Case != nil {
		title += " · " + d.Case.Ref()
	}
	h.render(c, http.StatusOK, "referral_list", title, d)
}

type referralForm struct {
	Form       map[string]string
	Recipients []inspection.Recipient
}

func (h *Handler) referralNewForm(c *gin.Context) {
	form := map[string]string{"referred_on": h.today()}
	if v := c.Query("case"); v != "" {
		if id, ok := parseCaseRef(v); ok && id != 0 {
			form["case"] = ledger.CaseRef(id)
		}
	}
	h.formPage(c, "referral_new", "登记移送线索", referralForm{Form: form, Recipients: inspection.Recipients}, nil)
}

func (h *Handler) referralCreate(c *gin.Context) {
	form := formValues(c, "case", "recipient", "referred_on", "reference", "outcome")
	bad := map[string]string{}
	in := inspection.NewReferral{Recipient: inspection.Recipient(form["recipient"]), ReferredOn: h.formDate(c, "referred_on", bad),
		Reference: form["reference"], Outcome: form["outcome"]}
	if id, ok := parseCaseRef(form["case"]); ok {
		in.CaseID = id
	} else {
		bad["case_id"] = "问题编号无效，应如 C000012"
	}
	err := error(nil)
	if len(bad) > 0 {
		err = apperr.Invalid(bad)
	} else {
		_, err = h.inspections().RecordReferral(h.ctx(c), in, h.actor(c))
	}
	if err != nil {
		h.formPage(c, "referral_new", "登记移送线索", referralForm{Form: form, Recipients: inspection.Recipients}, err)
		return
	}
	done(c, "/office/referrals?case="+strconv.FormatInt(in.CaseID, 10), "移送线索已登记")
}

func (h *Handler) referralOutcome(c *gin.Context) {
	id, err := param(c, "referral")
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	s := h.inspections()
	if err := s.UpdateOutcome(ctx, id, c.PostForm("outcome"), h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	r, err := s.Referral(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/referrals?case="+strconv.FormatInt(r.CaseID, 10), "办理结果已更新")
}

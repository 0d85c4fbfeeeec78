package office

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

// Admonition interviews (约谈) in the back office.

type interviewRow struct {
	inspection.Interview
	Unit  string
	State inspection.ReportState
	Cases []int64
}

// CaseRef formats a linked case id for the template.
func (interviewRow) CaseRef(id int64) string { return ledger.CaseRef(id) }

type interviewListData struct {
	Rows  []interviewRow
	Today string
}

func (h *Handler) interviewList(c *gin.Context) {
	ctx := h.ctx(c)
	ivs, err := h.inspections().Interviews(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	d := interviewListData{Today: h.today()}
	for _, iv := range ivs {
		d.Rows = append(d.Rows, interviewRow{Interview: iv, Unit: names[iv.UnitID], State: iv.ReportState(now), Cases: iv.Cases()})
	}
	h.render(c, http.StatusOK, "interview_list", "约谈记录", d)
}

type interviewForm struct {
	Form  map[string]string
	Units []ledger.Unit
}

func (h *Handler) interviewNewForm(c *gin.Context) {
	form := map[string]string{"held_on": h.today()}
	if v := c.Query("unit"); v != "" {
		form["unit_id"] = v
	}
	if ids, ok := inspection.ParseCaseRefs(c.Query("cases")); ok {
		refs := make([]string, len(ids))
		for i, id := range ids {
			refs[i] = ledger.CaseRef(id)
		}
		form["case_ids"] = strings.Join(refs, ", ")
	}
	h.renderInterviewForm(c, form, nil)
}

func (h *Handler) renderInterviewForm(c *gin.Context, form map[string]string, err error) {
	units, uerr := h.Ledger.Units(h.ctx(c))
	if uerr != nil {
		h.fail(c, uerr)
		return
	}
	h.formPage(c, "interview_new", "登记约谈", interviewForm{Form: form, Units: units}, err)
}

func (h *Handler) interviewCreate(c *gin.Context) {
	form := formValues(c, "unit_id", "held_on", "leader", "problems", "case_ids")
	bad := map[string]string{}
	in := inspection.NewInterview{HeldOn: h.formDate(c, "held_on", bad), Leader: form["leader"], Problems: form["problems"]}
	in.UnitID, _ = strconv.ParseInt(form["unit_id"], 10, 64)
	ids, ok := inspection.ParseCaseRefs(form["case_ids"])
	if !ok {
		bad["case_ids"] = "关联问题请填写问题编号，如 C000012，多个用逗号分隔"
	}
	in.CaseIDs = ids
	if len(bad) > 0 {
		h.renderInterviewForm(c, form, apperr.Invalid(bad))
		return
	}
	id, err := h.inspections().RecordInterview(h.ctx(c), in, h.actor(c))
	if err != nil {
		h.renderInterviewForm(c, form, err)
		return
	}
	iv := inspection.Interview{ID: id}
	done(c, "/office/interviews", "约谈已登记（"+iv.Ref()+"），整改报告须在7日内报送")
}

func (h *Handler) interviewReport(c *gin.Context) {
	id, err := param(c, "interview")
	if err != nil {
		h.fail(c, err)
		return
	}
	bad := map[string]string{}
	on := h.formDate(c, "received_on", bad)
	if len(bad) > 0 {
		h.fail(c, apperr.Invalid(bad))
		return
	}
	if err := h.inspections().RecordReport(h.ctx(c), id, on, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/interviews", "整改报告已登记")
}

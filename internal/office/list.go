package office

import (
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
)

type casesData struct {
	Filter     CaseFilter
	Rows       []caseRow
	Statuses   []ledger.CaseStatus
	Units      []ledger.Unit
	Categories []ledger.Category
	Channels   []ledger.Channel
	Limited    bool
}

type caseRow struct {
	ledger.Case
	Town, Unit string
	Overdue    bool
	// NoticeDays is how many days the notice in force is past its
	// deadline (0: on time, or none).
	NoticeDays int
}

func (h *Handler) caseRows(c *gin.Context) (CaseFilter, []caseRow, error) {
	var f CaseFilter
	_ = c.ShouldBindQuery(&f) // a bad value filters nothing
	cs, err := h.caseList(h.ctx(c), f)
	if err != nil {
		return f, nil, err
	}
	names, err := h.unitNames(h.ctx(c))
	if err != nil {
		return f, nil, err
	}
	late, err := h.Ledger.OverdueNotices(h.ctx(c))
	if err != nil {
		return f, nil, err
	}
	now := h.now()
	rows := make([]caseRow, len(cs))
	for i, k := range cs {
		rows[i] = caseRow{Case: k, Town: names[k.TownID.Int64], Unit: names[k.UnitID.Int64], Overdue: k.Overdue(now)}
		if n, ok := late[k.ID]; ok {
			rows[i].NoticeDays = n.DaysOverdue(k.Status, now)
		}
	}
	return f, rows, nil
}

func (h *Handler) cases(c *gin.Context) {
	f, rows, err := h.caseRows(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	units, err := h.Ledger.Units(h.ctx(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "cases", "问题台账", casesData{Filter: f, Rows: rows, Statuses: ledger.AllCaseStatuses,
		Units: units, Categories: ledger.AllCategories, Channels: ledger.Channels, Limited: len(rows) == caseListLimit})
}

// casesCSV exports the filtered list as UTF-8 CSV with a BOM (Excel opens
// it in the right encoding). Cells that a spreadsheet would run as a formula
// are prefixed with a quote.
func (h *Handler) casesCSV(c *gin.Context) {
	_, rows, err := h.caseRows(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cases-%s.csv"`, h.now().In(h.Location).Format("20060102")))
	c.Status(http.StatusOK)
	c.Writer.WriteString("\ufeff")
	w := csv.NewWriter(c.Writer)
	w.Write([]string{"问题编号", "状态", "概述", "污染类型", "乡镇", "责任单位", "被举报对象", "核查结论", "立案日期", "办结期限", "是否超期"})
	for _, r := range rows {
		overdue := ""
		if r.Overdue {
			overdue = "超期"
		}
		w.Write([]string{r.Ref(), r.Status.Label(), cell(r.Title), r.Categories.Labels(), r.Town, r.Unit, cell(r.Subject),
			r.Verification.Label(), r.OpenedAt.In(h.Location).Format("2006-01-02"), r.DueAt.In(h.Location).Format("2006-01-02"), overdue})
	}
	w.Flush()
}

// cell defuses spreadsheet formulas (CSV injection).
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

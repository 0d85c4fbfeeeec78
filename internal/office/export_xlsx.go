package office

// XLSX export of the case list (问题台账导出), beside the CSV export: the
// same filter, written row by row with excelize's StreamWriter so a long
// list does not sit in memory as cell objects. Cells are plain strings and
// numbers, never formulas, so a title like "=HYPERLINK(…)" stays text.

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"
)

const xlsxSheet = "问题台账"

var xlsxHeader = []any{"问题编号", "状态", "概述", "污染类型", "乡镇", "责任单位", "被举报对象", "核查结论", "举报次数", "立案日期", "办结期限", "是否超期"}

func (h *Handler) casesXLSX(c *gin.Context) {
	_, rows, err := h.caseRows(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	counts, err := h.Ledger.ComplaintCounts(h.ctx(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		h.fail(c, err)
		return
	}
	sw, err := f.NewStreamWriter(xlsxSheet)
	if err != nil {
		h.fail(c, err)
		return
	}
	widths := []float64{10, 10, 40, 14, 12, 18, 20, 10, 8, 12, 12, 8}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			h.fail(c, err)
			return
		}
	}
	if err := sw.SetRow("A1", xlsxHeader); err != nil {
		h.fail(c, err)
		return
	}
	for i, r := range rows {
		overdue := ""
		if r.Overdue {
			overdue = "超期"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{r.Ref(), r.Status.Label(), r.Title, r.Categories.Labels(), r.Town, r.Unit, r.Subject,
			r.Verification.Label(), counts[r.ID], r.OpenedAt.In(h.Location).Format("2006-01-02"),
			r.DueAt.In(h.Location).Format("2006-01-02"), overdue}); err != nil {
			h.fail(c, err)
			return
		}
	}
	if err := sw.Flush(); err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cases-%s.xlsx"`, h.now().In(h.Location).Format("20060102")))
	c.Status(http.StatusOK)
	if err := f.Write(c.Writer); err != nil {
		h.log.ErrorContext(h.ctx(c), "office: xlsx export", "err", err)
	}
}

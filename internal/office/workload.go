package office

// 承办统计: how much each inspector holds and concluded, for the leader and
// the administrators; the printed bulletin names no staff.

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/bulletin"
)

// WorkloadReaders may see the per-person counts.
var WorkloadReaders = []auth.Role{auth.Admin, auth.Leader}

type workloadData struct {
	Rows       []bulletin.Workload
	Month      string // 2026年11月
	MonthParam string
	Prev, Next string
}

func (h *Handler) workload(c *gin.Context) {
	now := h.Now()
	month := bulletin.MonthOf(now, h.Location)
	if s := c.Query("month"); s != "" {
		m, err := bulletin.ParseMonth(s, h.Location)
		if err != nil {
			h.fail(c, apperr.Invalid(map[string]string{"month": err.Error()}))
			return
		}
		month = m
	}
	rows, err := bulletin.WorkloadOf(h.ctx(c), h.DB, month, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "workload", "承办统计", workloadData{Rows: rows, Month: month.Format("2006年1月"), MonthParam: month.Format("2006-01"),
		Prev: month.AddDate(0, -1, 0).Format("2006-01"), Next: month.AddDate(0, 1, 0).Format("2006-01")})
}

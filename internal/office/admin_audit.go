package office

// The audit log viewer (审计日志): filters by who, what, object and date,
// newest first a page at a time, and a check of the whole hash chain on
// demand (what ecoreport audit verify does).

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/audit"
)

// auditForm is the filter as typed (kept on the page).
type auditForm struct {
	Actor, Action, ObjectType, ObjectID, From, To string
}

type adminAuditData struct {
	Form    auditForm
	Entries []audit.Entry
	More    string // the next page's link
	Report  *audit.Report
}

// readAuditFilter reads the query string; bad dates are field errors.
func (h *Handler) readAuditFilter(c *gin.Context) (auditForm, audit.Filter, map[string]string) {
	f := auditForm{Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
		ObjectType: strings.TrimSpace(c.Query("object_type")), ObjectID: strings.TrimSpace(c.Query("object_id")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to"))}
	af := audit.Filter{Actor: f.Actor, Action: f.Action, ObjectType: f.ObjectType, ObjectID: f.ObjectID}
	bad := map[string]string{}
	for _, x := range []struct {
		name, v string
		into    *time.Time
		days    int
	}{{"from", f.From, &af.From, 0}, {"to", f.To, &af.To, 1}} {
		if x.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", x.v, h.Location)
		if err != nil {
			bad[x.name] = "日期格式应为 2026-11-03"
			continue
		}
		*x.into = t.AddDate(0, 0, x.days)
	}
	for name, v := range map[string]string{"actor": f.Actor, "action": f.Action, "object_type": f.ObjectType, "object_id": f.ObjectID} {
		if len([]rune(v)) > 64 {
			bad[name] = "不能超过64个字"
		}
	}
	af.Before, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	return f, af, bad
}

func (h *Handler) adminAudit(c *gin.Context) { h.renderAdminAudit(c, nil) }

func (h *Handler) renderAdminAudit(c *gin.Context, report *audit.Report) {
	form, f, bad := h.readAuditFilter(c)
	d := adminAuditData{Form: form, Report: report}
	if len(bad) > 0 {
		h.renderPage(c, http.StatusUnprocessableEntity, "admin_audit", page{Title: "审计日志", Error: "筛选条件有误", Fields: bad, Data: d})
		return
	}
	es, next, err := audit.List(h.ctx(c), h.DB, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Entries = es
	if next != 0 {
		q := c.Request.URL.Query()
		q.Set("before", strconv.FormatInt(next, 10))
		d.More = "/office/admin/audit?" + q.Encode()
	}
	h.renderPage(c, http.StatusOK, "admin_audit", page{Title: "审计日志", Data: d, Flash: flash(c)})
}

// adminAuditVerify seals what is waiting and recomputes the whole chain,
// as ecoreport audit verify does, and shows the result above the log.
func (h *Handler) adminAuditVerify(c *gin.Context) {
	ctx := h.ctx(c)
	if err := audit.SealAll(ctx, h.DB); err != nil {
		h.fail(c, fmt.Errorf("office: seal the audit log: %w", err))
		return
	}
	r, err := audit.Verify(ctx, h.DB)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := audit.Append(ctx, h.DB, h.now(), by(c), "audit.verified", "audit_log", "", map[string]any{"sealed": r.Sealed, "broken_at": r.BrokenAt}); err != nil {
		h.fail(c, err)
		return
	}
	h.renderAdminAudit(c, &r)
}

package office

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// complaintRow is a complaint as staff see it: contact masked unless shown.
type complaintRow struct {
	ledger.Complaint
	Town       string
	TownKnown  bool   // Town is a town of the list; else it is the text as given (未识别)
	Contact    string // masked, or in clear after "show"
	Revealed   bool
	HasContact bool
	Overdue    bool // not decided by the decide-by date
	ReplyLate  bool // a hotline ticket's reply deadline passed without an answer
	Duplicates []ledger.Case
}

func (h *Handler) complaintRow(c ledger.Complaint, towns map[int64]string, reveal map[int64]*ledger.Contact) complaintRow {
	r := complaintRow{Complaint: c, Town: strings.TrimSpace(c.TownText), Overdue: c.DecideOverdue(h.now()),
		ReplyLate: c.FeedbackOverdue(h.now())}
	if c.TownID.Valid {
		r.Town, r.TownKnown = towns[c.TownID.Int64], true
	}
	switch {
	case c.ContactErasedAt.Valid:
		r.Contact = "已按期删除"
	case !c.ContactEnc.Valid:
		r.Contact = c.Identity.Label() + "（无联系方式）"
	default:
		r.HasContact = true
		if ct, ok := reveal[c.ID]; ok && ct != nil {
			r.Contact, r.Revealed = strings.TrimSpace(ct.Name+" "+ct.Phone), true
		} else if ct, err := h.Ledger.Contact(&c); err == nil && ct != nil {
			r.Contact = maskName(ct.Name) + " " + phone.Mask(ct.Phone)
		} else {
			r.Contact = "（无法解密）"
		}
	}
	return r
}

func maskName(n string) string {
	r := []rune(strings.TrimSpace(n))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

type inboxData struct {
	Rows    []complaintRow
	Reasons []ledger.RefuseReason
}

func (h *Handler) inbox(c *gin.Context) { h.renderInbox(c, nil) }

func (h *Handler) renderInbox(c *gin.Context, reveal map[int64]*ledger.Contact) {
	ctx := h.ctx(c)
	cs, err := h.inboxComplaints(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	towns, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := inboxData{Reasons: ledger.RefuseReasons}
	for _, cm := range cs {
		r := h.complaintRow(cm, towns, reveal)
		if r.Duplicates, err = h.duplicates(ctx, &cm); err != nil {
			h.fail(c, err)
			return
		}
		d.Rows = append(d.Rows, r)
	}
	h.render(c, http.StatusOK, "inbox", "待处理举报", d)
}

// parseCaseRef reads "C000012", "c12" or "12".
func parseCaseRef(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "C"), "c")
	if s == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

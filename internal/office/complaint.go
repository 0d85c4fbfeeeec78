package office

// A complaint's own page (/office/complaints/{id}): the complaint with
// everything its reporter gave (photos, additions, follow-up texts, the
// rating and its comment, where it happened as given, the coordinates of a
// partner app), what its source could not map (import warnings with the raw
// value, unmapped columns), the contact masked with the audited "show", its
// own timeline, and, while it waits in the inbox, who holds it (承办人) and
// the triage: accept (new case, attach to a case, or reopen a closed one:
// the problem came back), refuse, assign, ask the reporter. The inbox's
// rows are one line each and link here.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/evidence"
	"ecoreport/internal/ledger"
	"ecoreport/internal/web"
)

type complaintData struct {
	Row        complaintRow
	Evidence   *evidence.ComplaintEvidence
	Case       *ledger.Case // nil before acceptance
	Timeline   []ledger.Event
	Duplicates []ledger.Case // open cases it may repeat
	// LateNotices maps each of Duplicates whose rectification notice is
	// late to its days late.
	LateNotices map[int64]int
	CameBack    []ledger.Case // closed cases whose problem it may say came back
	Reasons     []ledger.RefuseReason
	CanDecide   bool // received, and the user may accept or refuse
	// Assign is who holds it in triage (承办人) with the form to change it;
	// nil once it has left the inbox (its case has its own holder).
	Assign *assignView
	// Accept and Refuse are what was typed into the form that was refused
	// (the other is empty); Fields its field messages.
	Accept, Refuse map[string]string
	Fields         map[string]string
}

func (h *Handler) complaintPage(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderComplaint(c, http.StatusOK, id, nil, "", nil, "", nil)
}

// renderComplaint draws the complaint's page with code; reveal holds a
// contact shown in clear for this response; msg, fields, which ("accept"
// or "refuse") and form a refused triage form's message, field messages and
// what was typed.
func (h *Handler) renderComplaint(c *gin.Context, code int, id int64, reveal map[int64]*ledger.Contact, msg string,
	fields map[string]string, which string, form map[string]string) {
	ctx := h.ctx(c)
	cm, err := h.Ledger.Complaint(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := complaintData{Row: h.complaintRow(*cm, names, reveal), Reasons: ledger.RefuseReasons, Fields: fields,
		Accept: map[string]string{}, Refuse: map[string]string{}}
	switch which {
	case "accept":
		d.Accept = form
	case "refuse":
		d.Refuse = form
	}
	u := User(c)
	d.CanDecide = cm.Status == ledger.Received && hasRole(Workers, u.Role)
	if d.Evidence, err = h.Evidence.OfComplaint(ctx, cm); err != nil {
		h.fail(c, err)
		return
	}
	if cm.CaseID.Valid {
		if d.Case, err = h.Ledger.Case(ctx, cm.CaseID.Int64); err != nil {
			h.fail(c, err)
			return
		}
	}
	if d.Timeline, err = h.Ledger.ComplaintTimeline(ctx, cm.ID); err != nil {
		h.fail(c, err)
		return
	}
	if cm.Status == ledger.Received {
		page := "/office/complaints/" + strconv.FormatInt(cm.ID, 10)
		a, err := h.assignViewOf(c, page+"/assign", page, cm.AssigneeID.Int64)
		if err != nil {
			h.fail(c, err)
			return
		}
		d.Assign = &a
		if d.Duplicates, err = h.Ledger.DuplicateCandidates(ctx, cm); err != nil {
			h.fail(c, err)
			return
		}
		if d.CameBack, err = h.Ledger.ClosedLookalikes(ctx, cm); err != nil {
			h.fail(c, err)
			return
		}
		rows := []complaintRow{{Duplicates: d.Duplicates}}
		if err := h.flagLateNotices(ctx, rows); err != nil {
			h.fail(c, err)
			return
		}
		d.LateNotices = rows[0].LateNotices
	}
	h.renderPage(c, code, "complaint", page{Title: "举报件 " + cm.Ref(), Data: &d, Flash: flash(c), Error: msg})
}

// triageFailed answers a refused accept or refuse with the complaint's page
// again: the message at the top and under its field, what was typed kept.
func (h *Handler) triageFailed(c *gin.Context, id int64, err error, which string, form map[string]string) {
	h.errs.HTML(c, err, func(p web.Problem) {
		if p.Status == http.StatusNotFound || p.Status >= 500 {
			h.renderPage(c, p.Status, "error", page{Title: "操作未完成", Error: p.Message, Data: c.Request.Referer()})
			return
		}
		h.renderComplaint(c, p.Status, id, nil, p.Message, p.Fields, which, form)
	})
}

// accept takes a complaint into a new case, into an existing one named by
// its reference (a repeat), or, with reopen, into a closed one that it
// reopens (the problem came back). A refusal shows the complaint's page
// again with the message and what was typed.
func (h *Handler) accept(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := formValues(c, "into", "reopen", "public_note", "internal_note")
	into, ok := parseCaseRef(form["into"])
	if !ok {
		h.triageFailed(c, id, apperr.Invalid(map[string]string{"into": "问题编号格式应为 C000012"}), "accept", form)
		return
	}
	in := ledger.EventInput{PublicNote: form["public_note"], InternalNote: form["internal_note"]}
	var caseID int64
	if form["reopen"] != "" {
		caseID, err = h.Ledger.AcceptReopening(h.ctx(c), id, into, h.actor(c), in)
	} else {
		caseID, err = h.Ledger.Accept(h.ctx(c), id, into, h.actor(c), in)
	}
	if err != nil {
		h.triageFailed(c, id, err, "accept", form)
		return
	}
	msg := "已受理举报件 " + ledger.ComplaintRef(id)
	if form["reopen"] != "" {
		msg += "，问题 " + ledger.CaseRef(caseID) + " 已重新整改"
	}
	done(c, "/office/cases/"+strconv.FormatInt(caseID, 10), msg)
}

func (h *Handler) refuse(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := formValues(c, "reason", "public_note", "internal_note")
	err = h.Ledger.Refuse(h.ctx(c), id, ledger.RefuseReason(form["reason"]), h.actor(c), ledger.EventInput{
		PublicNote: form["public_note"], InternalNote: form["internal_note"]})
	if err != nil {
		h.triageFailed(c, id, err, "refuse", form)
		return
	}
	done(c, "/office/inbox", "举报件 "+ledger.ComplaintRef(id)+" 不予受理")
}

// contactBack says where a contact shown in clear is drawn: the
// complaint's own page when the form came from it.
func contactBack(c *gin.Context) string { return strings.TrimSpace(c.PostForm("from")) }

package office

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/evidence"
	"ecoreport/internal/ledger"
)

type caseData struct {
	Case          *ledger.Case
	Town          string
	TownKnown     bool // Town is a town of the list; else the first reporter's text (未识别)
	Unit          string
	Overdue       bool
	Complaints    []complaintRow
	Evidence      *evidence.CaseEvidence
	Timeline      []ledger.Event
	Notices       []noticeRow
	NoticeOverdue bool // the notice in force is past its deadline
	Units         []ledger.Unit
	Verifications []ledger.Verification
	DefaultCopied string
	Repeats       int
	Assign        assignView // who holds the case (承办人), and the form to change it
}

// noticeRow is a notice of the case with how late the unit is.
type noticeRow struct {
	ledger.Notice
	DaysOverdue int
	Unit        string
}

// evidenceOf finds the evidence of one complaint of the case.
func (d caseData) EvidenceOf(complaintID int64) *evidence.ComplaintEvidence {
	if d.Evidence == nil {
		return nil
	}
	for i := range d.Evidence.Complaints {
		if d.Evidence.Complaints[i].Complaint.ID == complaintID {
			return &d.Evidence.Complaints[i]
		}
	}
	return nil
}

func (h *Handler) casePage(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderCase(c, id, nil)
}

func (h *Handler) renderCase(c *gin.Context, id int64, reveal map[int64]*ledger.Contact) {
	ctx := h.ctx(c)
	cs, err := h.Ledger.Case(ctx, id)
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
	d := caseData{Case: cs, Town: names[cs.TownID.Int64], TownKnown: cs.TownID.Valid, Unit: names[cs.UnitID.Int64], Overdue: cs.Overdue(now),
		Verifications: []ledger.Verification{ledger.Substantiated, ledger.Partly, ledger.Unsubstantiated},
		DefaultCopied: strings.Join(ledger.DefaultCopiedTo, "\n")}
	cms, err := h.Ledger.Complaints(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, cm := range cms {
		d.Complaints = append(d.Complaints, h.complaintRow(cm, names, reveal))
		if !d.TownKnown && d.Town == "" {
			d.Town = strings.TrimSpace(cm.TownText)
		}
	}
	if len(cms) > 0 {
		d.Repeats = len(cms) - 1
	}
	if d.Evidence, err = h.Evidence.OfCase(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	if d.Timeline, err = h.Ledger.CaseTimeline(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	ns, err := h.Ledger.NoticesOfCase(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, n := range ns {
		r := noticeRow{Notice: n, DaysOverdue: n.DaysOverdue(cs.Status, now), Unit: names[n.UnitID]}
		d.NoticeOverdue = d.NoticeOverdue || r.DaysOverdue > 0
		d.Notices = append(d.Notices, r)
	}
	if d.Units, err = h.Ledger.Units(ctx); err != nil {
		h.fail(c, err)
		return
	}
	page := "/office/cases/" + strconv.FormatInt(cs.ID, 10)
	if d.Assign, err = h.assignViewOf(c, page+"/assign", page, cs.AssigneeID.Int64); err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "case", "问题 "+cs.Ref(), d)
}

// addOnSitePhotos adds an inspector's on-site photos (现场照片) to a case:
// sanitised as the portal's, written, then recorded; a refused record
// removes the files again.
func (h *Handler) addOnSitePhotos(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var ps []cleanPhoto
	msg := "请选择要上传的照片"
	if c.Request.MultipartForm != nil {
		ps, msg = readPhotos(c.Request.MultipartForm.File["photos"], ledger.MaxPhotosPerAction)
		if msg == "" && len(ps) == 0 {
			msg = "请选择要上传的照片"
		}
	}
	if msg != "" {
		h.fail(c, apperr.Invalid(map[string]string{"photos": msg}))
		return
	}
	saved, err := h.files.save(h.ctx(c), ps, ledger.PhotoOnSite)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Ledger.AddOnSitePhotos(h.ctx(c), id, saved, h.actor(c)); err != nil {
		h.forget(c, saved)
		h.fail(c, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10)+"#evidence", "已上传现场照片"+strconv.Itoa(len(saved))+"张")
}

// forget removes photo files whose rows were not committed.
func (h *Handler) forget(c *gin.Context, ps []ledger.Photo) {
	if err := h.files.remove(h.ctx(c), ps); err != nil {
		h.log.ErrorContext(h.ctx(c), "office: remove uncommitted photos", "err", err)
	}
}

// sharePhotos sets which photos of the case the responsible unit sees: the
// checked boxes of the case page (share=resident:12, share=case:3).
func (h *Handler) sharePhotos(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var refs []evidence.Ref
	for _, v := range c.PostFormArray("share") {
		src, n, _ := strings.Cut(v, ":")
		pid, err := strconv.ParseInt(n, 10, 64)
		if err != nil || !evidence.Source(src).Valid() {
			h.fail(c, apperr.Invalid(map[string]string{"photos": "所选照片无效"}))
			return
		}
		refs = append(refs, evidence.Ref{Source: evidence.Source(src), ID: pid})
	}
	if err := h.Evidence.Share(h.ctx(c), id, refs, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10)+"#evidence", "已更新提供给责任单位的照片（"+strconv.Itoa(len(refs))+"张）")
}

// showContact unmasks one complaint's contact for this response only and
// writes contact.viewed to the audit log first: no audit, no contact. It is
// shown on the case's page, or on the complaint's own page when the form
// came from there (from=complaint) or the complaint has no case yet.
func (h *Handler) showContact(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	cm, err := h.Ledger.Complaint(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ct, err := h.Ledger.ViewContact(ctx, cm, h.actor(c), string(User(c).Role))
	if err != nil {
		h.fail(c, err)
		return
	}
	reveal := map[int64]*ledger.Contact{cm.ID: ct}
	if cm.CaseID.Valid && contactBack(c) != "complaint" {
		h.renderCase(c, cm.CaseID.Int64, reveal)
		return
	}
	h.renderComplaint(c, http.StatusOK, cm.ID, reveal, "", nil, "", nil)
}

// caseAction runs one ledger action on the case of the URL and goes back to
// the case page.
func (h *Handler) caseAction(c *gin.Context, msg string, fn func(id int64, by ledger.Actor, in ledger.EventInput) error) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	in := ledger.EventInput{PublicNote: strings.TrimSpace(c.PostForm("public_note")), InternalNote: strings.TrimSpace(c.PostForm("internal_note"))}
	if err := fn(id, h.actor(c), in); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10), msg)
}

func (h *Handler) startVerification(c *gin.Context) {
	h.caseAction(c, "已开始核查", func(id int64, by ledger.Actor, in ledger.EventInput) error {
		return h.Ledger.StartVerification(h.ctx(c), id, by, in)
	})
}

func (h *Handler) recordVerification(c *gin.Context) {
	h.caseAction(c, "核查结论已记录", func(id int64, by ledger.Actor, in ledger.EventInput) error {
		return h.Ledger.RecordVerification(h.ctx(c), id, ledger.Verification(c.PostForm("verification")), c.PostForm("public_reply"), by, in)
	})
}

func (h *Handler) extend(c *gin.Context) {
	h.caseAction(c, "办理期限已延长", func(id int64, by ledger.Actor, _ ledger.EventInput) error {
		return h.Ledger.Extend(h.ctx(c), id, c.PostForm("reason"), by)
	})
}

func (h *Handler) closeCase(c *gin.Context) {
	h.caseAction(c, "已验收销号", func(id int64, by ledger.Actor, in ledger.EventInput) error {
		return h.Ledger.Close(h.ctx(c), id, c.PostForm("public_reply"), by, in)
	})
}

func (h *Handler) reopen(c *gin.Context) {
	h.caseAction(c, "已退回重新整改", func(id int64, by ledger.Actor, in ledger.EventInput) error {
		return h.Ledger.Reopen(h.ctx(c), id, c.PostForm("reason"), by, in)
	})
}

func (h *Handler) merge(c *gin.Context) {
	into, ok := parseCaseRef(c.PostForm("into"))
	if !ok || into == 0 {
		h.fail(c, apperr.Invalid(map[string]string{"into": "请填写要并入的问题编号，如 C000012"}))
		return
	}
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	merge, msg := h.Ledger.Merge, ledger.CaseRef(id)+" 已并入本问题"
	if c.PostForm("reopen") != "" {
		merge, msg = h.Ledger.MergeReopening, msg+"，本问题已重新整改"
	}
	if err := merge(h.ctx(c), id, into, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(into, 10), msg)
}

func (h *Handler) issueNotice(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	unitID, _ := strconv.ParseInt(c.PostForm("unit_id"), 10, 64)
	var deadline time.Time
	if s := strings.TrimSpace(c.PostForm("deadline")); s != "" {
		if deadline, err = time.ParseInLocation("2006-01-02", s, h.Location); err != nil {
			h.fail(c, apperr.Invalid(map[string]string{"deadline": "整改期限格式应为 2026-12-31"}))
			return
		}
	}
	var copied []string
	for _, l := range strings.Split(c.PostForm("copied_to"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			copied = append(copied, l)
		}
	}
	n, err := h.Ledger.IssueNotice(h.ctx(c), ledger.NewNotice{CaseID: id, UnitID: unitID, Problem: c.PostForm("problem"),
		Requirements: c.PostForm("requirements"), Deadline: deadline, CopiedTo: copied}, h.actor(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10), "已下达整改通知书 "+n.Ref())
}

type noticeData struct {
	Notice   *ledger.Notice
	Case     *ledger.Case
	Unit     string
	Place    string // where the problem is: town and address
	IssuedBy string
}

// noticePage is the printable notice (A4). A unit user sees only notices of
// its own unit; any other is "not found", never "forbidden", so that the
// answer does not tell which notices exist.
func (h *Handler) noticePage(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	n, err := h.Ledger.Notice(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if u := User(c); u.Role == auth.UnitUser && (!u.UnitID.Valid || u.UnitID.Int64 != n.UnitID) {
		h.fail(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "整改通知书不存在"})
		return
	}
	cs, err := h.Ledger.Case(ctx, n.CaseID)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := noticeData{Notice: n, Case: cs, Unit: names[n.UnitID], Place: place(names[cs.TownID.Int64], cs.Address)}
	if n.IssuedBy.Valid {
		d.IssuedBy = h.userName(ctx, n.IssuedBy.Int64)
	}
	h.render(c, http.StatusOK, "notice", n.Ref(), d)
}

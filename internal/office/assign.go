package office

// Assignment (承办): who holds a case or a complaint in triage, the
// assignment form (the partial assign-form), and 我的问题.

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/ledger"
)

// Assignable are the roles a case or complaint can be given to: those who
// work the ledger.
var Assignable = Workers

// assignView is what the partial assign-form draws: the holder, and for
// those who may change it, the form.
type assignView struct {
	Action  string // the POST route
	Back    string // where the form returns (the page it is on)
	CSRF    string
	Holder  string // "" for nobody
	FromID  int64
	Options []assignOption
	Can     bool // the viewer may assign
}

type assignOption struct {
	ID       int64
	Name     string
	Selected bool
}

// assigner builds the assignment blocks of one page, reading the people who
// may hold cases once.
type assigner struct {
	h     *Handler
	c     *gin.Context
	can   bool
	staff []auth.User
	names map[int64]string
}

func (h *Handler) assigner(c *gin.Context) (*assigner, error) {
	a := &assigner{h: h, c: c, names: map[int64]string{}}
	u := User(c)
	a.can = u != nil && hasRole(Assignable, u.Role)
	staff, err := h.Users.ActiveWith(h.ctx(c), Assignable...)
	if err != nil {
		return nil, err
	}
	for _, s := range staff {
		a.names[s.ID] = s.Label()
	}
	if a.can {
		a.staff = staff
	}
	return a, nil
}

// holder names the holder id (0: nobody, ""), an account disabled since
// marked so.
func (a *assigner) holder(id int64) string {
	if id == 0 {
		return ""
	}
	name, ok := a.names[id]
	if !ok { // no longer active: named all the same
		name = a.h.userName(a.h.ctx(a.c), id) + "（已停用）"
		a.names[id] = name
	}
	return name
}

// view is the block of a case or complaint held by holder (0: nobody),
// whose form posts to action and comes back to the page at back.
func (a *assigner) view(action, back string, holder int64) assignView {
	v := assignView{Action: action, Back: back, CSRF: CSRFToken(a.c), FromID: holder, Can: a.can, Holder: a.holder(holder)}
	for _, s := range a.staff {
		v.Options = append(v.Options, assignOption{ID: s.ID, Name: s.Label(), Selected: s.ID == holder})
	}
	return v
}

// assignViewOf is the block of one case or complaint, on its page at back.
func (h *Handler) assignViewOf(c *gin.Context, action, back string, holder int64) (assignView, error) {
	a, err := h.assigner(c)
	if err != nil {
		return assignView{}, err
	}
	return a.view(action, back, holder), nil
}

// assigneeOf reads the form's holder: 0 (nobody), or an active account
// that may hold cases. EINVALID (field assignee) for anyone else.
func (h *Handler) assigneeOf(ctx context.Context, field string) (ledger.Assignee, error) {
	field = strings.TrimSpace(field)
	if field == "" || field == "0" {
		return ledger.Assignee{}, nil
	}
	id, err := strconv.ParseInt(field, 10, 64)
	bad := apperr.Invalid(map[string]string{"assignee": "承办人只能是在岗的督查人员或系统管理员"})
	if err != nil || id <= 0 {
		return ledger.Assignee{}, bad
	}
	u, err := h.Users.ByID(ctx, id)
	if apperr.Is(err, apperr.ENOTFOUND) {
		return ledger.Assignee{}, bad
	}
	if err != nil {
		return ledger.Assignee{}, err
	}
	if !u.Active || !hasRole(Assignable, u.Role) {
		return ledger.Assignee{}, bad
	}
	return ledger.Assignee{ID: u.ID, Name: u.Label()}, nil
}

// holderOf is the holder the form says it saw (from): any account, even
// one disabled since.
func (h *Handler) holderOf(ctx context.Context, field string) ledger.Assignee {
	id, err := strconv.ParseInt(strings.TrimSpace(field), 10, 64)
	if err != nil || id <= 0 {
		return ledger.Assignee{}
	}
	return ledger.Assignee{ID: id, Name: h.userName(ctx, id)}
}

// assignCase gives the case of the URL to the form's holder.
func (h *Handler) assignCase(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	to, err := h.assigneeOf(ctx, c.PostForm("assignee"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Ledger.AssignCase(ctx, id, h.holderOf(ctx, c.PostForm("from")), to, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	msg := "已取消承办人"
	if to.ID != 0 {
		msg = "已指派承办人：" + to.Name
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10), msg)
}

// assignComplaint gives the complaint of the URL, still in triage, to the
// form's holder, and goes back where the form was (the complaint's page by
// default).
func (h *Handler) assignComplaint(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	to, err := h.assigneeOf(ctx, c.PostForm("assignee"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Ledger.AssignComplaint(ctx, id, h.holderOf(ctx, c.PostForm("from")), to, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	msg := "举报件 " + ledger.ComplaintRef(id) + " 已取消承办人"
	if to.ID != 0 {
		msg = "举报件 " + ledger.ComplaintRef(id) + " 已分派给 " + to.Name
	}
	done(c, back(c, "/office/complaints/"+strconv.FormatInt(id, 10)), msg)
}

type mineData struct {
	Cases      []caseRow
	Complaints []complaintRow
}

// mine is 我的问题: what the logged-in user holds, with its deadlines and
// each case's late rectification notice.
func (h *Handler) mine(c *gin.Context) {
	ctx := h.ctx(c)
	m, err := h.Ledger.Held(ctx, User(c).ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	ids := make([]int64, len(m.Cases))
	for i, k := range m.Cases {
		ids[i] = k.ID
	}
	late, err := h.Ledger.OverdueNoticesOf(ctx, ids)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	d := mineData{}
	for _, k := range m.Cases {
		r := caseRow{Case: k, Town: names[k.TownID.Int64], Unit: names[k.UnitID.Int64], Overdue: k.Overdue(now)}
		if n, ok := late[k.ID]; ok {
			r.NoticeDays = n.DaysOverdue(k.Status, now)
		}
		d.Cases = append(d.Cases, r)
	}
	for _, cm := range m.Complaints {
		r := complaintRow{Complaint: cm, Town: cm.TownText, Overdue: cm.DecideOverdue(now)}
		if cm.TownID.Valid {
			r.Town = names[cm.TownID.Int64]
		}
		d.Complaints = append(d.Complaints, r)
	}
	h.render(c, http.StatusOK, "mine", "我的问题", d)
}

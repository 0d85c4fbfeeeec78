package office

// Inspection modules (internal/inspection) in the back office: inspection
// tasks and their findings, superior feedback registered by hand, admonition
// interviews (interview.go) and clue referrals (referral.go). The routes are
// appended to the route table here, so the role-matrix test walks them too.
// Their id parameters are named after the resource (:task, :interview,
// :referral).

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

// inspections is the inspection service on the handler's ledger (and clock).
func (h *Handler) inspections() *inspection.Service { return inspection.NewService(h.Ledger) }

// param reads a positive id from the URL parameter name; anything else is
// "not found".
func param(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, &apperr.Error{Code: apperr.ENOTFOUND, Message: "页面不存在"}
	}
	return id, nil
}

// formDate reads a yyyy-mm-dd field in the office's time zone; a bad value
// is reported under the field's name, an empty one is the zero time.
func (h *Handler) formDate(c *gin.Context, field string, bad map[string]string) time.Time {
	s := strings.TrimSpace(c.PostForm(field))
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02", s, h.Location)
	if err != nil {
		bad[field] = "日期格式应为 2026-11-03"
	}
	return t
}

func formValues(c *gin.Context, keys ...string) map[string]string {
	f := map[string]string{}
	for _, k := range keys {
		f[k] = strings.TrimSpace(c.PostForm(k))
	}
	return f
}

func (h *Handler) today() string { return h.now().In(h.Location).Format("2006-01-02") }

// formPage renders a form view with the error of the last submit, if any.
func (h *Handler) formPage(c *gin.Context, view, title string, data any, err error) {
	p := page{Title: title, Data: data, Flash: flash(c)}
	code := http.StatusOK
	if err != nil {
		code = httpStatus(err)
		p.Error, p.Fields = apperr.Message(err), apperr.Fields(err)
	}
	h.renderPage(c, code, view, p)
}

type taskRow struct {
	inspection.Task
	Findings int
}

func (h *Handler) taskList(c *gin.Context) {
	ctx := h.ctx(c)
	s := h.inspections()
	ts, err := s.Tasks(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	rows := make([]taskRow, len(ts))
	for i, t := range ts {
		fs, err := s.Findings(ctx, t.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		rows[i] = taskRow{Task: t, Findings: len(fs)}
	}
	h.render(c, http.StatusOK, "inspection_tasks", "督查巡查任务", rows)
}

type taskForm struct {
	Form  map[string]string
	Kinds []inspection.TaskKind
	Towns []ledger.Unit
	Area  map[string]bool
}

func (h *Handler) taskNewForm(c *gin.Context) {
	h.renderTaskForm(c, map[string]string{"kind": string(inspection.Routine), "start_on": h.today(), "end_on": h.today()}, nil, nil)
}

func (h *Handler) renderTaskForm(c *gin.Context, form map[string]string, area []string, err error) {
	towns, terr := h.Ledger.Towns(h.ctx(c))
	if terr != nil {
		h.fail(c, terr)
		return
	}
	d := taskForm{Form: form, Kinds: inspection.TaskKinds, Towns: towns, Area: map[string]bool{}}
	for _, a := range area {
		d.Area[a] = true
	}
	h.formPage(c, "inspection_task_new", "新建督查巡查任务", d, err)
}

func (h *Handler) taskCreate(c *gin.Context) {
	form := formValues(c, "kind", "theme", "team", "start_on", "end_on")
	bad := map[string]string{}
	in := inspection.NewTask{Kind: inspection.TaskKind(form["kind"]), Theme: form["theme"], Area: c.PostFormArray("area"),
		Team: inspection.SplitList(form["team"]), StartOn: h.formDate(c, "start_on", bad), EndOn: h.formDate(c, "end_on", bad)}
	if len(bad) > 0 {
		h.renderTaskForm(c, form, in.Area, apperr.Invalid(bad))
		return
	}
	id, err := h.inspections().CreateTask(h.ctx(c), in, h.actor(c))
	if err != nil {
		h.renderTaskForm(c, form, in.Area, err)
		return
	}
	done(c, "/office/inspection/tasks/"+strconv.FormatInt(id, 10), "督查巡查任务已创建")
}

type findingView struct {
	inspection.FindingRow
	Town string
}

type taskData struct {
	Task       *inspection.Task
	Findings   []findingView
	Next       []inspection.TaskStatus
	Categories []ledger.Category
	Towns      []ledger.Unit
	Form       map[string]string
	Checked    map[ledger.Category]bool
}

func (h *Handler) taskPage(c *gin.Context) {
	id, err := param(c, "task")
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderTask(c, id, map[string]string{}, nil, nil)
}

func (h *Handler) renderTask(c *gin.Context, id int64, form map[string]string, checked map[ledger.Category]bool, ferr error) {
	ctx := h.ctx(c)
	s := h.inspections()
	t, err := s.Task(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	fs, err := s.Findings(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	towns, err := h.Ledger.Towns(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := taskData{Task: t, Categories: ledger.AllCategories, Towns: towns, Form: form, Checked: checked}
	for _, f := range fs {
		d.Findings = append(d.Findings, findingView{FindingRow: f, Town: names[f.TownID.Int64]})
	}
	for _, st := range inspection.TaskStatuses {
		if inspection.CanMoveTask(t.Status, st) {
			d.Next = append(d.Next, st)
		}
	}
	h.formPage(c, "inspection_task", t.Kind.Label()+" "+t.Ref(), d, ferr)
}

func (h *Handler) taskStatus(c *gin.Context) {
	id, err := param(c, "task")
	if err != nil {
		h.fail(c, err)
		return
	}
	to := inspection.TaskStatus(c.PostForm("status"))
	if err := h.inspections().SetTaskStatus(h.ctx(c), id, to, h.actor(c)); err != nil {
		h.fail(c, err)
		return
	}
	done(c, "/office/inspection/tasks/"+strconv.FormatInt(id, 10), "任务状态已改为“"+to.Label()+"”")
}

func (h *Handler) findingCreate(c *gin.Context) {
	id, err := param(c, "task")
	if err != nil {
		h.fail(c, err)
		return
	}
	form := formValues(c, "title", "town_id", "subject", "address", "description")
	in := inspection.Finding{Title: form["title"], Subject: form["subject"], Address: form["address"], Description: form["description"]}
	checked := map[ledger.Category]bool{}
	for _, v := range c.PostFormArray("categories") {
		in.Categories = append(in.Categories, ledger.Category(v))
		checked[ledger.Category(v)] = true
	}
	if form["town_id"] != "" {
		if in.TownID, err = strconv.ParseInt(form["town_id"], 10, 64); err != nil {
			h.renderTask(c, id, form, checked, apperr.Invalid(map[string]string{"town_id": "乡镇无效"}))
			return
		}
	}
	// On-site photos (现场照片), sanitised as the portal's and written
	// before the finding; removed again when it is refused.
	if mf := c.Request.MultipartForm; mf != nil {
		ps, msg := readPhotos(mf.File["photos"], ledger.MaxPhotosPerAction)
		if msg != "" {
			h.renderTask(c, id, form, checked, apperr.Invalid(map[string]string{"photos": msg}))
			return
		}
		if in.Photos, err = h.files.save(h.ctx(c), ps, ledger.PhotoOnSite); err != nil {
			h.fail(c, err)
			return
		}
	}
	caseID, err := h.inspections().RecordFinding(h.ctx(c), id, in, h.actor(c))
	if err != nil {
		h.forget(c, in.Photos)
		if apperr.Is(err, apperr.EINVALID) {
			h.renderTask(c, id, form, checked, err)
			return
		}
		h.fail(c, err)
		return
	}
	done(c, "/office/inspection/tasks/"+strconv.FormatInt(id, 10), "发现的问题已登记为 "+ledger.CaseRef(caseID))
}

type superiorForm struct {
	Form       map[string]string
	Bodies     []inspection.SuperiorBody
	Categories []ledger.Category
	Checked    map[ledger.Category]bool
	Towns      []ledger.Unit
}

func (h *Handler) superiorForm(c *gin.Context) {
	h.renderSuperior(c, map[string]string{}, nil, nil)
}

func (h *Handler) renderSuperior(c *gin.Context, form map[string]string, checked map[ledger.Category]bool, err error) {
	towns, terr := h.Ledger.Towns(h.ctx(c))
	if terr != nil {
		h.fail(c, terr)
		return
	}
	h.formPage(c, "inspection_superior", "登记上级督察、审计交办问题", superiorForm{Form: form, Bodies: inspection.SuperiorBodies,
		Categories: ledger.AllCategories, Checked: checked, Towns: towns}, err)
}

func (h *Handler) superiorCreate(c *gin.Context) {
	form := formValues(c, "body", "reference", "title", "town_id", "subject", "description")
	in := inspection.SuperiorFeedback{Body: inspection.SuperiorBody(form["body"]), Reference: form["reference"], Title: form["title"],
		Subject: form["subject"], Description: form["description"]}
	checked := map[ledger.Category]bool{}
	for _, v := range c.PostFormArray("categories") {
		in.Categories = append(in.Categories, ledger.Category(v))
		checked[ledger.Category(v)] = true
	}
	if form["town_id"] != "" {
		var err error
		if in.TownID, err = strconv.ParseInt(form["town_id"], 10, 64); err != nil {
			h.renderSuperior(c, form, checked, apperr.Invalid(map[string]string{"town_id": "乡镇无效"}))
			return
		}
	}
	id, err := h.inspections().RegisterSuperior(h.ctx(c), in, h.actor(c))
	if err != nil {
		h.renderSuperior(c, form, checked, err)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(id, 10), "已登记为 "+ledger.CaseRef(id))
}

package inspection

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// TaskKind is the kind of an inspection task.
type TaskKind string

// Task kinds.
const (
	Routine TaskKind = "routine" // 例行督查 (unannounced, "四不两直")
	Special TaskKind = "special" // 专项巡查
)

// TaskKinds lists the kinds in display order.
var TaskKinds = []TaskKind{Routine, Special}

// Label is the kind's Chinese name.
func (k TaskKind) Label() string {
	switch k {
	case Routine:
		return "例行督查"
	case Special:
		return "专项巡查"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k TaskKind) Valid() bool { return k == Routine || k == Special }

// TaskStatus is where a task stands.
type TaskStatus string

// Task statuses: planned → in_progress → done.
const (
	Planned    TaskStatus = "planned"
	InProgress TaskStatus = "in_progress"
	Done       TaskStatus = "done"
)

// TaskStatuses lists the statuses in order.
var TaskStatuses = []TaskStatus{Planned, InProgress, Done}

// Label is the status's Chinese name.
func (s TaskStatus) Label() string {
	switch s {
	case Planned:
		return "计划中"
	case InProgress:
		return "进行中"
	case Done:
		return "已完成"
	}
	return string(s)
}

// Valid reports whether s is a known status.
func (s TaskStatus) Valid() bool { return s == Planned || s == InProgress || s == Done }

// CanMoveTask reports whether a task may go from one status to another:
// forward only, one step or straight to done.
func CanMoveTask(from, to TaskStatus) bool {
	switch from {
	case Planned:
		return to == InProgress || to == Done
	case InProgress:
		return to == Done
	}
	return false
}

// Task is an inspection task (督查巡查任务): a routine inspection or a special
// patrol with a theme, the towns it covers and the team that goes.
type Task struct {
	ID        int64         `db:"id"`
	Kind      TaskKind      `db:"kind"`
	Theme     string        `db:"theme"`
	Area      string        `db:"area"` // towns, separated by 、
	Team      string        `db:"team"` // names, separated by 、
	StartOn   time.Time     `db:"start_on"`
	EndOn     time.Time     `db:"end_on"`
	Status    TaskStatus    `db:"status"`
	CreatedBy sql.NullInt64 `db:"created_by"`
	CreatedAt time.Time     `db:"created_at"`
	UpdatedAt time.Time     `db:"updated_at"`
}

// Ref is the task's reference (任务编号).
func (t *Task) Ref() string { return fmt.Sprintf("T%04d", t.ID) }

// NewTask is what it takes to plan a task.
type NewTask struct {
	Kind    TaskKind
	Theme   string
	Area    []string // town names
	Team    []string // member names
	StartOn time.Time
	EndOn   time.Time
}

// Validate names every bad field in Chinese.
func (n *NewTask) Validate() error {
	f := map[string]string{}
	if !n.Kind.Valid() {
		f["kind"] = "请选择例行督查或专项巡查"
	}
	if m := checkText(n.Theme, true, 200, "请填写督查主题"); m != "" {
		f["theme"] = m
	}
	if len(n.Area) == 0 {
		f["area"] = "请选择督查区域（乡镇）"
	}
	if len(n.Team) == 0 {
		f["team"] = "请填写督查组成员"
	}
	for _, m := range n.Team {
		if x := checkText(m, true, 30, "成员姓名不能为空"); x != "" {
			f["team"] = "督查组成员：" + x
		}
	}
	switch {
	case n.StartOn.IsZero():
		f["start_on"] = "请填写开始日期"
	case n.EndOn.IsZero():
		f["end_on"] = "请填写结束日期"
	case n.EndOn.Before(n.StartOn):
		f["end_on"] = "结束日期不能早于开始日期"
	case n.EndOn.Sub(n.StartOn) > 366*24*time.Hour:
		f["end_on"] = "督查期限不能超过一年"
	}
	return invalid(f)
}

const (
	taskColumns   = `id, kind, theme, area, team, start_on, end_on, status, created_by, created_at, updated_at`
	insertTaskSQL = `INSERT INTO inspection_tasks (kind, theme, area, team, start_on, end_on, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	moveTaskSQL   = `UPDATE inspection_tasks SET status = ?, updated_at = ? WHERE id = ? AND status = ?`
)

// CreateTask plans a task (status planned, or in_progress when it has
// already started). Returns the task's id; EINVALID for bad fields, an
// unknown town in the area included.
func (s *Service) CreateTask(ctx context.Context, in NewTask, by ledger.Actor) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	towns, err := s.Ledger.Towns(ctx)
	if err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for _, t := range towns {
		known[t.Name] = true
	}
	for _, a := range in.Area {
		if !known[a] {
			return 0, apperr.Invalid(map[string]string{"area": "没有名为“" + a + "”的乡镇"})
		}
	}
	now := s.now()
	start, end := dayStart(in.StartOn, s.loc()), dayStart(in.EndOn, s.loc())
	status := Planned
	if !now.Before(start) {
		status = InProgress
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, insertTaskSQL, in.Kind, strings.TrimSpace(in.Theme), strings.Join(in.Area, "、"),
			strings.Join(trimAll(in.Team), "、"), start, end, status, actorID(by), now, now)
		if err != nil {
			return fmt.Errorf("inspection: create task: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("inspection: create task: %w", err)
		}
		return audit.Append(ctx, tx, now, actorName(by), "inspection.task_created", "inspection_task", id,
			map[string]any{"kind": in.Kind, "theme": strings.TrimSpace(in.Theme), "status": status})
	})
	return id, db.Classify(err)
}

// Task returns one task. ENOTFOUND when there is none.
func (s *Service) Task(ctx context.Context, id int64) (*Task, error) {
	return s.taskQ(ctx, s.DB, id, false)
}

func (s *Service) taskQ(ctx context.Context, q sqlx.QueryerContext, id int64, lock bool) (*Task, error) {
	var t Task
	query := `SELECT ` + taskColumns + ` FROM inspection_tasks WHERE id = ?`
	if lock {
		query = s.DB.ForUpdate(query)
	}
	if err := sqlx.GetContext(ctx, q, &t, query, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "督查任务不存在"))
	}
	return &t, nil
}

// Tasks lists every task, latest start first.
func (s *Service) Tasks(ctx context.Context) ([]Task, error) {
	var ts []Task
	if err := s.DB.SelectContext(ctx, &ts, `SELECT `+taskColumns+` FROM inspection_tasks ORDER BY start_on DESC, id DESC`); err != nil {
		return nil, db.Classify(fmt.Errorf("inspection: tasks: %w", err))
	}
	return ts, nil
}

// SetTaskStatus moves a task forward (planned → in_progress → done).
// ECONFLICT when the move is not allowed or someone moved it meanwhile.
func (s *Service) SetTaskStatus(ctx context.Context, id int64, to TaskStatus, by ledger.Actor) error {
	if !to.Valid() {
		return apperr.Invalid(map[string]string{"status": "任务状态无效"})
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.taskQ(ctx, tx, id, true)
		if err != nil {
			return err
		}
		return s.moveTask(ctx, tx, t, to, by)
	}))
}

func (s *Service) moveTask(ctx context.Context, tx *sqlx.Tx, t *Task, to TaskStatus, by ledger.Actor) error {
	if !CanMoveTask(t.Status, to) {
		return apperr.Errorf(apperr.ECONFLICT, "督查任务 %s 当前为“%s”，不能改为“%s”", t.Ref(), t.Status.Label(), to.Label())
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, moveTaskSQL, to, now, t.ID, t.Status)
	if err != nil {
		return fmt.Errorf("inspection: task %d to %s: %w", t.ID, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Errorf(apperr.ECONFLICT, "督查任务 %s 已被他人修改，请刷新后重试", t.Ref())
	}
	from := t.Status
	t.Status = to
	return audit.Append(ctx, tx, now, actorName(by), "inspection.task_status", "inspection_task", t.ID,
		map[string]any{"from": from, "to": to})
}

// Finding is a problem found on an inspection task (督查发现问题); it becomes a
// ledger case with source inspection.
type Finding struct {
	Title       string
	Categories  ledger.Categories
	TownID      int64 // 0 when not in a town
	Subject     string
	Description string
	Address     string // where it was found (地点), optional
	// Photos are the on-site photos taken (现场照片), already stored; they
	// become the case's photos in the same transaction.
	Photos []ledger.Photo
}

// Validate names every bad field in Chinese.
func (f *Finding) Validate() error {
	m := map[string]string{}
	if x := checkText(f.Title, true, 200, "请填写问题概述"); x != "" {
		m["title"] = x
	}
	if len(f.Categories) == 0 {
		m["categories"] = "请至少选择一种污染类型"
	}
	for _, c := range f.Categories {
		if !c.Valid() {
			m["categories"] = "污染类型无效：" + string(c)
		}
	}
	if x := checkText(f.Subject, false, 200, ""); x != "" {
		m["subject"] = x
	}
	if x := checkText(f.Description, true, 2000, "请描述发现的问题"); x != "" {
		m["description"] = x
	}
	if x := checkText(f.Address, false, 200, ""); x != "" {
		m["address"] = x
	}
	if len(f.Photos) > ledger.MaxPhotosPerAction {
		m["photos"] = fmt.Sprintf("最多上传%d张照片", ledger.MaxPhotosPerAction)
	}
	return invalid(m)
}

// FindingRow is a recorded finding with its case.
type FindingRow struct {
	ID          int64             `db:"id"`
	TaskID      int64             `db:"task_id"`
	CaseID      int64             `db:"case_id"`
	Description string            `db:"description"`
	CreatedAt   time.Time         `db:"created_at"`
	Title       string            `db:"title"`
	Status      ledger.CaseStatus `db:"status"`
	TownID      sql.NullInt64     `db:"town_id"`
}

// CaseRef is the finding's case reference.
func (f *FindingRow) CaseRef() string { return ledger.CaseRef(f.CaseID) }

const (
	insertFindingSQL = `INSERT INTO inspection_findings (task_id, case_id, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)`
	findingsSQL      = `SELECT f.id, f.task_id, f.case_id, f.description, f.created_at, c.title, c.status, c.town_id
 FROM inspection_findings f JOIN cases c ON c.id = f.case_id WHERE f.task_id = ? ORDER BY f.id`
)

// RecordFinding records a problem found on a task: in one transaction it
// opens a ledger case with source inspection (ledger.OpenCaseTx), links the
// finding to it, records its on-site photos as the case's, notes the
// description on the case's timeline and audits.
// A planned task starts (in_progress) with its first finding. Returns the
// case id. EINVALID for bad fields, ENOTFOUND for an unknown task,
// ECONFLICT when the task is done.
func (s *Service) RecordFinding(ctx context.Context, taskID int64, in Finding, by ledger.Actor) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var caseID int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.taskQ(ctx, tx, taskID, true)
		if err != nil {
			return err
		}
		if t.Status == Done {
			return apperr.Errorf(apperr.ECONFLICT, "督查任务 %s 已完成，不能再记录发现的问题", t.Ref())
		}
		if in.TownID != 0 {
			ok, err := s.unitExists(ctx, tx, in.TownID, "town")
			if err != nil {
				return err
			}
			if !ok {
				return apperr.Invalid(map[string]string{"town_id": "乡镇不存在"})
			}
		}
		if t.Status == Planned {
			if err := s.moveTask(ctx, tx, t, InProgress, by); err != nil {
				return err
			}
		}
		caseID, err = s.Ledger.OpenCaseTx(ctx, tx, ledger.NewCase{Source: ledger.SourceInspection,
			SourceDetail: t.Kind.Label() + " " + t.Ref() + " " + t.Theme, Title: strings.TrimSpace(in.Title),
			Description: in.Description, Address: in.Address, Categories: in.Categories, TownID: in.TownID,
			Subject: strings.TrimSpace(in.Subject)}, by)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, insertFindingSQL, t.ID, caseID, strings.TrimSpace(in.Description), actorID(by), now)
		if err != nil {
			return fmt.Errorf("inspection: finding of task %d: %w", t.ID, err)
		}
		fid, _ := res.LastInsertId()
		photos := make([]ledger.Photo, len(in.Photos))
		for i, p := range in.Photos {
			p.Kind = ledger.PhotoOnSite
			photos[i] = p
		}
		if err := s.Ledger.AddPhotosTx(ctx, tx, caseID, 0, photos, by); err != nil {
			return err
		}
		if err := s.Ledger.NoteTx(ctx, tx, caseID, 0, "inspection.finding", by, ledger.EventInput{
			PublicNote:   "督查巡查中发现问题，已登记入台账。",
			InternalNote: t.Kind.Label() + " " + t.Ref() + "（" + t.Theme + "）发现：" + strings.TrimSpace(in.Description)}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, actorName(by), "inspection.finding_recorded", "inspection_task", t.ID,
			map[string]any{"finding": fid, "case": caseID})
	})
	return caseID, db.Classify(err)
}

// Findings lists a task's findings with their cases, oldest first.
func (s *Service) Findings(ctx context.Context, taskID int64) ([]FindingRow, error) {
	var fs []FindingRow
	if err := s.DB.SelectContext(ctx, &fs, findingsSQL, taskID); err != nil {
		return nil, db.Classify(fmt.Errorf("inspection: findings of task %d: %w", taskID, err))
	}
	return fs, nil
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SplitList splits a list typed by a person (、，, ; or new lines) into
// trimmed, non-empty items.
func SplitList(s string) []string {
	s = strings.NewReplacer("，", "、", ",", "、", "；", "、", ";", "、", "\n", "、", "\r", "", " ", "、").Replace(s)
	return trimAll(strings.Split(s, "、"))
}

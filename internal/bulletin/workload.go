package bulletin

// The workload of each holder (承办统计): for the leader and the
// administrators only, never on a public page or in the printed bulletin,
// which names no staff.

import (
	"context"
	"fmt"
	"sort"
	"time"

	"ecoreport/internal/db"
)

// Workload is what one person held in a month and holds now.
type Workload struct {
	UserID  int64
	Name    string
	Active  bool
	Held    int // unfinished cases held now
	Overdue int // of those, past their due date now
	Triage  int // complaints waiting for a decision, held now
	Closed  int // cases held that concluded in the month
	OnTime  int // of those, by their due date
}

const (
	workloadHeldSQL = `SELECT assignee_id AS id, COUNT(*) AS held,
 SUM(CASE WHEN due_at < ? AND status IN ` + caseOpen + ` THEN 1 ELSE 0 END) AS overdue
 FROM cases WHERE assignee_id IS NOT NULL AND status NOT IN ('dismissed', 'closed', 'merged') GROUP BY assignee_id`
	workloadTriageSQL = `SELECT assignee_id AS id, COUNT(*) AS n FROM complaints WHERE assignee_id IS NOT NULL AND status = 'received' GROUP BY assignee_id`
	workloadClosedSQL = `SELECT assignee_id AS id, COUNT(*) AS closed, SUM(CASE WHEN concluded_at <= due_at THEN 1 ELSE 0 END) AS on_time
 FROM cases WHERE assignee_id IS NOT NULL AND concluded_at >= ? AND concluded_at < ? GROUP BY assignee_id`
	workloadNamesSQL = `SELECT id, display_name, username, active FROM users WHERE id IN (SELECT assignee_id FROM cases WHERE assignee_id IS NOT NULL)
 OR id IN (SELECT assignee_id FROM complaints WHERE assignee_id IS NOT NULL) OR role IN ('inspector')`
)

// WorkloadOf counts, per person who holds or held work (and every
// inspector), the cases concluded in the month starting at month and what
// they hold as of now; active people first, those holding most first.
func WorkloadOf(ctx context.Context, d *db.DB, month, now time.Time) ([]Workload, error) {
	loc := month.Location()
	start := MonthOf(month, loc)
	s, e := db.UTC(start), db.UTC(start.AddDate(0, 1, 0))
	by := map[int64]*Workload{}
	var people []struct {
		ID       int64  `db:"id"`
		Display  string `db:"display_name"`
		Username string `db:"username"`
		Active   bool   `db:"active"`
	}
	if err := d.SelectContext(ctx, &people, workloadNamesSQL); err != nil {
		return nil, fmt.Errorf("bulletin: workload: %w", err)
	}
	for _, p := range people {
		name := p.Display
		if name == "" {
			name = p.Username
		}
		by[p.ID] = &Workload{UserID: p.ID, Name: name, Active: p.Active}
	}
	get := func(id int64) *Workload {
		if w, ok := by[id]; ok {
			return w
		}
		w := &Workload{UserID: id}
		by[id] = w
		return w
	}
	var held []struct {
		ID      int64 `db:"id"`
		Held    int   `db:"held"`
		Overdue int   `db:"overdue"`
	}
	if err := d.SelectContext(ctx, &held, workloadHeldSQL, db.UTC(now)); err != nil {
		return nil, fmt.Errorf("bulletin: workload held: %w", err)
	}
	for _, r := range held {
		w := get(r.ID)
		w.Held, w.Overdue = r.Held, r.Overdue
	}
	var triage []struct {
		ID int64 `db:"id"`
		N  int   `db:"n"`
	}
	if err := d.SelectContext(ctx, &triage, workloadTriageSQL); err != nil {
		return nil, fmt.Errorf("bulletin: workload triage: %w", err)
	}
	for _, r := range triage {
		get(r.ID).Triage = r.N
	}
	var closed []struct {
		ID     int64 `db:"id"`
		Closed int   `db:"closed"`
		OnTime int   `db:"on_time"`
	}
	if err := d.SelectContext(ctx, &closed, workloadClosedSQL, s, e); err != nil {
		return nil, fmt.Errorf("bulletin: workload closed: %w", err)
	}
	for _, r := range closed {
		w := get(r.ID)
		w.Closed, w.OnTime = r.Closed, r.OnTime
	}
	out := make([]Workload, 0, len(by))
	for _, w := range by {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Active != out[j].Active {
			return out[i].Active
		}
		if out[i].Held != out[j].Held {
			return out[i].Held > out[j].Held
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

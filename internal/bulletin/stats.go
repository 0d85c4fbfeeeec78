package bulletin

import (
	"context"
	"fmt"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// MinCell is the smallest number of complaints a public figure may rest on;
// a smaller cell is shown as "<3" (小于3件不公布), and so is any share
// computed from fewer.
const MinCell = 3

// PublicCell is one published figure: Text is what people see.
type PublicCell struct {
	N          int  // the count behind it (never published when Suppressed)
	Suppressed bool // fewer than MinCell complaints, or hidden so it cannot be worked out
	Text       string
}

// PublicMonth is one month of the public statistics.
type PublicMonth struct {
	Label    string // 2026年11月
	Received PublicCell
	OnTime   PublicCell // share of the cases concluded in the month that concluded by their due date
	AvgDays  PublicCell // their average days from opening to conclusion
}

// PublicRow is a count by type or by town.
type PublicRow struct {
	Label string
	Count PublicCell
}

// Public is the portal's statistics page (/stats): aggregates only, cells
// under MinCell suppressed. Nothing in it names a person, a place finer than
// a town, or a case.
type Public struct {
	From, To time.Time // local months covered [From, To)
	Months   []PublicMonth
	ByType   []PublicRow
	ByTown   []PublicRow
	AsOf     time.Time
}

// PublicStats counts the 12 full months before now's month, in loc.
func PublicStats(ctx context.Context, d *db.DB, now time.Time, loc *time.Location) (*Public, error) {
	to := MonthOf(now, loc)
	bounds := make([]time.Time, 13)
	for i := range bounds {
		bounds[i] = to.AddDate(0, i-12, 0)
	}
	p := &Public{From: bounds[0], To: to, AsOf: now}
	if err := p.months(ctx, d, bounds); err != nil {
		return nil, fmt.Errorf("bulletin: public stats: %w", err)
	}
	if err := p.typesAndTowns(ctx, d); err != nil {
		return nil, fmt.Errorf("bulletin: public stats: %w", err)
	}
	return p, nil
}

// months counts, for each month, the complaints received (one index range
// count) and the cases (问题) concluded in it: how many by their due date
// (extension included) and their average days from opening to conclusion.
func (p *Public) months(ctx context.Context, d *db.DB, bounds []time.Time) error {
	concludedSQL := `SELECT COUNT(*), COALESCE(SUM(CASE WHEN concluded_at <= due_at THEN 1 ELSE 0 END), 0),
 COALESCE(SUM(` + d.SecondsBetween("opened_at", "concluded_at") + `), 0)
FROM cases WHERE concluded_at >= ? AND concluded_at < ? AND status <> 'merged'`
	counts := make([]int, len(bounds)-1)
	type agg struct{ done, onTime, secs int64 }
	got := make([]agg, len(bounds)-1)
	for i := range counts {
		s, e := db.UTC(bounds[i]), db.UTC(bounds[i+1])
		if err := d.GetContext(ctx, &counts[i], `SELECT COUNT(*) FROM complaints WHERE received_at >= ? AND received_at < ?`, s, e); err != nil {
			return err
		}
		if err := d.QueryRowContext(ctx, concludedSQL, s, e).Scan(&got[i].done, &got[i].onTime, &got[i].secs); err != nil {
			return err
		}
	}
	cells := suppress(counts)
	for i, a := range got {
		pm := PublicMonth{Label: bounds[i].Format("2006年1月"), Received: cells[i]}
		if a.done < MinCell {
			// A rate or an average of fewer than MinCell cases is not
			// published: "—" (not "<3", which reads as a count).
			pm.OnTime = PublicCell{N: int(a.done), Suppressed: true, Text: "—"}
			pm.AvgDays = pm.OnTime
		} else {
			pm.OnTime = PublicCell{N: int(a.onTime), Text: Ratio{int(a.onTime), int(a.done)}.String()}
			pm.AvgDays = PublicCell{N: int(a.done), Text: fmt.Sprintf("%.1f", float64(a.secs)/float64(a.done)/86400)}
		}
		p.Months = append(p.Months, pm)
	}
	return nil
}

func (p *Public) typesAndTowns(ctx context.Context, d *db.DB) error {
	s, e := db.UTC(p.From), db.UTC(p.To)
	var byCats []struct {
		Cats string `db:"categories"`
		N    int    `db:"n"`
	}
	if err := d.SelectContext(ctx, &byCats, `SELECT x.categories AS categories, COUNT(*) AS n FROM complaints x
WHERE x.received_at >= ? AND x.received_at < ? GROUP BY x.categories`, s, e); err != nil {
		return err
	}
	types := map[ledger.Category]int{}
	for _, r := range byCats {
		var cs ledger.Categories
		_ = cs.Scan(r.Cats)
		for _, c := range cs {
			types[c] += r.N
		}
	}
	counts := make([]int, len(ledger.AllCategories))
	for i, c := range ledger.AllCategories {
		counts[i] = types[c]
	}
	// A complaint counts under each of its types, so no total can be taken
	// from this table; suppression still hides small cells.
	for i, cell := range suppressPrimary(counts) {
		p.ByType = append(p.ByType, PublicRow{Label: ledger.AllCategories[i].Label(), Count: cell})
	}

	// One scan of the month range by town; the towns themselves are listed
	// from units (a town with no complaint still shows, as "<3").
	var byTown []struct {
		Town int64 `db:"town"`
		N    int   `db:"n"`
	}
	if err := d.SelectContext(ctx, &byTown, `SELECT COALESCE(x.town_id, 0) AS town, COUNT(*) AS n FROM complaints x
WHERE x.received_at >= ? AND x.received_at < ? GROUP BY COALESCE(x.town_id, 0)`, s, e); err != nil {
		return err
	}
	var towns []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
		N    int
	}
	if err := d.SelectContext(ctx, &towns, `SELECT id, name FROM units WHERE kind = 'town' AND active = ? ORDER BY sort_order, id`, true); err != nil {
		return err
	}
	n := map[int64]int{}
	for _, r := range byTown {
		n[r.Town] = r.N
	}
	unknown := n[0]
	for i := range towns {
		towns[i].N = n[towns[i].ID]
	}
	counts = counts[:0]
	labels := []string{}
	for _, t := range towns {
		counts = append(counts, t.N)
		labels = append(labels, t.Name)
	}
	counts = append(counts, unknown)
	labels = append(labels, "未明确乡镇")
	for i, cell := range suppress(counts) {
		p.ByTown = append(p.ByTown, PublicRow{Label: labels[i], Count: cell})
	}
	return nil
}

func suppressPrimary(counts []int) []PublicCell {
	out := make([]PublicCell, len(counts))
	for i, n := range counts {
		out[i] = PublicCell{N: n, Text: fmt.Sprint(n)}
		if n < MinCell {
			out[i] = PublicCell{N: n, Suppressed: true, Text: "<3"}
		}
	}
	return out
}

// suppress hides every cell under MinCell ("<3"), and, when exactly one cell
// of a table whose total can be had elsewhere is hidden, the next smallest
// too ("—"), so that no hidden cell can be worked out by subtraction.
func suppress(counts []int) []PublicCell {
	out := suppressPrimary(counts)
	hidden, small := 0, -1
	for i, c := range out {
		if c.Suppressed {
			hidden++
		} else if small < 0 || c.N < out[small].N {
			small = i
		}
	}
	if hidden == 1 && small >= 0 {
		out[small] = PublicCell{N: out[small].N, Suppressed: true, Text: "—"}
	}
	return out
}

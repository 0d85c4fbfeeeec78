// Package bulletin builds the monthly bulletin (每月通报) of the task force
// and the public statistics of the portal: per town and per responsible unit,
// what came in, what was verified, rectified on time or is overdue, repeat
// complaints, satisfaction, admonition interview (约谈) candidates and the
// interviews held. Every figure is counted by SQL aggregates (GROUP BY); Go
// only folds the few grouped rows into tables. It knows nothing of HTTP.
package bulletin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Rules are the configurable parts of the bulletin: who is ranked and who is
// a candidate for an admonition interview (约谈).
type Rules struct {
	// MinRanked: a unit with fewer notices due in the month than this is
	// listed beside the ranking but not ranked, so one quick case cannot top it.
	MinRanked int
	// OverdueCases: a responsible unit with at least this many overdue cases
	// now is a candidate (0 turns the rule off).
	OverdueCases int
	// RepeatOverdue: a responsible unit with a repeat case (2 or more
	// complaints) unresolved past its deadline is a candidate.
	RepeatOverdue bool
	// OverdueList is how many of the longest-overdue cases the bulletin names.
	OverdueList int
}

// DefaultRules: rank from 3 notices due; candidates from 3 overdue cases or one
// overdue repeat case; name the 30 longest-overdue cases.
var DefaultRules = Rules{MinRanked: 3, OverdueCases: 3, RepeatOverdue: true, OverdueList: 30}

// Ratio is a share with its counts kept beside it (属实率, 按期率, 满意率).
type Ratio struct{ N, D int }

// Valid reports whether the share has a base.
func (r Ratio) Valid() bool { return r.D > 0 }

// Value is N/D, 0 without a base.
func (r Ratio) Value() float64 {
	if r.D == 0 {
		return 0
	}
	return float64(r.N) / float64(r.D)
}

// String is the share as a percentage with one decimal, "—" without a base.
func (r Ratio) String() string {
	if r.D == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*r.Value())
}

// Row is one town or responsible unit of the bulletin. For towns, complaint
// figures follow complaints.town_id and case figures cases.town_id; for
// responsible units everything follows the case's unit_id (责任单位).
type Row struct {
	UnitID int64 // 0: town unknown (towns) or not yet assigned (units)
	Name   string
	Kind   string // town | department | ""

	Received  int                     // complaints received in the month
	ByChannel map[ledger.Channel]int  // … by channel
	ByType    map[ledger.Category]int // … by pollution type (a complaint counts under each of its types)
	Accepted  int                     // … of them accepted into the ledger (not received, not refused)
	Refused   int                     // … of them refused (不予受理)

	Verified      int // cases verified in the month (属实, 部分属实, 不属实)
	Substantiated int // … of them substantiated or partly

	NoticesIssued int // rectification notices issued in the month
	NoticesDue    int // notices in force whose deadline fell in the month (and has passed)
	OnTime        int // … whose case was closed on or before the deadline

	Overdue        int // cases open now past their due date
	MaxDaysOverdue int // days the oldest of them is overdue

	RepeatCases      int // cases with 2+ complaints, one of them received in the month
	RepeatComplaints int // all complaints of those cases
	NotSolved        int // residents' "not solved / came back" requests in the month

	Satisfied, Basically, Unsatisfied int // ratings given in the month

	Interviews int // admonition interviews held in the month (responsible units only)
}

// SubstantiatedRate is 属实率: substantiated or partly over verified.
func (r *Row) SubstantiatedRate() Ratio { return Ratio{r.Substantiated, r.Verified} }

// OnTimeRate is 按期整改率: notices rectified on time over notices due.
func (r *Row) OnTimeRate() Ratio { return Ratio{r.OnTime, r.NoticesDue} }

// Ratings is how many ratings were given.
func (r *Row) Ratings() int { return r.Satisfied + r.Basically + r.Unsatisfied }

// SatisfactionRate is 满意率: 满意 and 基本满意 over all ratings.
func (r *Row) SatisfactionRate() Ratio { return Ratio{r.Satisfied + r.Basically, r.Ratings()} }

func (r *Row) empty() bool {
	return r.Received == 0 && r.Verified == 0 && r.NoticesIssued == 0 && r.NoticesDue == 0 && r.Overdue == 0 &&
		r.RepeatCases == 0 && r.NotSolved == 0 && r.Ratings() == 0 && r.Interviews == 0
}

func (r *Row) add(o *Row) {
	r.Received += o.Received
	for k, v := range o.ByChannel {
		r.ByChannel[k] += v
	}
	for k, v := range o.ByType {
		r.ByType[k] += v
	}
	r.Accepted += o.Accepted
	r.Refused += o.Refused
	r.Verified += o.Verified
	r.Substantiated += o.Substantiated
	r.NoticesIssued += o.NoticesIssued
	r.NoticesDue += o.NoticesDue
	r.OnTime += o.OnTime
	r.Overdue += o.Overdue
	r.MaxDaysOverdue = max(r.MaxDaysOverdue, o.MaxDaysOverdue)
	r.RepeatCases += o.RepeatCases
	r.RepeatComplaints += o.RepeatComplaints
	r.NotSolved += o.NotSolved
	r.Satisfied += o.Satisfied
	r.Basically += o.Basically
	r.Unsatisfied += o.Unsatisfied
	r.Interviews += o.Interviews
}

func newRow(id int64, name, kind string) *Row {
	return &Row{UnitID: id, Name: name, Kind: kind, ByChannel: map[ledger.Channel]int{}, ByType: map[ledger.Category]int{}}
}

// Table is the rows of one attribution (towns, or responsible units) and
// their total.
type Table struct {
	Rows  []*Row
	Total *Row
}

// Ranked is one line of a fair ranking: the on-time rate with its counts;
// Rank 0 means listed but not ranked (fewer notices due than Rules.MinRanked).
type Ranked struct {
	Rank int
	Row  *Row
}

// OverdueCase is one case open past its due date (逾期问题).
type OverdueCase struct {
	ID          int64
	Ref         string
	Title       string
	Town        string
	Unit        string
	Status      ledger.CaseStatus
	DueAt       time.Time
	DaysOverdue int
	Complaints  int
}

// Candidate is a unit the rules propose for an admonition interview (约谈对象).
type Candidate struct {
	UnitID  int64
	Name    string
	Reasons []string
}

// Interview is an admonition interview held in the month and whether its
// 7-day report came (约谈及整改报告情况).
type Interview struct {
	ID               int64
	UnitID           int64
	Unit             string
	HeldOn           time.Time
	Leader           string
	ReportDueOn      time.Time
	ReportReceivedOn *time.Time
	State            string // 按期报送 | 逾期报送 | 逾期未报 | 未到期
}

// MonthCount is one month of the trend (complaints received).
type MonthCount struct {
	Month time.Time
	Label string // "11月"
	N     int
}

// Bulletin is one month's bulletin (通报).
type Bulletin struct {
	Month    time.Time // first day, local
	End      time.Time // first day of the next month, local
	Now      time.Time // as of (overdue, reports due)
	Year     int
	Number   int // 第N期: the month's number within the year
	Title    string
	Rules    Rules
	Towns    Table // by complaints.town_id / cases.town_id
	Units    Table // by cases.unit_id (responsible unit)
	Trend    []MonthCount
	TownRank []Ranked
	UnitRank []Ranked
	Overdue  []OverdueCase
	// Candidates for an admonition interview (约谈对象).
	Candidates []Candidate
	Interviews []Interview
	// ByType is the month's complaints by pollution type, county-wide.
	ByType map[ledger.Category]int
	// Audit is the audit log's signed checkpoint at the month's end, when
	// the caller attached one (AttachCheckpoint).
	Audit *AuditCheckpoint
}

// DefaultTitle is the title of a bulletin unless the caller gives the
// county's own (config.County.BulletinTitle).
const DefaultTitle = "石泉县生态环境问题整改情况通报"

// IssueLabel is "2026年第11期".
func (b *Bulletin) IssueLabel() string { return fmt.Sprintf("%d年第%d期", b.Year, b.Number) }

// MonthLabel is "2026年11月".
func (b *Bulletin) MonthLabel() string { return b.Month.Format("2006年1月") }

// Location is Asia/Shanghai (a fixed +8 zone when the tz database is missing).
func Location() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// MonthOf returns the first day (00:00, loc) of t's month in loc.
func MonthOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
}

// LastMonth is the first day of the month before now's, in loc: the default
// month of a bulletin.
func LastMonth(now time.Time, loc *time.Location) time.Time {
	return MonthOf(now, loc).AddDate(0, -1, 0)
}

// ParseMonth reads "2026-11" as the first day of that month in loc.
func ParseMonth(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), loc)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, fmt.Errorf("月份格式应为 YYYY-MM，例如 2026-11")
	}
	return t, nil
}

// caseOpen lists the statuses in which a case still waits for work and its
// due date runs (as ledger.Case.Overdue: not finished, not submitted).
const caseOpen = `('open', 'verifying', 'assigned', 'reopened')`

// Compute builds the bulletin of the month that starts at month (its first
// day in Asia/Shanghai; any time in the month is accepted) as of now. Errors
// are database errors, wrapped.
func Compute(ctx context.Context, d *db.DB, month time.Time, rules Rules, now time.Time) (*Bulletin, error) {
	loc := month.Location()
	if loc == time.UTC {
		loc = Location()
	}
	start := MonthOf(month, loc)
	end := start.AddDate(0, 1, 0)
	b := &Bulletin{Month: start, End: end, Now: now, Year: start.Year(), Number: int(start.Month()), Title: DefaultTitle, Rules: rules,
		ByType: map[ledger.Category]int{}}
	c := &computer{d: d, b: b, s: db.UTC(start), e: db.UTC(end), now: db.UTC(now), loc: loc}
	if err := c.run(ctx); err != nil {
		return nil, fmt.Errorf("bulletin: %s: %w", start.Format("2006-01"), err)
	}
	return b, nil
}

// onStep, when set (by the benchmark), hears how long each query took.
var onStep func(name string, d time.Duration)

// computer holds one Compute's state: the units and the rows being filled.
type computer struct {
	d        *db.DB
	b        *Bulletin
	s, e     time.Time // month, UTC
	now      time.Time
	loc      *time.Location
	units    []ledger.Unit
	unitName map[int64]string
	towns    map[int64]*Row
	resp     map[int64]*Row
	mu       sync.Mutex // guards the maps and b while the queries run
	// repeatOverdue counts, per responsible unit, the overdue repeat cases.
	repeatOverdue map[int64]int
}

func (c *computer) town(id int64) *Row {
	if r, ok := c.towns[id]; ok {
		return r
	}
	r := newRow(id, c.name(id, "未明确乡镇"), "")
	c.towns[id] = r
	return r
}

func (c *computer) unit(id int64) *Row {
	if r, ok := c.resp[id]; ok {
		return r
	}
	r := newRow(id, c.name(id, "未交办"), "")
	c.resp[id] = r
	return r
}

func (c *computer) name(id int64, zero string) string {
	if id == 0 {
		return zero
	}
	if n, ok := c.unitName[id]; ok {
		return n
	}
	return fmt.Sprintf("单位%d", id)
}

func (c *computer) run(ctx context.Context) error {
	if err := c.d.SelectContext(ctx, &c.units, `SELECT id, kind, name, short_name, sort_order, active FROM units ORDER BY sort_order, id`); err != nil {
		return fmt.Errorf("units: %w", err)
	}
	c.unitName = map[int64]string{}
	c.towns, c.resp, c.repeatOverdue = map[int64]*Row{}, map[int64]*Row{}, map[int64]int{}
	for _, u := range c.units {
		c.unitName[u.ID] = u.Name
		if u.Kind == "town" && u.Active {
			r := c.town(u.ID)
			r.Kind = u.Kind
		}
		if u.Kind == "department" && u.Active {
			r := c.unit(u.ID)
			r.Kind = u.Kind
		}
	}
	// The queries are independent: they run at once, each on its own
	// connection, and fold their grouped rows under c.mu.
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"complaints", c.complaints}, {"verified", c.verified}, {"notices", c.notices}, {"overdue", c.overdue},
		{"repeat", c.repeats}, {"followups", c.followups}, {"ratings", c.ratings}, {"interviews", c.interviews},
		{"trend", c.trend}, {"overdue list", c.overdueList},
	}
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, st := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			defer func() {
				if onStep != nil {
					onStep(st.name, time.Since(t0))
				}
			}()
			if err := st.fn(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: %w", st.name, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := c.candidates(ctx); err != nil {
		return fmt.Errorf("candidates: %w", err)
	}
	// The bulletin's own month of the trend is the month's total.
	n := 0
	for _, r := range c.towns {
		n += r.Received
	}
	c.b.Trend[len(c.b.Trend)-1].N = n
	c.b.Towns = c.table(c.towns, "合计")
	c.b.Units = c.table(c.resp, "合计")
	c.b.TownRank = rank(c.b.Towns.Rows, c.b.Rules.MinRanked)
	c.b.UnitRank = rank(c.b.Units.Rows, c.b.Rules.MinRanked)
	return nil
}

// table orders rows as the units table does (sort_order), the unknown row
// last; rows of inactive or unlisted units appear only when they have figures.
func (c *computer) table(m map[int64]*Row, total string) Table {
	order := map[int64]int{}
	for i, u := range c.units {
		order[u.ID] = i + 1
	}
	t := Table{Total: newRow(-1, total, "")}
	for id, r := range m {
		if r.Kind == "" && r.empty() {
			continue
		}
		_ = id
		t.Rows = append(t.Rows, r)
		t.Total.add(r)
	}
	sort.Slice(t.Rows, func(i, j int) bool {
		oi, oj := order[t.Rows[i].UnitID], order[t.Rows[j].UnitID]
		if oi == 0 {
			oi = math.MaxInt32
		}
		if oj == 0 {
			oj = math.MaxInt32
		}
		if oi != oj {
			return oi < oj
		}
		return t.Rows[i].UnitID < t.Rows[j].UnitID
	})
	return t
}

// rank orders the rows that had notices due by on-time rate (then by the
// number due, so that more work weighs more on a tie); rows below min are
// listed after, unranked.
func rank(rows []*Row, min int) []Ranked {
	var ranked, listed []*Row
	for _, r := range rows {
		if r.UnitID == 0 || r.NoticesDue == 0 {
			continue
		}
		if r.NoticesDue >= min {
			ranked = append(ranked, r)
		} else {
			listed = append(listed, r)
		}
	}
	less := func(a, b *Row) bool {
		// a.OnTime/a.Due > b.OnTime/b.Due without floats
		x, y := a.OnTime*b.NoticesDue, b.OnTime*a.NoticesDue
		if x != y {
			return x > y
		}
		if a.NoticesDue != b.NoticesDue {
			return a.NoticesDue > b.NoticesDue
		}
		return a.UnitID < b.UnitID
	}
	sort.SliceStable(ranked, func(i, j int) bool { return less(ranked[i], ranked[j]) })
	sort.SliceStable(listed, func(i, j int) bool { return less(listed[i], listed[j]) })
	var out []Ranked
	for i, r := range ranked {
		n := i + 1
		if i > 0 && r.OnTime*ranked[i-1].NoticesDue == ranked[i-1].OnTime*r.NoticesDue {
			n = out[i-1].Rank // equal rates share a place
		}
		out = append(out, Ranked{Rank: n, Row: r})
	}
	for _, r := range listed {
		out = append(out, Ranked{Row: r})
	}
	return out
}

// daysOverdue counts started days past due, as ledger.Case.DaysOverdue.
func daysOverdue(now, due time.Time) int {
	if !now.After(due) {
		return 0
	}
	return int(math.Ceil(now.Sub(due).Hours() / 24))
}

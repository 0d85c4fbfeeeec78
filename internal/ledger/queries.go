package ledger

// Read-only list queries of the ledger (问题台账 lists and exports).

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// CaseFilter is the case list's filter. The form tags let a web layer bind
// it from a query string; a value that does not parse filters nothing.
type CaseFilter struct {
	Status   string `form:"status"`
	Town     int64  `form:"town"`
	Unit     int64  `form:"unit"`
	Category string `form:"category"`
	Channel  string `form:"channel"`
	Overdue  bool   `form:"overdue"`
	// NoticeOverdue keeps the cases whose notice in force is past its
	// deadline while the case waits for the unit (Notice.Overdue).
	NoticeOverdue bool `form:"notice_overdue"`
	// MinComplaints keeps cases with at least this many complaints
	// (群众反复投诉: 2 = at least one repeat). 0 or 1 filters nothing.
	MinComplaints int `form:"repeat"`
	// From and To bound the date the case was opened (立案日期), inclusive
	// calendar days in the service's location, as 2006-01-02.
	From string `form:"from"`
	To   string `form:"to"`
}

// Query is the filter as a query string (for export links).
func (f CaseFilter) Query() string {
	var p []string
	add := func(k, v string) {
		if v != "" && v != "0" && v != "false" {
			p = append(p, k+"="+v)
		}
	}
	add("status", f.Status)
	add("town", strconv.FormatInt(f.Town, 10))
	add("unit", strconv.FormatInt(f.Unit, 10))
	add("category", f.Category)
	add("channel", f.Channel)
	add("overdue", strconv.FormatBool(f.Overdue))
	add("notice_overdue", strconv.FormatBool(f.NoticeOverdue))
	add("repeat", strconv.Itoa(f.MinComplaints))
	if _, ok := parseDay(f.From, time.UTC); ok {
		add("from", f.From)
	}
	if _, ok := parseDay(f.To, time.UTC); ok {
		add("to", f.To)
	}
	return strings.Join(p, "&")
}

func parseDay(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	return t, err == nil
}

// CaseListLimit bounds one list page or export.
const CaseListLimit = 5000

// CaseList lists the cases that match f (merged ones only when asked for by
// status), nearest deadline first, at most CaseListLimit.
func (s *Service) CaseList(ctx context.Context, f CaseFilter) ([]Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	} else {
		q += ` AND status <> ?`
		args = append(args, Merged)
	}
	if f.Town != 0 {
		q += ` AND town_id = ?`
		args = append(args, f.Town)
	}
	if f.Unit != 0 {
		q += ` AND unit_id = ?`
		args = append(args, f.Unit)
	}
	if Category(f.Category).Valid() {
		// categories is "air,noise": match a whole item.
		q += ` AND (categories = ? OR categories LIKE ? OR categories LIKE ? OR categories LIKE ?)`
		args = append(args, f.Category, f.Category+",%", "%,"+f.Category, "%,"+f.Category+",%")
	}
	if Channel(f.Channel).Valid() {
		q += ` AND EXISTS (SELECT 1 FROM complaints m WHERE m.case_id = cases.id AND m.channel = ?)`
		args = append(args, f.Channel)
	}
	if f.Overdue {
		q += ` AND due_at < ? AND status NOT IN (?, ?, ?, ?)`
		args = append(args, s.now(), Dismissed, Closed, Merged, Submitted)
	}
	if f.NoticeOverdue {
		q += ` AND status IN (?, ?) AND EXISTS (SELECT 1 FROM notices n WHERE n.case_id = cases.id AND n.status <> ? AND n.deadline < ?)`
		args = append(args, Assigned, Reopened, NoticeSuperseded, s.now())
	}
	if f.MinComplaints > 1 {
		q += ` AND (SELECT COUNT(*) FROM complaints m WHERE m.case_id = cases.id) >= ?`
		args = append(args, f.MinComplaints)
	}
	if t, ok := parseDay(f.From, s.Location); ok {
		q += ` AND opened_at >= ?`
		args = append(args, db.UTC(t))
	}
	if t, ok := parseDay(f.To, s.Location); ok {
		q += ` AND opened_at <= ?`
		args = append(args, DueDate(t, 0, s.Location))
	}
	q += ` ORDER BY due_at, id LIMIT ?`
	args = append(args, CaseListLimit)
	var cs []Case
	if err := s.DB.SelectContext(ctx, &cs, q, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: case list: %w", err))
	}
	return cs, nil
}

const overdueNoticesSQL = `SELECT n.id, n.case_id, n.year, n.number, n.unit_id, n.problem, n.requirements, n.deadline, n.copied_to,
 n.issued_by, n.issued_at, n.status, n.prefix FROM notices n JOIN cases k ON k.id = n.case_id
 WHERE n.status <> ? AND n.deadline < ? AND k.status IN (?, ?)`

// OverdueNotices maps each case whose notice in force is past its deadline
// (Notice.Overdue) to that notice, for lists.
func (s *Service) OverdueNotices(ctx context.Context) (map[int64]Notice, error) {
	return s.overdueNotices(ctx, overdueNoticesSQL+` ORDER BY n.deadline, n.id`, NoticeSuperseded, s.now(), Assigned, Reopened)
}

// OverdueNoticesOf is OverdueNotices for the given cases only (a page of 我
// 的问题, the cases a page's complaints may repeat).
func (s *Service) OverdueNoticesOf(ctx context.Context, caseIDs []int64) (map[int64]Notice, error) {
	if len(caseIDs) == 0 {
		return map[int64]Notice{}, nil
	}
	q, args, err := sqlx.In(overdueNoticesSQL+` AND n.case_id IN (?) ORDER BY n.deadline, n.id`, NoticeSuperseded, s.now(), Assigned, Reopened, caseIDs)
	if err != nil {
		return nil, fmt.Errorf("ledger: overdue notices: %w", err)
	}
	return s.overdueNotices(ctx, s.DB.Rebind(q), args...)
}

func (s *Service) overdueNotices(ctx context.Context, q string, args ...any) (map[int64]Notice, error) {
	var ns []Notice
	if err := s.DB.SelectContext(ctx, &ns, q, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: overdue notices: %w", err))
	}
	m := make(map[int64]Notice, len(ns))
	for _, n := range ns {
		m[n.CaseID] = n
	}
	return m, nil
}

// ComplaintCounts maps each case id to how many complaints it holds (the
// first plus its repeats), for lists and exports.
func (s *Service) ComplaintCounts(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		CaseID int64 `db:"case_id"`
		N      int   `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT case_id, COUNT(*) AS n FROM complaints WHERE case_id IS NOT NULL GROUP BY case_id`); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: complaint counts: %w", err))
	}
	m := make(map[int64]int, len(rows))
	for _, r := range rows {
		m[r.CaseID] = r.N
	}
	return m, nil
}

// DuplicateWindow is how far back duplicate suggestions look.
const DuplicateWindow = 90 * 24 * time.Hour

const dupCandidatesSQL = `SELECT ` + caseColumns + ` FROM cases WHERE town_id = ? AND opened_at >= ?
 AND status IN (?, ?, ?, ?, ?) ORDER BY opened_at DESC LIMIT 200`

const closedCandidatesSQL = `SELECT ` + caseColumns + ` FROM cases WHERE town_id = ? AND closed_at >= ?
 AND status = ? ORDER BY closed_at DESC LIMIT 200`

// DuplicateCandidates suggests cases a complaint may repeat (疑似重复): open
// cases of the last 90 days in the complaint's town that share a pollution
// type and either name the same reported party or read alike (Similarity
// at least 0.3). None for a complaint without a town.
func (s *Service) DuplicateCandidates(ctx context.Context, c *Complaint) ([]Case, error) {
	return s.DuplicateFinder().Candidates(ctx, c)
}

// DuplicateFinder suggests duplicates for many complaints (a page of the
// inbox), reading each town's open cases once and splitting each case's
// text into bigrams once.
type DuplicateFinder struct {
	s     *Service
	towns map[int64][]dupCand
}

// dupCand is a case with the bigrams of its text, split once.
type dupCand struct {
	c       Case
	bigrams map[string]bool
}

// dupCands splits each case's text (title, reported party, problem) into
// bigrams.
func dupCands(cs []Case) []dupCand {
	out := make([]dupCand, len(cs))
	for i, k := range cs {
		out[i] = dupCand{c: k, bigrams: bigrams(k.Title + " " + k.Subject + " " + k.Description)}
	}
	return out
}

// DuplicateFinder returns a finder for one page's worth of complaints.
func (s *Service) DuplicateFinder() *DuplicateFinder {
	return &DuplicateFinder{s: s, towns: map[int64][]dupCand{}}
}

// Candidates is DuplicateCandidates for c.
func (f *DuplicateFinder) Candidates(ctx context.Context, c *Complaint) ([]Case, error) {
	if !c.TownID.Valid {
		return nil, nil
	}
	cands, ok := f.towns[c.TownID.Int64]
	if !ok {
		var cs []Case
		if err := f.s.DB.SelectContext(ctx, &cs, dupCandidatesSQL, c.TownID.Int64, f.s.now().Add(-DuplicateWindow),
			Open, Verifying, Assigned, Submitted, Reopened); err != nil {
			return nil, db.Classify(fmt.Errorf("ledger: duplicates of %d: %w", c.ID, err))
		}
		cands = dupCands(cs)
		f.towns[c.TownID.Int64] = cands
	}
	return lookalikes(c, cands), nil
}

// CameBackWindow is how far back ClosedLookalikes looks (closed within).
const CameBackWindow = 365 * 24 * time.Hour

// ClosedLookalikes suggests closed cases (已销号) the complaint may say came
// back (问题反弹): closed in the last year, in the complaint's town, alike
// as DuplicateCandidates reads it. They do not take the complaint as they
// are; the inspector may choose to reopen one (AcceptReopening).
func (s *Service) ClosedLookalikes(ctx context.Context, c *Complaint) ([]Case, error) {
	if !c.TownID.Valid {
		return nil, nil
	}
	var cands []Case
	if err := s.DB.SelectContext(ctx, &cands, closedCandidatesSQL, c.TownID.Int64, s.now().Add(-CameBackWindow), Closed); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: closed lookalikes of %d: %w", c.ID, err))
	}
	return lookalikes(c, dupCands(cands)), nil
}

// lookalikes keeps the cases that share a pollution type with c and either
// name the same reported party or read alike (Similarity at least 0.3).
func lookalikes(c *Complaint, cands []dupCand) []Case {
	var out []Case
	var mine map[string]bool
	for _, k := range cands {
		if !slices.ContainsFunc(k.c.Categories, c.Categories.Has) {
			continue
		}
		if c.Subject != "" && strings.TrimSpace(k.c.Subject) == strings.TrimSpace(c.Subject) {
			out = append(out, k.c)
			continue
		}
		if mine == nil {
			mine = bigrams(c.Subject + " " + c.Description)
		}
		if dice(k.bigrams, mine) >= 0.3 {
			out = append(out, k.c)
		}
	}
	return out
}

// Similarity is the Dice coefficient of the character bigrams of a and b,
// letters and digits only: good enough for short Chinese texts. 0 when
// either has no bigram.
func Similarity(a, b string) float64 { return dice(bigrams(a), bigrams(b)) }

// dice is the Dice coefficient of two sets of bigrams.
func dice(ga, gb map[string]bool) float64 {
	if len(ga) == 0 || len(gb) == 0 {
		return 0
	}
	common := 0
	for g := range ga {
		if gb[g] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(ga)+len(gb))
}

func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, unicode.ToLower(r))
		}
	}
	out := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

package bulletin

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// The month's complaints, grouped by everything the tables split them by.
// The complaint's town gives the town; its case's unit the responsible unit.
const complaintsSQL = `SELECT COALESCE(x.town_id, 0) AS town, COALESCE(c.unit_id, 0) AS unit, x.channel, x.categories, x.status, COUNT(*) AS n
FROM complaints x LEFT JOIN cases c ON c.id = x.case_id
WHERE x.received_at >= ? AND x.received_at < ?
GROUP BY COALESCE(x.town_id, 0), COALESCE(c.unit_id, 0), x.channel, x.categories, x.status`

func (c *computer) complaints(ctx context.Context) error {
	rows, err := c.d.QueryContext(ctx, complaintsSQL, c.s, c.e)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var town, unit int64
		var ch, cats, st string
		var n int
		if err := rows.Scan(&town, &unit, &ch, &cats, &st, &n); err != nil {
			return err
		}
		var cs ledger.Categories
		_ = cs.Scan(cats)
		c.mu.Lock()
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			r.Received += n
			r.ByChannel[ledger.Channel(ch)] += n
			for _, cat := range cs {
				r.ByType[cat] += n
			}
			switch ledger.ComplaintStatus(st) {
			case ledger.Received:
			case ledger.Refused:
				r.Refused += n
			default:
				r.Accepted += n
			}
		}
		for _, cat := range cs {
			c.b.ByType[cat] += n
		}
		c.mu.Unlock()
	}
	return rows.Err()
}

// Cases verified in the month; a case later merged into another is counted
// there, not here.
const verifiedSQL = `SELECT COALESCE(town_id, 0), COALESCE(unit_id, 0), verification, COUNT(*)
FROM cases WHERE verified_at >= ? AND verified_at < ? AND status <> 'merged'
GROUP BY COALESCE(town_id, 0), COALESCE(unit_id, 0), verification`

func (c *computer) verified(ctx context.Context) error {
	return c.grouped(ctx, verifiedSQL, []any{c.s, c.e}, func(town, unit int64, key string, n []int) {
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			switch ledger.Verification(key) {
			case ledger.Substantiated, ledger.Partly:
				r.Substantiated += n[0]
				r.Verified += n[0]
			case ledger.Unsubstantiated:
				r.Verified += n[0]
			}
		}
	})
}

// Notices issued in the month; and notices in force (not superseded by a
// reissue) whose deadline fell in the month and has passed, with how many of
// their cases were closed on or before it.
const (
	noticesIssuedSQL = `SELECT COALESCE(c.town_id, 0), n.unit_id, '', COUNT(*)
FROM notices n JOIN cases c ON c.id = n.case_id
WHERE n.issued_at >= ? AND n.issued_at < ?
GROUP BY COALESCE(c.town_id, 0), n.unit_id`
	noticesDueSQL = `SELECT COALESCE(c.town_id, 0), n.unit_id, '', COUNT(*),
 SUM(CASE WHEN c.closed_at IS NOT NULL AND c.closed_at <= n.deadline THEN 1 ELSE 0 END)
FROM notices n JOIN cases c ON c.id = n.case_id
WHERE n.deadline >= ? AND n.deadline < ? AND n.status <> 'superseded'
GROUP BY COALESCE(c.town_id, 0), n.unit_id`
)

func (c *computer) notices(ctx context.Context) error {
	if err := c.grouped(ctx, noticesIssuedSQL, []any{c.s, c.e}, func(town, unit int64, _ string, n []int) {
		c.town(town).NoticesIssued += n[0]
		c.unit(unit).NoticesIssued += n[0]
	}); err != nil {
		return err
	}
	dueEnd := c.e
	if c.now.Before(dueEnd) {
		dueEnd = c.now
	}
	return c.grouped(ctx, noticesDueSQL, []any{c.s, dueEnd}, func(town, unit int64, _ string, n []int) {
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			r.NoticesDue += n[0]
			r.OnTime += n[1]
		}
	})
}

// Cases open now past their due date, with the oldest due date of each
// group and how many of them are repeat cases (2+ complaints), for the
// interview rules.
const overdueSQL = `SELECT COALESCE(c.town_id, 0), COALESCE(c.unit_id, 0), COUNT(*), MIN(c.due_at),
 SUM(CASE WHEN (SELECT COUNT(*) FROM complaints x WHERE x.case_id = c.id) >= 2 THEN 1 ELSE 0 END)
FROM cases c WHERE c.status IN ` + caseOpen + ` AND c.due_at < ?
GROUP BY COALESCE(c.town_id, 0), COALESCE(c.unit_id, 0)`

func (c *computer) overdue(ctx context.Context) error {
	rows, err := c.d.QueryContext(ctx, overdueSQL, c.now)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var town, unit int64
		var n int
		var oldest db.Time // MIN(): text on SQLite
		var repeat sql.NullInt64
		if err := rows.Scan(&town, &unit, &n, &oldest, &repeat); err != nil {
			return err
		}
		c.mu.Lock()
		if unit != 0 {
			c.repeatOverdue[unit] += int(repeat.Int64)
		}
		days := daysOverdue(c.now, oldest.Time)
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			r.Overdue += n
			r.MaxDaysOverdue = max(r.MaxDaysOverdue, days)
		}
		c.mu.Unlock()
	}
	return rows.Err()
}

// Repeat complaints (群众反复投诉): cases with two or more complaints, one of
// them received in the month; with all their complaints.
const repeatSQL = `SELECT COALESCE(c.town_id, 0), COALESCE(c.unit_id, 0), '', COUNT(*), SUM(k.n)
FROM (SELECT case_id, COUNT(*) AS n FROM complaints
      WHERE case_id IN (SELECT case_id FROM complaints WHERE received_at >= ? AND received_at < ? AND case_id IS NOT NULL)
      GROUP BY case_id HAVING COUNT(*) >= 2) k
JOIN cases c ON c.id = k.case_id
GROUP BY COALESCE(c.town_id, 0), COALESCE(c.unit_id, 0)`

func (c *computer) repeats(ctx context.Context) error {
	return c.grouped(ctx, repeatSQL, []any{c.s, c.e}, func(town, unit int64, _ string, n []int) {
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			r.RepeatCases += n[0]
			r.RepeatComplaints += n[1]
		}
	})
}

// Residents' "not solved / came back" requests (问题未解决/反弹) made in the month.
const followupsSQL = `SELECT COALESCE(x.town_id, 0), COALESCE(c.unit_id, 0), '', COUNT(*)
FROM followup_requests f JOIN complaints x ON x.id = f.complaint_id LEFT JOIN cases c ON c.id = x.case_id
WHERE f.created_at >= ? AND f.created_at < ?
GROUP BY COALESCE(x.town_id, 0), COALESCE(c.unit_id, 0)`

func (c *computer) followups(ctx context.Context) error {
	return c.grouped(ctx, followupsSQL, []any{c.s, c.e}, func(town, unit int64, _ string, n []int) {
		c.town(town).NotSolved += n[0]
		c.unit(unit).NotSolved += n[0]
	})
}

// Ratings (满意/基本满意/不满意) given in the month.
const ratingsSQL = `SELECT COALESCE(x.town_id, 0), COALESCE(c.unit_id, 0), r.rating, COUNT(*)
FROM ratings r JOIN complaints x ON x.id = r.complaint_id LEFT JOIN cases c ON c.id = x.case_id
WHERE r.created_at >= ? AND r.created_at < ?
GROUP BY COALESCE(x.town_id, 0), COALESCE(c.unit_id, 0), r.rating`

// Rating values as the portal stores them.
const (
	RatingSatisfied   = "satisfied"
	RatingBasically   = "basically"
	RatingUnsatisfied = "unsatisfied"
)

func (c *computer) ratings(ctx context.Context) error {
	return c.grouped(ctx, ratingsSQL, []any{c.s, c.e}, func(town, unit int64, key string, n []int) {
		for _, r := range []*Row{c.town(town), c.unit(unit)} {
			switch key {
			case RatingSatisfied:
				r.Satisfied += n[0]
			case RatingBasically:
				r.Basically += n[0]
			case RatingUnsatisfied:
				r.Unsatisfied += n[0]
			}
		}
	})
}

// Admonition interviews held in the month (interviews is owned by
// internal/inspection; held_on and report_*_on are local days stored as
// their start in UTC).
const interviewsSQL = `SELECT id, unit_id, held_on, leader, report_due_on, report_received_on
FROM interviews WHERE held_on >= ? AND held_on < ? ORDER BY held_on, id`

func (c *computer) interviews(ctx context.Context) error {
	rows, err := c.d.QueryContext(ctx, interviewsSQL, c.s, c.e)
	if err != nil {
		return err
	}
	defer rows.Close()
	today := dayOf(c.now, c.loc)
	for rows.Next() {
		var iv Interview
		var got sql.NullTime
		if err := rows.Scan(&iv.ID, &iv.UnitID, &iv.HeldOn, &iv.Leader, &iv.ReportDueOn, &got); err != nil {
			return err
		}
		dueDay := dayOf(iv.ReportDueOn, c.loc)
		switch {
		case got.Valid:
			t := got.Time
			iv.ReportReceivedOn = &t
			if dayOf(t, c.loc) <= dueDay {
				iv.State = "按期报送"
			} else {
				iv.State = "逾期报送"
			}
		case today > dueDay:
			iv.State = "逾期未报"
		default:
			iv.State = "未到期"
		}
		c.mu.Lock()
		iv.Unit = c.name(iv.UnitID, "")
		c.unit(iv.UnitID).Interviews++
		c.b.Interviews = append(c.b.Interviews, iv)
		c.mu.Unlock()
	}
	return rows.Err()
}

// dayOf is a comparable local calendar day (20261105).
func dayOf(t time.Time, loc *time.Location) int {
	l := t.In(loc)
	return l.Year()*10000 + int(l.Month())*100 + l.Day()
}

// trend counts the complaints received in each of the 12 months ending with
// the bulletin's: one index range count a month (the bulletin's own month
// is already counted).
func (c *computer) trend(ctx context.Context) error {
	for i := -11; i <= 0; i++ {
		m := c.b.Month.AddDate(0, i, 0)
		var n int // the bulletin's own month is filled in by run
		if i < 0 {
			if err := c.d.GetContext(ctx, &n, `SELECT COUNT(*) FROM complaints WHERE received_at >= ? AND received_at < ?`,
				db.UTC(m), db.UTC(m.AddDate(0, 1, 0))); err != nil {
				return err
			}
		}
		c.mu.Lock()
		c.b.Trend = append(c.b.Trend, MonthCount{Month: m, Label: fmt.Sprintf("%d月", m.Month()), N: n})
		c.mu.Unlock()
	}
	return nil
}

// The longest-overdue cases, with their number of complaints.
const overdueListSQL = `SELECT c.id, c.title, COALESCE(c.town_id, 0), COALESCE(c.unit_id, 0), c.status, c.due_at,
 (SELECT COUNT(*) FROM complaints x WHERE x.case_id = c.id)
FROM cases c WHERE c.status IN ` + caseOpen + ` AND c.due_at < ?
ORDER BY c.due_at, c.id LIMIT ?`

func (c *computer) overdueList(ctx context.Context) error {
	if c.b.Rules.OverdueList <= 0 {
		return nil
	}
	rows, err := c.d.QueryContext(ctx, overdueListSQL, c.now, c.b.Rules.OverdueList)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o OverdueCase
		var town, unit int64
		if err := rows.Scan(&o.ID, &o.Title, &town, &unit, &o.Status, &o.DueAt, &o.Complaints); err != nil {
			return err
		}
		o.Ref = ledger.CaseRef(o.ID)
		c.mu.Lock()
		o.Town, o.Unit = c.name(town, ""), c.name(unit, "未交办")
		c.mu.Unlock()
		o.DaysOverdue = daysOverdue(c.now, o.DueAt)
		c.b.Overdue = append(c.b.Overdue, o)
	}
	return rows.Err()
}

func (c *computer) candidates(ctx context.Context) error {
	repeatOverdue := c.repeatOverdue
	if !c.b.Rules.RepeatOverdue {
		repeatOverdue = nil
	}
	ids := map[int64]bool{}
	for id := range c.resp {
		ids[id] = true
	}
	for id := range repeatOverdue {
		ids[id] = true
	}
	for _, u := range c.units {
		if !ids[u.ID] {
			continue
		}
		r := c.unit(u.ID)
		var reasons []string
		if n := c.b.Rules.OverdueCases; n > 0 && r.Overdue >= n {
			reasons = append(reasons, fmt.Sprintf("逾期未整改问题%d个（最长逾期%d天）", r.Overdue, r.MaxDaysOverdue))
		}
		if n := repeatOverdue[u.ID]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("群众反复投诉的问题%d个逾期未解决", n))
		}
		if len(reasons) > 0 {
			c.b.Candidates = append(c.b.Candidates, Candidate{UnitID: u.ID, Name: u.Name, Reasons: reasons})
		}
	}
	return nil
}

// grouped runs a query whose rows are (town, unit, key, n...) and hands each
// row to fn.
func (c *computer) grouped(ctx context.Context, q string, args []any, fn func(town, unit int64, key string, n []int)) error {
	rows, err := c.d.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var town, unit int64
		var key string
		ns := make([]sql.NullInt64, len(cols)-3)
		dest := []any{&town, &unit, &key}
		for i := range ns {
			dest = append(dest, &ns[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		n := make([]int, len(ns))
		for i, v := range ns {
			n[i] = int(v.Int64)
		}
		c.mu.Lock()
		fn(town, unit, key, n)
		c.mu.Unlock()
	}
	return rows.Err()
}

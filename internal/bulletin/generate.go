package bulletin

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// GenerateLedger adds n generated complaints spread over the three years
// before now, with the cases they feed, rectification notices, timeline
// events, ratings and "not solved" requests, in multi-row INSERTs of 1,000
// rows: the ledger the bulletin benchmark (and cmd/ecobench) runs on. The
// same seed gives the same ledger. Rows take ids above the existing ones.
func GenerateLedger(ctx context.Context, d *db.DB, n int, seed int64) error {
	return GenerateLedgerUntil(ctx, d, n, seed, time.Now())
}

// GenerateLedgerUntil is GenerateLedger with the ledger ending at end.
func GenerateLedgerUntil(ctx context.Context, d *db.DB, n int, seed int64, end time.Time) error {
	conn, err := d.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulletin: generate: %w", err)
	}
	defer conn.Close()
	// Referential checks are off on this one connection while it writes rows
	// that refer to each other in whatever order the batches fill.
	if err := d.SetForeignKeys(ctx, conn, false); err != nil {
		return fmt.Errorf("bulletin: generate: %w", err)
	}
	defer d.SetForeignKeys(context.WithoutCancel(ctx), conn, true)
	g := &gen{conn: conn, rnd: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)), loc: Location(), end: db.UTC(end)}
	if err := g.run(ctx, n); err != nil {
		return fmt.Errorf("bulletin: generate: %w", err)
	}
	return nil
}

type gen struct {
	conn *sql.Conn
	rnd  *rand.Rand
	loc  *time.Location
	end  time.Time

	complaintID, caseID, noticeID int64
	numbers                       map[int]int // last notice number per year
	recent                        []genCase   // recent open cases, for repeat complaints

	complaints, cases, notices, events, ratings, followups *batch
}

type genCase struct {
	id       int64
	town     int64
	status   ledger.CaseStatus
	done     time.Time // concluded (zero: not yet)
	openedAt time.Time
}

type batch struct {
	head  string
	row   string
	n     int
	args  []any
	total int
}

func newBatch(table, cols string) *batch {
	k := strings.Count(cols, ",") + 1
	return &batch{head: `INSERT INTO ` + table + ` (` + cols + `) VALUES `, row: "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"}
}

const genBatch = 1000

func (g *gen) add(ctx context.Context, b *batch, vals ...any) error {
	b.args = append(b.args, vals...)
	b.n++
	if b.n >= genBatch {
		return g.flush(ctx, b)
	}
	return nil
}

func (g *gen) flush(ctx context.Context, b *batch) error {
	if b.n == 0 {
		return nil
	}
	var q strings.Builder
	q.Grow(len(b.head) + b.n*(len(b.row)+2))
	q.WriteString(b.head)
	for i := 0; i < b.n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(b.row)
	}
	if _, err := g.conn.ExecContext(ctx, q.String(), b.args...); err != nil {
		return fmt.Errorf("%s…: %w", b.head[:min(40, len(b.head))], err)
	}
	b.total += b.n
	b.n, b.args = 0, b.args[:0]
	return nil
}

// weighted picks an index by weight.
func (g *gen) weighted(w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	r := g.rnd.IntN(sum)
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

var (
	genTowns       = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	genTownWeights = []int{30, 8, 9, 7, 10, 6, 7, 5, 4, 6, 8}
	genDepts       = []int64{21, 22, 23, 24, 25, 26, 27, 28}
	genChannels    = []ledger.Channel{ledger.ChannelHotline, ledger.ChannelWeb, ledger.ChannelAPI, ledger.ChannelVisit, ledger.ChannelLetter, ledger.ChannelSecretary}
	genChanWeights = []int{45, 30, 8, 7, 5, 5}
	genTypeWeights = []int{34, 18, 26, 10, 1, 3, 6, 2} // ledger.AllCategories
)

func (g *gen) ids(ctx context.Context) error {
	for _, x := range []struct {
		p *int64
		q string
	}{{&g.complaintID, `SELECT COALESCE(MAX(id), 0) FROM complaints`}, {&g.caseID, `SELECT COALESCE(MAX(id), 0) FROM cases`},
		{&g.noticeID, `SELECT COALESCE(MAX(id), 0) FROM notices`}} {
		if err := g.conn.QueryRowContext(ctx, x.q).Scan(x.p); err != nil {
			return err
		}
	}
	g.numbers = map[int]int{}
	rows, err := g.conn.QueryContext(ctx, `SELECT year, MAX(number) FROM notices GROUP BY year`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var y, k int
		if err := rows.Scan(&y, &k); err != nil {
			return err
		}
		g.numbers[y] = k
	}
	return rows.Err()
}

func (g *gen) run(ctx context.Context, n int) error {
	if err := g.ids(ctx); err != nil {
		return err
	}
	g.complaints = newBatch("complaints", "id, tracking_mac, channel, status, source_ref, categories, town_id, description, identity, case_id, refuse_reason, received_at, decide_due_at, extra, warnings, updated_at")
	g.cases = newBatch("cases", "id, status, source, source_detail, title, categories, town_id, unit_id, verification, verification_note, public_reply, opened_at, due_at, extended, verified_at, concluded_at, closed_at, updated_at")
	g.notices = newBatch("notices", "id, case_id, year, number, unit_id, requirements, deadline, copied_to, issued_at, status")
	g.events = newBatch("events", "case_id, complaint_id, kind, from_status, to_status, actor, public_note, internal_note, created_at")
	g.ratings = newBatch("ratings", "complaint_id, rating, comment, created_at")
	g.followups = newBatch("followup_requests", "complaint_id, kind, body, status, answer, created_at")

	start := g.end.AddDate(-3, 0, 0)
	span := g.end.Sub(start)
	day := 24 * time.Hour
	for i := 0; i < n; i++ {
		if i%genBatch == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		at := start.Add(time.Duration(float64(span) * (float64(i) + g.rnd.Float64()) / float64(n))).Truncate(time.Second)
		g.complaintID++
		id := g.complaintID
		town := any(nil)
		townID := int64(0)
		if g.rnd.IntN(100) >= 4 {
			townID = genTowns[g.weighted(genTownWeights)]
			town = townID
		}
		ch := genChannels[g.weighted(genChanWeights)]
		cats := ledger.Categories{ledger.AllCategories[g.weighted(genTypeWeights)]}
		if g.rnd.IntN(100) < 20 {
			if c2 := ledger.AllCategories[g.weighted(genTypeWeights)]; c2 != cats[0] {
				cats = append(cats, c2)
			}
		}
		var ref any
		if ch == ledger.ChannelHotline {
			ref = fmt.Sprintf("G%d-%d", id, i)
		}
		age := g.end.Sub(at)
		status, refuse := ledger.Received, ""
		var caseID any
		var c *genCase
		switch {
		case age < 15*day && g.rnd.IntN(100) < 60:
			// not decided yet
		case g.rnd.IntN(100) < 7:
			status, refuse = ledger.Refused, string(ledger.RefuseReasons[g.rnd.IntN(len(ledger.RefuseReasons))])
		default:
			c = g.repeatCase(townID, at)
			if c == nil {
				var err error
				if c, err = g.newCase(ctx, at.Add(time.Duration(g.rnd.IntN(72))*time.Hour), townID, cats); err != nil {
					return err
				}
			}
			caseID = c.id
			status = ledger.ComplaintStatusFor(c.status)
		}
		if err := g.add(ctx, g.complaints, id, fmt.Sprintf("gen%060d", id), ch, status, ref, cats, town,
			"生成的举报内容：夜间噪声和粉尘影响居民休息。", ledger.Anonymous, caseID, refuse, at,
			ledger.DueDate(at, 15, g.loc), "", "", at); err != nil {
			return err
		}
		if err := g.add(ctx, g.events, nil, id, "complaint.filed", "", string(ledger.Received), "resident", "您的举报已收到。", "", at); err != nil {
			return err
		}
		if c != nil && !c.done.IsZero() {
			if g.rnd.IntN(100) < 25 {
				rt := c.done.Add(time.Duration(1+g.rnd.IntN(10*24)) * time.Hour)
				if rt.Before(g.end) && rt.After(at) {
					rating := []string{RatingSatisfied, RatingBasically, RatingUnsatisfied}[g.weighted([]int{60, 28, 12})]
					if err := g.add(ctx, g.ratings, id, rating, "", rt); err != nil {
						return err
					}
				}
			}
			if g.rnd.IntN(100) < 3 {
				ft := c.done.Add(time.Duration(5*24+g.rnd.IntN(25*24)) * time.Hour)
				if ft.Before(g.end) && ft.After(at) {
					if err := g.add(ctx, g.followups, id, []string{"not_solved", "came_back"}[g.rnd.IntN(2)], "问题仍然存在。", "open", "", ft); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, b := range []*batch{g.cases, g.complaints, g.notices, g.events, g.ratings, g.followups} {
		if err := g.flush(ctx, b); err != nil {
			return err
		}
	}
	return g.counters(ctx)
}

// repeatCase picks, one time in five, a recent unfinished case of the same
// town for a repeat complaint (群众反复投诉).
func (g *gen) repeatCase(town int64, at time.Time) *genCase {
	if len(g.recent) == 0 || g.rnd.IntN(100) >= 20 {
		return nil
	}
	for tries := 0; tries < 4; tries++ {
		c := &g.recent[g.rnd.IntN(len(g.recent))]
		if c.town == town && c.status != ledger.Dismissed && c.openedAt.Before(at) && (c.done.IsZero() || c.done.After(at)) {
			return c
		}
	}
	return nil
}

// newCase decides a case's whole life at once (verification, notice,
// rectification, closure) and writes it as it stands at g.end.
func (g *gen) newCase(ctx context.Context, opened time.Time, town int64, cats ledger.Categories) (*genCase, error) {
	day := 24 * time.Hour
	g.caseID++
	c := genCase{id: g.caseID, town: town, openedAt: opened, status: ledger.Open}
	due := ledger.DueDate(opened, 60, g.loc)
	extended := g.rnd.IntN(100) < 5
	if extended {
		due = ledger.DueDate(due, 30, g.loc)
	}
	verification := ledger.Pending
	var verifiedAt, concludedAt, closedAt any
	unit := any(nil)
	verified := opened.Add(time.Duration(1+g.rnd.IntN(20*24)) * time.Hour)
	started := opened.Add(time.Duration(g.rnd.IntN(48)) * time.Hour)
	if started.Before(g.end) {
		c.status = ledger.Verifying
	}
	if verified.Before(g.end) {
		verifiedAt = verified
		switch g.weighted([]int{55, 20, 25}) {
		case 0:
			verification = ledger.Substantiated
		case 1:
			verification = ledger.Partly
		default:
			verification = ledger.Unsubstantiated
			c.status, c.done, concludedAt = ledger.Dismissed, verified, verified
		}
	}
	if verification == ledger.Substantiated || verification == ledger.Partly {
		issued := verified.Add(time.Duration(2+g.rnd.IntN(70)) * time.Hour)
		if issued.Before(g.end) {
			u := town
			if u == 0 || g.rnd.IntN(100) < 40 {
				u = genDepts[g.rnd.IntN(len(genDepts))]
			}
			unit = u
			deadline := ledger.DueDate(issued, 15+g.rnd.IntN(31), g.loc)
			c.status = ledger.Assigned
			year := issued.In(g.loc).Year()
			g.numbers[year]++
			g.noticeID++
			nstatus := ledger.NoticeIssued
			var closeAt time.Time
			switch k := g.rnd.IntN(1000); {
			case k < 15: // never rectified: overdue in the end
			case k < 800:
				closeAt = issued.Add(time.Duration(float64(deadline.Sub(issued)) * g.rnd.Float64()))
			default:
				closeAt = deadline.Add(time.Duration(1+g.rnd.IntN(40*24)) * time.Hour)
			}
			if !closeAt.IsZero() {
				submitted := closeAt.Add(-time.Duration(1+g.rnd.IntN(48)) * time.Hour)
				if submitted.Before(issued) {
					submitted = issued
				}
				if submitted.Before(g.end) {
					c.status, nstatus = ledger.Submitted, ledger.NoticeReported
				}
				if closeAt.Before(g.end) {
					c.status, c.done, closedAt, concludedAt = ledger.Closed, closeAt, closeAt, closeAt
				}
			}
			if err := g.add(ctx, g.notices, g.noticeID, c.id, year, g.numbers[year], u, "限期整改到位。", deadline,
				strings.Join(ledger.DefaultCopiedTo, "\n"), issued, nstatus); err != nil {
				return nil, err
			}
		}
	}
	if err := g.add(ctx, g.cases, c.id, c.status, ledger.SourceComplaint, "生成", "生成的问题", cats, nullTown(town), unit,
		verification, "", "", opened, due, extended, verifiedAt, concludedAt, closedAt, opened); err != nil {
		return nil, err
	}
	if err := g.add(ctx, g.events, c.id, nil, "case.opened", "", string(ledger.Open), "system", "", "", opened); err != nil {
		return nil, err
	}
	if len(g.recent) < 400 {
		g.recent = append(g.recent, c)
	} else {
		g.recent[g.rnd.IntN(len(g.recent))] = c
	}
	_ = day
	return &c, nil
}

func nullTown(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// counters moves each year's notice counter past the generated numbers.
func (g *gen) counters(ctx context.Context) error {
	for y, k := range g.numbers {
		var have int
		if err := g.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM notice_counters WHERE year = ?`, y).Scan(&have); err != nil {
			return err
		}
		q := `UPDATE notice_counters SET last_number = ? WHERE year = ?`
		if have == 0 {
			q = `INSERT INTO notice_counters (last_number, year) VALUES (?, ?)`
		}
		if _, err := g.conn.ExecContext(ctx, q, k, y); err != nil {
			return err
		}
	}
	return nil
}

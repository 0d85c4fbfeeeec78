package ledger

// The inbox (待处理举报): the complaints nobody has accepted or refused yet,
// oldest first, a page at a time by keyset (the received time and id of the
// row a page starts after), filtered, with the count of every filter.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecoreport/internal/db"
)

// InboxPageSize is how many complaints one inbox page shows.
const InboxPageSize = 50

// DueSoonDays is how close the decide-by date is for the "due" filter.
const DueSoonDays = 3

// Holder filters of the inbox (InboxFilter.Assigned).
const (
	HeldByMe     = "me"
	HeldByNobody = "none"
	HeldByAnyone = "any"
)

// InboxFilter narrows the inbox. The form tags let a web layer bind it from
// a query string; a value that does not parse filters nothing.
type InboxFilter struct {
	Channel  string `form:"channel"`
	Town     int64  `form:"town"` // -1: complaints without a recognised town
	Category string `form:"category"`
	Due      bool   `form:"due"`      // the decide-by date is within DueSoonDays, not past
	Overdue  bool   `form:"overdue"`  // the decide-by date has passed
	Warnings bool   `form:"warnings"` // the import left a warning to check
	Assigned string `form:"assigned"` // HeldByMe, HeldByNobody or HeldByAnyone
	// Me is who is looking, for HeldByMe (set by the caller, never bound).
	Me int64 `form:"-"`
}

// Values is the filter as query parameters, without its zero values.
func (f InboxFilter) Values() map[string]string {
	v := map[string]string{}
	if Channel(f.Channel).Valid() {
		v["channel"] = f.Channel
	}
	if f.Town != 0 {
		v["town"] = strconv.FormatInt(f.Town, 10)
	}
	if Category(f.Category).Valid() {
		v["category"] = f.Category
	}
	if f.Due {
		v["due"] = "true"
	}
	if f.Overdue {
		v["overdue"] = "true"
	}
	if f.Warnings {
		v["warnings"] = "true"
	}
	switch f.Assigned {
	case HeldByMe, HeldByNobody, HeldByAnyone:
		v["assigned"] = f.Assigned
	}
	return v
}

// where is the filter's SQL condition on complaints and its arguments.
func (f InboxFilter) where(now time.Time, loc *time.Location) (string, []any) {
	q := ` WHERE status = ?`
	args := []any{Received}
	if Channel(f.Channel).Valid() {
		q += ` AND channel = ?`
		args = append(args, f.Channel)
	}
	switch {
	case f.Town > 0:
		q += ` AND town_id = ?`
		args = append(args, f.Town)
	case f.Town < 0:
		q += ` AND town_id IS NULL`
	}
	if Category(f.Category).Valid() {
		q += ` AND (categories = ? OR categories LIKE ? OR categories LIKE ? OR categories LIKE ?)`
		args = append(args, f.Category, f.Category+",%", "%,"+f.Category, "%,"+f.Category+",%")
	}
	if f.Overdue {
		q += ` AND decide_due_at < ?`
		args = append(args, now)
	}
	if f.Due {
		q += ` AND decide_due_at >= ? AND decide_due_at <= ?`
		args = append(args, now, DueDate(now, DueSoonDays, loc))
	}
	if f.Warnings {
		q += ` AND warnings <> ''`
	}
	switch f.Assigned {
	case HeldByMe:
		q += ` AND assignee_id = ?`
		args = append(args, f.Me)
	case HeldByNobody:
		q += ` AND assignee_id IS NULL`
	case HeldByAnyone:
		q += ` AND assignee_id IS NOT NULL`
	}
	return q, args
}

// Cursor is a place in the inbox: the received time and id of a complaint.
type Cursor struct {
	At time.Time
	ID int64
}

// String is the cursor for a URL: microseconds since 1970, a dot, the id.
func (c Cursor) String() string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads Cursor.String; ok is false for anything else.
func ParseCursor(s string) (Cursor, bool) {
	a, b, found := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || id <= 0 {
		return Cursor{}, false
	}
	return Cursor{At: time.UnixMicro(us).UTC(), ID: id}, true
}

func cursorOf(c *Complaint) *Cursor { return &Cursor{At: c.ReceivedAt, ID: c.ID} }

// InboxQuery is which page of the inbox to show: the first (nothing set),
// the one after or before a cursor, or the last.
type InboxQuery struct {
	Filter InboxFilter
	After  *Cursor
	Before *Cursor
	Last   bool
	Limit  int // InboxPageSize when 0
}

// InboxPage is one page of the inbox, oldest first.
type InboxPage struct {
	Complaints []Complaint
	// Prev and Next are the cursors of the pages before and after, nil at
	// the first or the last page.
	Prev, Next *Cursor
	Total      int // complaints the filter keeps
}

const (
	afterSQL  = ` AND (received_at > ? OR (received_at = ? AND id > ?))`
	beforeSQL = ` AND (received_at < ? OR (received_at = ? AND id < ?))`
)

// Inbox returns one page of the complaints nobody has accepted or refused
// yet (收件箱), oldest first, so nothing starves. Every page, the last
// included, is one range of the index on (status, received_at): page 500
// costs what page 1 does.
func (s *Service) Inbox(ctx context.Context, q InboxQuery) (*InboxPage, error) {
	if q.Limit <= 0 {
		q.Limit = InboxPageSize
	}
	where, args := q.Filter.where(s.now(), s.Location)
	page := &InboxPage{}
	if err := s.DB.GetContext(ctx, &page.Total, `SELECT COUNT(*) FROM complaints`+where, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: inbox count: %w", err))
	}
	query, qargs := where, append([]any{}, args...)
	backward := q.Last || q.Before != nil
	switch {
	case q.After != nil:
		query += afterSQL
		qargs = append(qargs, q.After.At, q.After.At, q.After.ID)
	case q.Before != nil:
		query += beforeSQL
		qargs = append(qargs, q.Before.At, q.Before.At, q.Before.ID)
	}
	order := ` ORDER BY received_at, id`
	if backward {
		order = ` ORDER BY received_at DESC, id DESC`
	}
	var cs []Complaint
	if err := s.DB.SelectContext(ctx, &cs, `SELECT `+complaintColumns+` FROM complaints`+query+order+` LIMIT ?`,
		append(qargs, q.Limit+1)...); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: inbox: %w", err))
	}
	more := len(cs) > q.Limit // another page lies beyond, in the direction read
	if more {
		cs = cs[:q.Limit]
	}
	if backward {
		for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
			cs[i], cs[j] = cs[j], cs[i]
		}
	}
	page.Complaints = cs
	if len(cs) == 0 {
		return page, nil
	}
	first, last := cursorOf(&cs[0]), cursorOf(&cs[len(cs)-1])
	// The way it was read, more says what lies beyond; the other way, one
	// keyed look.
	exists := func(cond string, c *Cursor) (bool, error) {
		var n int
		err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM complaints`+where+cond+` LIMIT 1) x`,
			append(append([]any{}, args...), c.At, c.At, c.ID)...)
		return n > 0, err
	}
	var err error
	hasPrev, hasNext := more, more
	if backward {
		hasNext, err = exists(afterSQL, last)
	} else {
		hasPrev, err = exists(beforeSQL, first)
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: inbox: %w", err))
	}
	if hasPrev {
		page.Prev = first
	}
	if hasNext {
		page.Next = last
	}
	return page, nil
}

// InboxCounts are the sidebar's counts: how many complaints of the whole
// inbox each filter keeps.
type InboxCounts struct {
	All        int
	Channels   map[Channel]int
	Towns      map[int64]int // -1: without a town
	Categories map[Category]int
	Due        int
	Overdue    int
	Warnings   int
	Mine       int
	Nobody     int
	Anyone     int
}

const inboxCountsSQL = `SELECT channel, COALESCE(town_id, -1) AS town, categories,
 CASE WHEN decide_due_at < ? THEN 2 WHEN decide_due_at <= ? THEN 1 ELSE 0 END AS due,
 CASE WHEN warnings <> '' THEN 1 ELSE 0 END AS warned,
 CASE WHEN assignee_id IS NULL THEN 0 WHEN assignee_id = ? THEN 1 ELSE 2 END AS held,
 COUNT(*) AS n
 FROM complaints WHERE status = ? GROUP BY channel, COALESCE(town_id, -1), categories, due, warned, held`

// InboxCounts counts the inbox by every filter in one pass; me is who is
// looking (for HeldByMe).
func (s *Service) InboxCounts(ctx context.Context, me int64) (*InboxCounts, error) {
	now := s.now()
	var rows []struct {
		Channel    Channel    `db:"channel"`
		Town       int64      `db:"town"`
		Categories Categories `db:"categories"`
		Due        int        `db:"due"`
		Warned     int        `db:"warned"`
		Held       int        `db:"held"`
		N          int        `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, inboxCountsSQL, now, DueDate(now, DueSoonDays, s.Location), me, Received); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: inbox counts: %w", err))
	}
	c := &InboxCounts{Channels: map[Channel]int{}, Towns: map[int64]int{}, Categories: map[Category]int{}}
	for _, r := range rows {
		c.All += r.N
		c.Channels[r.Channel] += r.N
		c.Towns[r.Town] += r.N
		for _, k := range r.Categories {
			c.Categories[k] += r.N
		}
		switch r.Due {
		case 2:
			c.Overdue += r.N
		case 1:
			c.Due += r.N
		}
		c.Warnings += r.Warned * r.N
		switch r.Held {
		case 0:
			c.Nobody += r.N
		case 1:
			c.Mine += r.N
			c.Anyone += r.N
		default:
			c.Anyone += r.N
		}
	}
	return c, nil
}

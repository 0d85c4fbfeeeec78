package office

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// complaintRow is a complaint as staff see it: contact masked unless shown.
type complaintRow struct {
	ledger.Complaint
	Town       string
	TownKnown  bool   // Town is a town of the list; else it is the text as given (未识别)
	Contact    string // masked, or in clear after "show"
	Revealed   bool
	HasContact bool
	Overdue    bool // not decided by the decide-by date
	ReplyLate  bool // a hotline ticket's reply deadline passed without an answer
	Duplicates []ledger.Case
	// LateNotices maps each of Duplicates whose rectification notice is
	// past its deadline to the days it is late: a repeat of a problem the
	// unit is late with.
	LateNotices map[int64]int
	Holder      string   // who holds it in triage (承办人); "" for nobody
	Notes       []string // the import's warnings to check
}

func (h *Handler) complaintRow(c ledger.Complaint, towns map[int64]string, reveal map[int64]*ledger.Contact) complaintRow {
	r := complaintRow{Complaint: c, Town: strings.TrimSpace(c.TownText), Overdue: c.DecideOverdue(h.now()),
		ReplyLate: c.FeedbackOverdue(h.now())}
	if c.Warnings != "" {
		_ = json.Unmarshal([]byte(c.Warnings), &r.Notes) // decoration: a bad value shows nothing
	}
	if c.TownID.Valid {
		r.Town, r.TownKnown = towns[c.TownID.Int64], true
	}
	switch {
	case c.ContactErasedAt.Valid:
		r.Contact = "已按期删除"
	case !c.ContactEnc.Valid:
		r.Contact = c.Identity.Label() + "（无联系方式）"
	default:
		r.HasContact = true
		if ct, ok := reveal[c.ID]; ok && ct != nil {
			r.Contact, r.Revealed = strings.TrimSpace(ct.Name+" "+ct.Phone), true
		} else if ct, err := h.Ledger.Contact(&c); err == nil && ct != nil {
			r.Contact = maskName(ct.Name) + " " + phone.Mask(ct.Phone)
		} else {
			r.Contact = "（无法解密）"
		}
	}
	return r
}

func maskName(n string) string {
	r := []rune(strings.TrimSpace(n))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// inboxData is one page of the inbox: a compact row per complaint, each
// linking to the complaint's own page, where the triage is.
type inboxData struct {
	Rows   []complaintRow
	Filter ledger.InboxFilter
	Total  int
	Side   []sideGroup
	Pager  pager
}

// sideGroup is one facet of the sidebar: its filters, each with its count.
type sideGroup struct {
	Title string
	Items []sideItem
}

type sideItem struct {
	Label   string
	Count   int
	Href    string
	Current bool
}

// pager links the pages around the one shown; "" where there is none.
type pager struct {
	First, Prev, Next, Last string
}

// inboxFilter reads the filter of the query string; a bad value filters
// nothing.
func inboxFilter(c *gin.Context) ledger.InboxFilter {
	var f ledger.InboxFilter
	_ = c.ShouldBindQuery(&f)
	f.Me = User(c).ID
	return f
}

// inboxHref is the inbox with filter f (and extra parameters).
func inboxHref(f ledger.InboxFilter, extra ...string) string {
	v := url.Values{}
	for k, x := range f.Values() {
		v.Set(k, x)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return "/office/inbox"
	}
	return "/office/inbox?" + v.Encode()
}

// inbox shows one page of the inbox (待处理举报), filtered by the query
// string, paged by keyset (after=, before=, last=1).
func (h *Handler) inbox(c *gin.Context) {
	ctx := h.ctx(c)
	f := inboxFilter(c)
	q := ledger.InboxQuery{Filter: f}
	if cur, ok := ledger.ParseCursor(c.Query("after")); ok {
		q.After = &cur
	} else if cur, ok := ledger.ParseCursor(c.Query("before")); ok {
		q.Before = &cur
	} else if c.Query("last") != "" {
		q.Last = true
	}
	pg, err := h.Ledger.Inbox(ctx, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := inboxData{Filter: f, Total: pg.Total}
	dups := h.Ledger.DuplicateFinder()
	asg, err := h.assigner(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, cm := range pg.Complaints {
		r := h.complaintRow(cm, names, nil)
		if r.Duplicates, err = dups.Candidates(ctx, &cm); err != nil {
			h.fail(c, err)
			return
		}
		r.Holder = asg.holder(cm.AssigneeID.Int64)
		d.Rows = append(d.Rows, r)
	}
	if err := h.flagLateNotices(ctx, d.Rows); err != nil {
		h.fail(c, err)
		return
	}
	if pg.Prev != nil {
		d.Pager.First, d.Pager.Prev = inboxHref(f), inboxHref(f, "before", pg.Prev.String())
	}
	if pg.Next != nil {
		d.Pager.Next, d.Pager.Last = inboxHref(f, "after", pg.Next.String()), inboxHref(f, "last", "1")
	}
	if d.Side, err = h.inboxSide(ctx, f, names); err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "inbox", "待处理举报", d)
}

// flagLateNotices sets LateNotices of each row, reading the late notices
// of all the rows' duplicates at once.
func (h *Handler) flagLateNotices(ctx context.Context, rows []complaintRow) error {
	var ids []int64
	for _, r := range rows {
		for _, k := range r.Duplicates {
			ids = append(ids, k.ID)
		}
	}
	late, err := h.Ledger.OverdueNoticesOf(ctx, ids)
	if err != nil || len(late) == 0 {
		return err
	}
	now := h.now()
	for i := range rows {
		for _, k := range rows[i].Duplicates {
			if n, ok := late[k.ID]; ok {
				if rows[i].LateNotices == nil {
					rows[i].LateNotices = map[int64]int{}
				}
				rows[i].LateNotices[k.ID] = n.DaysOverdue(k.Status, now)
			}
		}
	}
	return nil
}

// inboxSide is the sidebar: every filter with how many complaints of the
// whole inbox it keeps; a link sets the filter, or clears it when it is on.
func (h *Handler) inboxSide(ctx context.Context, f ledger.InboxFilter, names map[int64]string) ([]sideGroup, error) {
	n, err := h.Ledger.InboxCounts(ctx, f.Me)
	if err != nil {
		return nil, err
	}
	towns, err := h.Ledger.Towns(ctx)
	if err != nil {
		return nil, err
	}
	item := func(label string, count int, on bool, set func(*ledger.InboxFilter)) sideItem {
		g := f
		set(&g)
		return sideItem{Label: label, Count: count, Href: inboxHref(g), Current: on}
	}
	held := func(label, v string, count int) sideItem {
		return item(label, count, f.Assigned == v, func(g *ledger.InboxFilter) {
			if g.Assigned = v; f.Assigned == v {
				g.Assigned = ""
			}
		})
	}
	side := []sideGroup{
		{Title: "全部", Items: []sideItem{{Label: "全部待处理", Count: n.All, Href: "/office/inbox", Current: len(f.Values()) == 0}}},
		{Title: "承办人", Items: []sideItem{held("分派给我", ledger.HeldByMe, n.Mine), held("未分派", ledger.HeldByNobody, n.Nobody), held("已分派", ledger.HeldByAnyone, n.Anyone)}},
		{Title: "受理期限", Items: []sideItem{
			item("3日内到期", n.Due, f.Due, func(g *ledger.InboxFilter) { g.Due = !f.Due }),
			item("超过受理期限", n.Overdue, f.Overdue, func(g *ledger.InboxFilter) { g.Overdue = !f.Overdue }),
		}},
		{Title: "导入提示", Items: []sideItem{item("有待核对的提示", n.Warnings, f.Warnings, func(g *ledger.InboxFilter) { g.Warnings = !f.Warnings })}},
	}
	var chans, tws, cats []sideItem
	for _, ch := range ledger.Channels {
		chans = append(chans, item(ch.Label(), n.Channels[ch], f.Channel == string(ch), func(g *ledger.InboxFilter) {
			if g.Channel = string(ch); f.Channel == string(ch) {
				g.Channel = ""
			}
		}))
	}
	seen := map[int64]bool{}
	town := func(id int64, label string) {
		seen[id] = true
		tws = append(tws, item(label, n.Towns[id], f.Town == id, func(g *ledger.InboxFilter) {
			if g.Town = id; f.Town == id {
				g.Town = 0
			}
		}))
	}
	for _, t := range towns {
		town(t.ID, t.Name)
	}
	for id, k := range n.Towns { // a town deactivated since still counts its complaints
		if !seen[id] && id > 0 && k > 0 {
			town(id, names[id])
		}
	}
	town(-1, "乡镇不明")
	for _, k := range ledger.AllCategories {
		cats = append(cats, item(k.Label(), n.Categories[k], f.Category == string(k), func(g *ledger.InboxFilter) {
			if g.Category = string(k); f.Category == string(k) {
				g.Category = ""
			}
		}))
	}
	return append(side, sideGroup{Title: "渠道", Items: chans}, sideGroup{Title: "乡镇", Items: tws}, sideGroup{Title: "污染类型", Items: cats}), nil
}

// parseCaseRef reads "C000012", "c12" or "12".
func parseCaseRef(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "C"), "c")
	if s == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

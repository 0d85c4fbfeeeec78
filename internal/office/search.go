package office

// Search (查找): complaints and cases by ticket number, reference, reported
// party, address or the words of a description. The index and its rules
// are the ledger's; a unit finds only its own notices, by what it reads on
// them.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/ledger"
)

// Searchers may use the search page: those who read the ledger, and the
// units (their own notices only).
var Searchers = []auth.Role{auth.Admin, auth.Inspector, auth.Leader, auth.UnitUser}

type searchData struct {
	Q          string
	Kind       string // "", "complaints" or "cases"
	Unit       bool   // a unit: its own notices only
	Cases      []searchCase
	Notices    []searchNotice // a unit's
	Complaints []complaintRow
	MoreCases  string // the next page's link, "" when none
	MoreComps  string
	PartCases  bool // the page stopped at its budget; more may follow
	PartComps  bool
	Searched   bool
}

type searchCase struct {
	ledger.Case
	Town    string
	Overdue bool
	Href    string
}

// searchNotice is a notice found by its unit: the case's reference, the
// place, the deadline and how late it is, as on the unit's page.
type searchNotice struct {
	ledger.Notice
	CaseRef     string
	Place       string
	DaysOverdue int
}

// searchHref is the search page for q, one kind, from before on.
func searchHref(q, kind string, before int64) string {
	return "/office/search?" + url.Values{"q": {q}, "kind": {kind}, "before": {strconv.FormatInt(before, 10)}}.Encode()
}

// search shows the search form and, for a query, a page of each kind the
// user may see (or more of one kind).
func (h *Handler) search(c *gin.Context) {
	u := User(c)
	d := searchData{Q: strings.TrimSpace(c.Query("q")), Kind: c.Query("kind"), Unit: u.Role == auth.UnitUser}
	if d.Q == "" {
		h.render(c, http.StatusOK, "search", "查找", d)
		return
	}
	d.Searched = true
	scope := ledger.Scope{All: !d.Unit}
	if d.Unit {
		scope.UnitID = u.UnitID.Int64
	}
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	ctx := h.ctx(c)
	names, err := h.unitNames(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	if d.Unit {
		p, err := h.Ledger.Search(ctx, ledger.SearchQuery{Text: d.Q, Kind: ledger.SearchNotices, Before: before}, scope)
		if err != nil {
			h.searchFailed(c, d, err)
			return
		}
		for _, n := range p.Notices {
			cs, err := h.Ledger.Case(ctx, n.CaseID)
			if err != nil {
				h.fail(c, err)
				return
			}
			d.Notices = append(d.Notices, searchNotice{Notice: n, CaseRef: cs.Ref(), Place: place(names[cs.TownID.Int64], cs.Address),
				DaysOverdue: n.DaysOverdue(cs.Status, now)})
		}
		if p.Next != 0 {
			d.MoreCases, d.PartCases = searchHref(d.Q, "notices", p.Next), p.Partial
		}
		h.render(c, http.StatusOK, "search", "查找："+d.Q, d)
		return
	}
	if d.Kind != "complaints" {
		limit := 20
		if d.Kind == "cases" {
			limit = ledger.SearchLimit
		}
		p, err := h.Ledger.Search(ctx, ledger.SearchQuery{Text: d.Q, Kind: ledger.SearchCases, Before: before, Limit: limit}, scope)
		if err != nil {
			h.searchFailed(c, d, err)
			return
		}
		for _, k := range p.Cases {
			d.Cases = append(d.Cases, searchCase{Case: k, Town: names[k.TownID.Int64], Overdue: k.Overdue(now), Href: "/office/cases/" + strconv.FormatInt(k.ID, 10)})
		}
		if p.Next != 0 {
			d.MoreCases, d.PartCases = searchHref(d.Q, "cases", p.Next), p.Partial
		}
	}
	if d.Kind != "cases" {
		p, err := h.Ledger.Search(ctx, ledger.SearchQuery{Text: d.Q, Kind: ledger.SearchComplaints, Before: before}, scope)
		if err != nil {
			h.searchFailed(c, d, err)
			return
		}
		for _, cm := range p.Complaints {
			d.Complaints = append(d.Complaints, h.complaintRow(cm, names, nil))
		}
		if p.Next != 0 {
			d.MoreComps, d.PartComps = searchHref(d.Q, "complaints", p.Next), p.Partial
		}
	}
	h.render(c, http.StatusOK, "search", "查找："+d.Q, d)
}

// searchFailed shows the form again with the message beside the field for
// a search the ledger refused, and the error page for anything else.
func (h *Handler) searchFailed(c *gin.Context, d searchData, err error) {
	if !apperr.Is(err, apperr.EINVALID) {
		h.fail(c, err)
		return
	}
	d.Searched = false
	h.renderPage(c, http.StatusUnprocessableEntity, "search", page{Title: "查找", Fields: apperr.Fields(err), Data: d})
}

package ledger

// The search index (全文检索) of complaints and cases: the terms of each
// document (internal/grams) are rows of search_terms, written in the
// transaction that writes the text, and a search walks the rarest of its
// terms newest first, checking the others by key.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/grams"
)

// SearchKind is what a search looks through.
type SearchKind int

// Kinds of searched documents, as stored in search_terms.kind.
const (
	SearchComplaints SearchKind = 1 // 举报件: reference, ticket number, reported party, address, description
	SearchCases      SearchKind = 2 // 问题: reference, title, reported party, source, problem, address, its notices' numbers and problem texts
	// SearchNotices are the notices as their unit reads them: what a unit
	// searches, so that it never finds a case by words it cannot read
	// (the case's own text, which the notice may word otherwise to leave
	// out what could identify the reporter, or another unit's notice).
	SearchNotices SearchKind = 3 // 整改通知书: number, the case's reference, place, problem
)

// ComplaintText is what the search index reads of a complaint.
type ComplaintText struct {
	ID          int64
	SourceRef   string // ticket number (工单编号)
	Subject     string
	Address     string
	Description string
	TownText    string
}

// TextOf is the indexed text of a complaint.
func TextOf(c *Complaint) ComplaintText {
	return ComplaintText{ID: c.ID, SourceRef: c.SourceRef.String, Subject: c.Subject, Address: c.Address,
		Description: c.Description, TownText: c.TownText}
}

func (t ComplaintText) terms() []int64 {
	return grams.Terms(ComplaintRef(t.ID), t.SourceRef, t.Subject, t.Address, t.Description, t.TownText)
}

// caseText is what the search index reads of a case.
type caseText struct {
	ID                           int64
	Title, Subject, SourceDetail string
	Description, Address         string
	Notices                      []noticeText
}

func (t caseText) terms() []int64 {
	texts := []string{CaseRef(t.ID), t.Title, t.Subject, t.SourceDetail, t.Description, t.Address}
	for _, n := range t.Notices {
		texts = append(texts, n.Ref, n.Key, n.Problem)
	}
	return grams.Terms(texts...)
}

// noticeText is what the search index reads of a notice: what its unit
// reads on it.
type noticeText struct {
	ID, CaseID int64
	Ref        string // 石环督整〔2026〕12号
	Key        string // noticeKey: the year and number as one word
	Address    string // the place, the case's address
	Problem    string
}

func (t noticeText) terms() []int64 {
	return grams.Terms(t.Ref, t.Key, CaseRef(t.CaseID), t.Address, t.Problem)
}

// noticeKey is a notice's year and number as one indexed word (2026n7):
// a number of one digit is no term of its own (grams), so 石环督整〔2026〕7号
// would otherwise find every notice of 2026. A search for a notice number
// is rewritten to it (canonical).
func noticeKey(year, number int) string { return fmt.Sprintf("%dn%d", year, number) }

// noticeTextsSQL reads the indexed text of notices, with their case's
// address.
const noticeTextsSQL = `SELECT n.id, n.case_id, n.prefix, n.year, n.number, n.problem, k.address
 FROM notices n JOIN cases k ON k.id = n.case_id`

type noticeTextRow struct {
	ID      int64  `db:"id"`
	CaseID  int64  `db:"case_id"`
	Prefix  string `db:"prefix"`
	Year    int    `db:"year"`
	Number  int    `db:"number"`
	Problem string `db:"problem"`
	Address string `db:"address"`
}

func (r noticeTextRow) text() noticeText {
	return noticeText{ID: r.ID, CaseID: r.CaseID, Ref: NoticeRef(r.Prefix, r.Year, r.Number), Key: noticeKey(r.Year, r.Number),
		Address: r.Address, Problem: r.Problem}
}

// termRows bounds the rows of one INSERT into search_terms: three bound
// values a row stays under SQLite's 32,766 variables.
const termRows = 5000

// posting is one row of search_terms.
type posting struct{ term, id int64 }

// indexTx adds the terms of documents of one kind in tx (ids[i] has terms[i]).
// The rows go in key order: a batch's rows then land on neighbouring pages
// of the index instead of one page each, which on InnoDB is most of the
// cost of writing them.
func indexTx(ctx context.Context, tx *sqlx.Tx, kind SearchKind, ids []int64, terms [][]int64) error {
	var rows []posting
	for i, id := range ids {
		for _, t := range terms[i] {
			rows = append(rows, posting{t, id})
		}
	}
	slices.SortFunc(rows, func(a, b posting) int {
		if a.term != b.term {
			return cmp.Compare(a.term, b.term)
		}
		return cmp.Compare(a.id, b.id)
	})
	var q strings.Builder
	args := make([]any, 0, 3*min(len(rows), termRows))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("ledger: search index: %w", err)
		}
		q.Reset()
		args = args[:0]
		return nil
	}
	for _, r := range rows {
		if len(args) == 0 {
			q.WriteString(`INSERT INTO search_terms (term, kind, ref_id) VALUES (?, ?, ?)`)
		} else {
			q.WriteString(`, (?, ?, ?)`)
		}
		args = append(args, r.term, int(kind), r.id)
		if len(args) == 3*termRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// reindexTx moves one document's terms from before to after.
func reindexTx(ctx context.Context, tx *sqlx.Tx, kind SearchKind, id int64, before, after []int64) error {
	add, remove := grams.Diff(before, after)
	for len(remove) > 0 {
		n := min(len(remove), 1000)
		q, args, err := sqlx.In(`DELETE FROM search_terms WHERE kind = ? AND ref_id = ? AND term IN (?)`, int(kind), id, remove[:n])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("ledger: search index of %d: %w", id, err)
		}
		remove = remove[n:]
	}
	return indexTx(ctx, tx, kind, []int64{id}, [][]int64{add})
}

// indexComplaintsTx indexes newly filed complaints.
func indexComplaintsTx(ctx context.Context, tx *sqlx.Tx, cs []Filed) error {
	ids := make([]int64, len(cs))
	terms := make([][]int64, len(cs))
	for i := range cs {
		ids[i], terms[i] = cs[i].Complaint.ID, TextOf(&cs[i].Complaint).terms()
	}
	return indexTx(ctx, tx, SearchComplaints, ids, terms)
}

// ReindexComplaintTx keeps the search index in step with a complaint whose
// text changed from before to after in tx (a hotline ticket exported again).
// A complaint still waiting for the catch-up indexer is indexed from after
// in full (and leaves the backlog), so that the indexer never writes terms
// of a text that changed.
func (s *Service) ReindexComplaintTx(ctx context.Context, tx *sqlx.Tx, before, after ComplaintText) error {
	waiting, err := takeBacklogTx(ctx, tx, SearchComplaints, after.ID)
	if err != nil {
		return err
	}
	if waiting {
		return indexTx(ctx, tx, SearchComplaints, []int64{after.ID}, [][]int64{after.terms()})
	}
	return reindexTx(ctx, tx, SearchComplaints, after.ID, before.terms(), after.terms())
}

// caseTextTx reads a case's indexed text in tx.
func caseTextTx(ctx context.Context, tx sqlx.QueryerContext, id int64) (caseText, error) {
	t := caseText{ID: id}
	var r struct {
		Title       string `db:"title"`
		Subject     string `db:"subject"`
		Source      string `db:"source_detail"`
		Description string `db:"description"`
		Address     string `db:"address"`
	}
	if err := sqlx.GetContext(ctx, tx, &r, `SELECT title, subject, source_detail, description, address FROM cases WHERE id = ?`, id); err != nil {
		return t, fmt.Errorf("ledger: text of case %d: %w", id, err)
	}
	t.Title, t.Subject, t.SourceDetail, t.Description, t.Address = r.Title, r.Subject, r.Source, r.Description, r.Address
	var ns []noticeTextRow
	if err := sqlx.SelectContext(ctx, tx, &ns, noticeTextsSQL+` WHERE n.case_id = ? ORDER BY n.id`, id); err != nil {
		return t, fmt.Errorf("ledger: notices of case %d: %w", id, err)
	}
	for _, n := range ns {
		t.Notices = append(t.Notices, n.text())
	}
	return t, nil
}

// reindexCaseTx rewrites a case's terms from its text as it now stands in
// tx; before is its text before the change.
func reindexCaseTx(ctx context.Context, tx *sqlx.Tx, before caseText) error {
	after, err := caseTextTx(ctx, tx, before.ID)
	if err != nil {
		return err
	}
	return reindexTx(ctx, tx, SearchCases, before.ID, before.terms(), after.terms())
}

// indexNoticeTx indexes a notice just issued in tx: its own document
// (SearchNotices), and its number and problem on its case's (reindexing
// the case from before, its text before the notice).
func indexNoticeTx(ctx context.Context, tx *sqlx.Tx, before caseText, id int64) error {
	var r noticeTextRow
	if err := sqlx.GetContext(ctx, tx, &r, noticeTextsSQL+` WHERE n.id = ?`, id); err != nil {
		return fmt.Errorf("ledger: text of notice %d: %w", id, err)
	}
	if err := indexTx(ctx, tx, SearchNotices, []int64{id}, [][]int64{r.text().terms()}); err != nil {
		return err
	}
	return reindexCaseTx(ctx, tx, before)
}

// Reindex rebuilds the whole search index from the complaints and cases, a
// thousand documents a transaction, and returns how many it indexed. It is
// for a database filled without the ledger (a generated benchmark ledger, a
// database from before the index); the ledger's own writes keep the index
// in step.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	for _, t := range []string{"search_terms", "search_backlog"} {
		if _, err := s.DB.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return 0, db.Classify(fmt.Errorf("ledger: clear search index: %w", err))
		}
	}
	n := 0
	for last := int64(0); ; {
		var rows []struct {
			ID          int64          `db:"id"`
			SourceRef   sql.NullString `db:"source_ref"`
			Subject     string         `db:"subject"`
			Address     string         `db:"address"`
			Description string         `db:"description"`
			TownText    string         `db:"town_text"`
		}
		if err := s.DB.SelectContext(ctx, &rows, `SELECT id, source_ref, subject, address, description, town_text FROM complaints
 WHERE id > ? ORDER BY id LIMIT 1000`, last); err != nil {
			return n, db.Classify(fmt.Errorf("ledger: reindex complaints: %w", err))
		}
		if len(rows) == 0 {
			break
		}
		ids, terms := make([]int64, len(rows)), make([][]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			terms[i] = ComplaintText{ID: r.ID, SourceRef: r.SourceRef.String, Subject: r.Subject, Address: r.Address,
				Description: r.Description, TownText: r.TownText}.terms()
		}
		if err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error { return indexTx(ctx, tx, SearchComplaints, ids, terms) }); err != nil {
			return n, db.Classify(err)
		}
		n += len(rows)
		last = rows[len(rows)-1].ID
	}
	for last := int64(0); ; {
		var rows []struct {
			ID          int64  `db:"id"`
			Title       string `db:"title"`
			Subject     string `db:"subject"`
			Source      string `db:"source_detail"`
			Description string `db:"description"`
			Address     string `db:"address"`
		}
		if err := s.DB.SelectContext(ctx, &rows, `SELECT id, title, subject, source_detail, description, address FROM cases
 WHERE id > ? ORDER BY id LIMIT 1000`, last); err != nil {
			return n, db.Classify(fmt.Errorf("ledger: reindex cases: %w", err))
		}
		if len(rows) == 0 {
			break
		}
		first, end := rows[0].ID, rows[len(rows)-1].ID
		var ns []noticeTextRow
		if err := s.DB.SelectContext(ctx, &ns, noticeTextsSQL+` WHERE n.case_id >= ? AND n.case_id <= ? ORDER BY n.id`, first, end); err != nil {
			return n, db.Classify(fmt.Errorf("ledger: reindex notices: %w", err))
		}
		notices := map[int64][]noticeText{}
		nids, nterms := make([]int64, len(ns)), make([][]int64, len(ns))
		for i, x := range ns {
			t := x.text()
			notices[x.CaseID] = append(notices[x.CaseID], t)
			nids[i], nterms[i] = x.ID, t.terms()
		}
		ids, terms := make([]int64, len(rows)), make([][]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			terms[i] = caseText{ID: r.ID, Title: r.Title, Subject: r.Subject, SourceDetail: r.Source, Description: r.Description,
				Address: r.Address, Notices: notices[r.ID]}.terms()
		}
		err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			if err := indexTx(ctx, tx, SearchCases, ids, terms); err != nil {
				return err
			}
			return indexTx(ctx, tx, SearchNotices, nids, nterms)
		})
		if err != nil {
			return n, db.Classify(err)
		}
		n += len(rows)
		last = end
	}
	return n, nil
}

// IndexIfEmpty builds the search index when it is empty and the ledger is
// not (a database migrated from before the index): run once at start after
// the migrations. Returns how many documents it indexed.
func (s *Service) IndexIfEmpty(ctx context.Context) (int, error) {
	var have, docs int
	if err := s.DB.GetContext(ctx, &have, `SELECT COUNT(*) FROM (SELECT 1 FROM search_terms LIMIT 1) x`); err != nil {
		return 0, db.Classify(fmt.Errorf("ledger: search index: %w", err))
	}
	if err := s.DB.GetContext(ctx, &docs, `SELECT COUNT(*) FROM (SELECT 1 FROM complaints LIMIT 1) x`); err != nil {
		return 0, db.Classify(fmt.Errorf("ledger: search index: %w", err))
	}
	if have > 0 || docs == 0 {
		return 0, nil
	}
	return s.Reindex(ctx)
}

// Search limits.
const (
	// MaxSearchRunes is the longest search accepted.
	MaxSearchRunes = 50
	// MaxSearchWords is how many words one search may have.
	MaxSearchWords = 8
	// SearchLimit is how many results one page shows.
	SearchLimit = 50
	// probeCap bounds the count of each term's documents when the
	// rarest is picked.
	probeCap = 5000
)

// Scope is what a searcher may see: everything (All), or only the cases of
// one responsible unit (UnitID: cases it was sent a notice for).
type Scope struct {
	All    bool
	UnitID int64
}

// SearchQuery is one page of a search.
type SearchQuery struct {
	Text   string
	Kind   SearchKind
	Before int64 // keyset: documents with a smaller id (0: from the newest)
	Limit  int   // SearchLimit when 0
}

// SearchPage is one page of results, newest first.
type SearchPage struct {
	Complaints []Complaint // Kind SearchComplaints
	Cases      []Case      // Kind SearchCases
	Notices    []Notice    // Kind SearchNotices
	// Next is the Before of the next page, 0 when there is none.
	Next int64
	// Partial says the page stopped after checking searchBudget documents:
	// older ones may match too, from Next on.
	Partial bool
}

// searchWindow is how many documents of the rarest term one query checks;
// searchBudget how many one page checks at most, so that a search for
// common words that rarely meet ends in bounded time and offers to go on
// from where it stopped. Variables so that a test can make them small.
var searchWindow, searchBudget = 2000, 20000

var (
	refRE = regexp.MustCompile(`^([RrCc])0*([0-9]{1,12})$`)
	// noticeRE is a notice number as typed: 石环督整〔2026〕12号, with any
	// brackets, the prefix and 号 optional.
	noticeRE = regexp.MustCompile(`^(\p{Han}*)[〔\[［(（【]\s*([0-9]{4})\s*[〕\]］)）】]\s*0*([0-9]{1,6})号?$`)
)

// canonical rewrites references typed short (r123, C12) as they are written
// in the index (R0000123, C000012), and a notice number as its prefix and
// its noticeKey.
func canonical(w string) string {
	if m := noticeRE.FindStringSubmatch(w); m != nil {
		year, _ := strconv.Atoi(m[2])
		number, _ := strconv.Atoi(m[3])
		return strings.TrimSpace(m[1] + " " + noticeKey(year, number))
	}
	m := refRE.FindStringSubmatch(w)
	if m == nil {
		return w
	}
	id, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || id == 0 {
		return w
	}
	if m[1] == "R" || m[1] == "r" {
		return ComplaintRef(id)
	}
	return CaseRef(id)
}

// ParseSearch checks a search as typed and returns its terms. EINVALID
// (field q) for an empty, too long or unreadable search, or one with a
// single-character word.
func ParseSearch(text string) ([]int64, error) {
	text = strings.TrimSpace(text)
	bad := func(msg string) error { return apperr.Invalid(map[string]string{"q": msg}) }
	switch {
	case text == "":
		return nil, bad("请输入要查找的内容")
	case utf8.RuneCountInString(text) > MaxSearchRunes:
		return nil, bad(fmt.Sprintf("查找内容不能超过%d个字", MaxSearchRunes))
	case CheckText(text) != "":
		return nil, bad(CheckText(text))
	}
	words := strings.Fields(text)
	if len(words) > MaxSearchWords {
		return nil, bad(fmt.Sprintf("最多输入%d个词，用空格分开", MaxSearchWords))
	}
	for i, w := range words {
		words[i] = canonical(w)
	}
	terms, short := grams.Query(strings.Join(words, " "))
	if len(short) > 0 {
		return nil, bad(fmt.Sprintf("“%s”只有一个字，每个词请至少输入两个字", short[0]))
	}
	if len(terms) == 0 {
		return nil, bad("请输入文字或编号，标点符号不能单独查找")
	}
	return terms, nil
}

// Search finds the complaints, the cases or the notices that hold every
// word of q.Text, newest first, within scope: a unit searches only its own
// notices, nothing else. EINVALID (field q) for a bad search (ParseSearch).
func (s *Service) Search(ctx context.Context, q SearchQuery, scope Scope) (*SearchPage, error) {
	terms, err := ParseSearch(q.Text)
	if err != nil {
		return nil, err
	}
	page := &SearchPage{}
	if !scope.All && (scope.UnitID == 0 || q.Kind != SearchNotices) {
		return page, nil
	}
	if q.Limit <= 0 || q.Limit > SearchLimit {
		q.Limit = SearchLimit
	}
	ids, next, partial, err := s.searchIDs(ctx, q, terms, scope)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: search: %w", err))
	}
	page.Next, page.Partial = next, partial
	if len(ids) == 0 {
		return page, nil
	}
	cols, table, dest := complaintColumns, "complaints", any(&page.Complaints)
	switch q.Kind {
	case SearchCases:
		cols, table, dest = caseColumns, "cases", &page.Cases
	case SearchNotices:
		cols, table, dest = noticeColumns, "notices", &page.Notices
	}
	sel, args, err := sqlx.In(`SELECT `+cols+` FROM `+table+` WHERE id IN (?) ORDER BY id DESC`, ids)
	if err != nil {
		return nil, err
	}
	err = s.DB.SelectContext(ctx, dest, sel, args...)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: search results: %w", err))
	}
	return page, nil
}

const (
	probeSQL      = `SELECT COUNT(*) FROM (SELECT 1 FROM search_terms WHERE term = ? AND kind = ? AND ref_id < ? LIMIT ?) x`
	windowSQL     = `SELECT ref_id FROM search_terms WHERE term = ? AND kind = ? AND ref_id < ? ORDER BY ref_id DESC LIMIT 1 OFFSET ?`
	hasTermSQL    = ` AND EXISTS (SELECT 1 FROM search_terms u WHERE u.term = ? AND u.kind = ? AND u.ref_id = t.ref_id)`
	unitNoticeSQL = ` AND EXISTS (SELECT 1 FROM notices n WHERE n.id = t.ref_id AND n.unit_id = ?)`
)

// searchIDs walks the rarest term's documents below q.Before, newest
// first, a window at a time, keeping those that hold every other term (the
// next rarest checked first) and lie in scope.
func (s *Service) searchIDs(ctx context.Context, q SearchQuery, terms []int64, scope Scope) (ids []int64, next int64, partial bool, err error) {
	kind := int(q.Kind)
	cursor := q.Before
	if cursor <= 0 {
		cursor = math.MaxInt64
	}
	counts := make(map[int64]int, len(terms))
	for _, t := range terms {
		var n int
		if err := s.DB.GetContext(ctx, &n, probeSQL, t, kind, cursor, probeCap); err != nil {
			return nil, 0, false, err
		}
		if n == 0 {
			return nil, 0, false, nil // a term no document below the cursor has
		}
		counts[t] = n
	}
	slices.SortStableFunc(terms, func(a, b int64) int { return counts[a] - counts[b] })
	query := `SELECT t.ref_id FROM search_terms t WHERE t.term = ? AND t.kind = ? AND t.ref_id < ? AND t.ref_id >= ?`
	base := []any{terms[0], kind}
	var rest []any
	for _, t := range terms[1:] {
		query += hasTermSQL
		rest = append(rest, t, kind)
	}
	if !scope.All {
		query += unitNoticeSQL
		rest = append(rest, scope.UnitID)
	}
	query += ` ORDER BY t.ref_id DESC LIMIT ?`
	for checked := 0; ; checked += searchWindow {
		if checked >= searchBudget {
			return ids, cursor, true, nil
		}
		var low int64
		err := s.DB.GetContext(ctx, &low, windowSQL, terms[0], kind, cursor, searchWindow-1)
		if errors.Is(err, sql.ErrNoRows) {
			low = 0 // the rest of the term's documents fit in this window
		} else if err != nil {
			return nil, 0, false, err
		}
		var got []int64
		args := append(append(append([]any{}, base...), cursor, low), rest...)
		if err := s.DB.SelectContext(ctx, &got, query, append(args, q.Limit+1-len(ids))...); err != nil {
			return nil, 0, false, err
		}
		ids = append(ids, got...)
		if len(ids) > q.Limit {
			return ids[:q.Limit], ids[q.Limit-1], false, nil
		}
		if low == 0 {
			return ids, 0, false, nil
		}
		cursor = low
	}
}

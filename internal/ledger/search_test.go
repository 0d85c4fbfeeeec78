package ledger_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// indexDump is the whole search index, in order.
func indexDump(t *testing.T, s *ledger.Service) string {
	t.Helper()
	var rows []struct {
		Term int64 `db:"term"`
		Kind int   `db:"kind"`
		Ref  int64 `db:"ref_id"`
	}
	if err := s.DB.Select(&rows, `SELECT term, kind, ref_id FROM search_terms ORDER BY kind, ref_id, term`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d/%d/%d ", r.Kind, r.Ref, r.Term)
	}
	return b.String()
}

// assertIndexInStep checks that the index the writes kept is the one a
// rebuild from the tables makes.
func assertIndexInStep(t *testing.T, s *ledger.Service) {
	t.Helper()
	kept := indexDump(t, s)
	if kept == "" {
		t.Fatal("the index is empty")
	}
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if rebuilt := indexDump(t, s); rebuilt != kept {
		t.Fatalf("the index kept by the writes differs from a rebuild:\nkept    %s\nrebuilt %s", kept, rebuilt)
	}
}

func refsOf(p *ledger.SearchPage) []string {
	var out []string
	for _, c := range p.Complaints {
		out = append(out, c.Ref())
	}
	for _, c := range p.Cases {
		out = append(out, c.Ref())
	}
	for _, n := range p.Notices {
		out = append(out, n.Ref())
	}
	return out
}

func search(t *testing.T, s *ledger.Service, kind ledger.SearchKind, text string, scope ledger.Scope) []string {
	t.Helper()
	p, err := s.Search(ctx, ledger.SearchQuery{Text: text, Kind: kind}, scope)
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	return refsOf(p)
}

var all = ledger.Scope{All: true}

func TestSearchFindsComplaintsAndCasesByTheirWords(t *testing.T) {
	s, clk := newService(t)
	hot := webComplaint()
	hot.Channel, hot.SourceRef, hot.Identity, hot.Contact = ledger.ChannelHotline, "SN1236920261103001", ledger.Anonymous, nil
	hot.Subject, hot.Address, hot.Description = "恒达建材有限公司", "饶峰镇丝银坝村三组", "凌晨两点搅拌站机器轰鸣，粉尘很大。"
	a := fileOne(t, s, hot)
	b := fileOne(t, s, webComplaint()) // 某砂石厂, 城关镇汉江大道107号
	caseID, err := s.Accept(ctx, b.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartVerification(ctx, caseID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordVerification(ctx, caseID, ledger.Substantiated, "属实", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	n, err := s.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "停产整改", Deadline: clk.t.AddDate(0, 0, 10),
		Problem: "该厂夜间违规生产，除尘设施未运行。"}, inspector)
	if err != nil {
		t.Fatal(err)
	}
	A, B, C, N := a.Complaint.Ref(), b.Complaint.Ref(), ledger.CaseRef(caseID), n.Ref()

	for _, tc := range []struct {
		name string
		kind ledger.SearchKind
		q    string
		want []string
	}{
		{"WordOfTheDescription", ledger.SearchComplaints, "轰鸣", []string{B, A}},
		{"PhraseOfTheDescription", ledger.SearchComplaints, "搅拌站机器", []string{A}},
		{"ReportedParty", ledger.SearchComplaints, "恒达建材", []string{A}},
		{"Address", ledger.SearchComplaints, "丝银坝村", []string{A}},
		{"AddressAndWord", ledger.SearchComplaints, "汉江大道 粉尘", []string{B}},
		{"TicketNumber", ledger.SearchComplaints, "sn1236920261103001", []string{A}},
		{"Reference", ledger.SearchComplaints, "r" + strings.TrimLeft(A[1:], "0"), []string{A}},
		{"NoSuchWord", ledger.SearchComplaints, "噪声", nil},
		{"OneWordMissing", ledger.SearchComplaints, "轰鸣 噪声", nil},
		{"CaseByTitle", ledger.SearchCases, "砂石厂", []string{C}},
		{"CaseByItsComplaintsReference", ledger.SearchCases, B, []string{C}},
		{"CaseByItsNoticeNumber", ledger.SearchCases, n.Ref(), []string{C}},
		{"CaseByItsReference", ledger.SearchCases, "c" + fmt.Sprint(caseID), []string{C}},
		{"CaseNotByAComplaintWord", ledger.SearchCases, "丝银坝村", nil},
		{"CaseByItsProblem", ledger.SearchCases, "轰鸣 休息", []string{C}},
		{"CaseByItsAddress", ledger.SearchCases, "汉江大道", []string{C}},
		{"CaseByItsNoticesProblem", ledger.SearchCases, "除尘设施", []string{C}},
		{"NoticeByItsNumber", ledger.SearchNotices, N, []string{N}},
		{"NoticeByItsNumberTypedLoosely", ledger.SearchNotices, "〔2026〕1号", []string{N}},
		{"NoticeByItsNumberInOtherBrackets", ledger.SearchNotices, "石环督整[2026]01", []string{N}},
		{"NotAnotherNumberOfTheYear", ledger.SearchNotices, "石环督整〔2026〕2号", nil},
		{"CaseNotByAnotherNoticeNumber", ledger.SearchCases, "石环督整〔2026〕11号", nil},
		{"NoticeByItsCase", ledger.SearchNotices, C, []string{N}},
		{"NoticeByItsProblem", ledger.SearchNotices, "违规生产", []string{N}},
		{"NoticeByThePlace", ledger.SearchNotices, "汉江大道", []string{N}},
		{"NoticeNotByTheCasesOwnWords", ledger.SearchNotices, "轰鸣", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := search(t, s, tc.kind, tc.q, all); !slices.Equal(got, tc.want) {
				t.Fatalf("Search(%q) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
	assertIndexInStep(t, s)
}

// TestSearchScopeOfAUnit: a unit searches its own notices, by what it
// reads on them: not another unit's, not complaints, and not the words of
// the case that the notice left out (a reporter's name, say).
func TestSearchScopeOfAUnit(t *testing.T) {
	s, clk := newService(t)
	var cases []int64
	var notices []string
	for i, unit := range []int64{1, 2} {
		in := webComplaint()
		in.Subject = fmt.Sprintf("第%d砂石厂", i+1)
		in.Description = "我是隔壁王大妈，" + in.Subject + "每天夜里机器轰鸣。"
		f := fileOne(t, s, in)
		id, err := s.Accept(ctx, f.Complaint.ID, 0, inspector, ledger.EventInput{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StartVerification(ctx, id, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordVerification(ctx, id, ledger.Partly, "部分属实", inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		n, err := s.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: unit, Requirements: "整改", Deadline: clk.t.AddDate(0, 0, 5),
			Problem: in.Subject + "夜间生产噪声扰民。"}, inspector)
		if err != nil {
			t.Fatal(err)
		}
		cases, notices = append(cases, id), append(notices, n.Ref())
	}
	unit1 := ledger.Scope{UnitID: 1}
	for _, tc := range []struct {
		name  string
		kind  ledger.SearchKind
		q     string
		scope ledger.Scope
		want  []string
	}{
		{"OwnNoticeOnly", ledger.SearchNotices, "砂石厂 噪声", unit1, []string{notices[0]}},
		{"OwnNoticeByItsCase", ledger.SearchNotices, ledger.CaseRef(cases[0]), unit1, []string{notices[0]}},
		{"AnotherUnitsNoticeByItsCase", ledger.SearchNotices, ledger.CaseRef(cases[1]), unit1, nil},
		{"AnotherUnitsNoticeByItsNumber", ledger.SearchNotices, notices[1], unit1, nil},
		{"NotByWordsTheNoticeLeftOut", ledger.SearchNotices, "王大妈", unit1, nil},
		{"NoCases", ledger.SearchCases, "砂石厂", unit1, nil},
		{"NoComplaints", ledger.SearchComplaints, "砂石厂", unit1, nil},
		{"NoUnitNoResults", ledger.SearchNotices, "砂石厂", ledger.Scope{}, nil},
		{"StaffFindTheCasesByTheirOwnWords", ledger.SearchCases, "王大妈", all, []string{ledger.CaseRef(cases[1]), ledger.CaseRef(cases[0])}},
		{"StaffSeeEveryNotice", ledger.SearchNotices, "砂石厂", all, []string{notices[1], notices[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := search(t, s, tc.kind, tc.q, tc.scope); !slices.Equal(got, tc.want) {
				t.Fatalf("Search(%q) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
	assertIndexInStep(t, s)
}

func TestSearchRefusesBadInputAndIsNotFooled(t *testing.T) {
	s, _ := newService(t)
	fileOne(t, s, webComplaint())
	for _, tc := range []struct {
		name, q string
		invalid bool
		found   int
	}{
		{"Empty", "   ", true, 0},
		{"OneCharacter", "水", true, 0},
		{"OneCharacterWord", "粉尘 水", true, 0},
		{"PunctuationOnly", "%%% ___ *", true, 0},
		{"SingleCharactersInQuotes", "粉尘' OR '1'='1", true, 0},
		{"TooLong", strings.Repeat("污", ledger.MaxSearchRunes+1), true, 0},
		{"VeryLongWord", strings.Repeat("ab", 5000), true, 0},
		{"TooManyWords", strings.Repeat("粉尘 ", ledger.MaxSearchWords+1), true, 0},
		{"ControlCharacter", "粉尘\x00", true, 0},
		{"InvalidUTF8", "粉尘\xff", true, 0},
		{"SQLInjection", "粉尘'; DROP TABLE complaints; --", false, 0},
		{"FTSSyntax", `"粉尘" OR 噪声* NEAR(ab)`, false, 0},
		{"FTSOperatorsAroundWords", `+粉尘 -"轰鸣" (砂石厂)*`, false, 1},
		{"LikeWildcards", "粉尘% _轰鸣_", false, 1},
		{"LongestAllowed", strings.Repeat("粉尘", ledger.MaxSearchRunes/2), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Search(ctx, ledger.SearchQuery{Text: tc.q, Kind: ledger.SearchComplaints}, all)
			if tc.invalid {
				if !apperr.Is(err, apperr.EINVALID) || apperr.Fields(err)["q"] == "" {
					t.Fatalf("Search(%q) = %v, want EINVALID on q", tc.q, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.q, err)
			}
			if len(p.Complaints) != tc.found {
				t.Fatalf("Search(%q) found %v, want %d", tc.q, refsOf(p), tc.found)
			}
		})
	}
	if n := count(t, s, `SELECT COUNT(*) FROM complaints`); n != 1 {
		t.Fatalf("%d complaints after the attack", n)
	}
}

func TestSearchPagesNewestFirstWithoutGapsOrRepeats(t *testing.T) {
	s, _ := newService(t)
	ledger.SetSearchWindow(t, 7, 1000) // many windows per page
	var want []string
	for i := range 23 {
		in := webComplaint()
		in.Description = fmt.Sprintf("第%d次反映：搅拌站夜间噪声很大，影响休息。", i)
		if i%3 == 0 {
			in.Description = fmt.Sprintf("第%d次反映：河道里有垃圾，气味很大。", i)
		}
		f := fileOne(t, s, in)
		if i%3 != 0 {
			want = append([]string{f.Complaint.Ref()}, want...)
		}
	}
	var got []string
	before := int64(0)
	for pages := 0; ; pages++ {
		p, err := s.Search(ctx, ledger.SearchQuery{Text: "噪声 搅拌站", Kind: ledger.SearchComplaints, Before: before, Limit: 4}, all)
		if err != nil {
			t.Fatal(err)
		}
		if p.Partial || len(p.Complaints) > 4 {
			t.Fatalf("page %d: %d results, partial %v", pages, len(p.Complaints), p.Partial)
		}
		got = append(got, refsOf(p)...)
		if p.Next == 0 {
			break
		}
		before = p.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %v\nwant %v", got, want)
	}
}

func TestSearchStopsAtItsBudgetAndGoesOn(t *testing.T) {
	s, _ := newService(t)
	ledger.SetSearchWindow(t, 5, 10) // a page checks at most 10 documents
	first := fileOne(t, s, ledger.NewComplaint{Channel: ledger.ChannelWeb, Identity: ledger.Anonymous,
		Description: "汉江边有人夜间非法采砂，噪声很大。"})
	for range 30 {
		fileOne(t, s, ledger.NewComplaint{Channel: ledger.ChannelWeb, Identity: ledger.Anonymous, Description: "夜间工地噪声扰民，无法入睡。"})
	}
	// 噪声 is on every complaint, 采砂 on the oldest only: the search walks
	// 采砂's one document, not 噪声's 31.
	if got := search(t, s, ledger.SearchComplaints, "噪声 采砂", all); !slices.Equal(got, []string{first.Complaint.Ref()}) {
		t.Fatalf("rarest first: %v", got)
	}
	// Two words on every complaint but the oldest: the first page stops
	// after ten and says so; going on from Next finds the rest.
	var got []string
	before, partial := int64(0), false
	for range 10 {
		p, err := s.Search(ctx, ledger.SearchQuery{Text: "噪声 入睡", Kind: ledger.SearchComplaints, Before: before}, all)
		if err != nil {
			t.Fatal(err)
		}
		partial = partial || p.Partial
		got = append(got, refsOf(p)...)
		if p.Next == 0 {
			break
		}
		before = p.Next
	}
	if len(got) != 30 || !partial {
		t.Fatalf("found %d of 30 (partial pages: %v)", len(got), partial)
	}
}

func TestSearchIndexKeptInStepUnderParallelFilings(t *testing.T) {
	s, _ := newService(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := webComplaint()
			in.Subject = fmt.Sprintf("并发%d号厂", i)
			if _, err := s.File(ctx, in, ledger.Resident); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := search(t, s, ledger.SearchComplaints, "并发 号厂", all); len(got) != 16 {
		t.Fatalf("found %d of 16", len(got))
	}
	assertIndexInStep(t, s)
}

func TestIndexIfEmptyBuildsTheIndexOfAnOldDatabase(t *testing.T) {
	s, _ := newService(t)
	f := fileOne(t, s, webComplaint())
	if _, err := s.DB.Exec(`DELETE FROM search_terms`); err != nil { // as before the index existed
		t.Fatal(err)
	}
	if got := search(t, s, ledger.SearchComplaints, "砂石厂", all); got != nil {
		t.Fatalf("found %v in an empty index", got)
	}
	n, err := s.IndexIfEmpty(ctx)
	if err != nil || n != 1 {
		t.Fatalf("IndexIfEmpty = %d, %v", n, err)
	}
	if got := search(t, s, ledger.SearchComplaints, "砂石厂", all); !slices.Equal(got, []string{f.Complaint.Ref()}) {
		t.Fatalf("after building: %v", got)
	}
	if n, err := s.IndexIfEmpty(ctx); err != nil || n != 0 {
		t.Fatalf("second IndexIfEmpty = %d, %v", n, err)
	}
}

// TestBulkFilingIsIndexedByTheCatchUp: complaints filed in bulk wait in
// the backlog (search does not find them yet), the catch-up indexer
// writes their terms, and a complaint whose text changed while it waited
// is indexed as it stands, once.
func TestBulkFilingIsIndexedByTheCatchUp(t *testing.T) {
	s, _ := newService(t)
	ins := make([]ledger.NewComplaint, 3)
	for i := range ins {
		ins[i] = webComplaint()
		ins[i].Channel, ins[i].SourceRef, ins[i].Identity, ins[i].Contact = ledger.ChannelHotline, fmt.Sprintf("SN%03d", i), ledger.Anonymous, nil
		ins[i].Subject = []string{"恒达建材有限公司", "汉江砂石场", "青山养殖场"}[i]
	}
	var filed []ledger.Filed
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		filed, err = s.FileBulkTx(ctx, tx, ins, inspector)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, ledger.SearchComplaints, "恒达建材", all); len(got) != 0 {
		t.Fatalf("found before the catch-up: %v", got)
	}
	if n, err := s.Backlog(ctx); err != nil || n != 3 {
		t.Fatalf("backlog %d (%v), want 3", n, err)
	}
	// The third changes while it waits (a ticket exported again).
	c := filed[2].Complaint
	before := ledger.TextOf(&c)
	after := before
	after.Subject = "青山生猪养殖合作社"
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE complaints SET subject = ? WHERE id = ?`, after.Subject, c.ID); err != nil {
			return err
		}
		return s.ReindexComplaintTx(ctx, tx, before, after)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Backlog(ctx); n != 2 {
		t.Fatalf("backlog %d after the update, want 2", n)
	}
	if n, err := s.IndexBacklog(ctx, 1); err != nil || n != 1 {
		t.Fatalf("IndexBacklog(1) = %d, %v", n, err)
	}
	if n, err := s.CatchUp(ctx); err != nil || n != 1 {
		t.Fatalf("CatchUp = %d, %v", n, err)
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"恒达建材", []string{filed[0].Complaint.Ref()}},
		{"汉江砂石场", []string{filed[1].Complaint.Ref()}},
		{"生猪养殖合作社", []string{c.Ref()}},
	} {
		if got := search(t, s, ledger.SearchComplaints, tc.text, all); !slices.Equal(got, tc.want) {
			t.Errorf("search %q = %v, want %v", tc.text, got, tc.want)
		}
	}
	if n, err := s.CatchUp(ctx); err != nil || n != 0 {
		t.Fatalf("second CatchUp = %d, %v", n, err)
	}
	assertIndexInStep(t, s)
}

package office_test

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/ledger"
)

var (
	rowRE  = regexp.MustCompile(`<div class="box row" id="c(\d+)">`)
	hrefRE = func(label string) *regexp.Regexp {
		return regexp.MustCompile(`<a href="([^"]+)"[^>]*>` + label + `</a>`)
	}
	facetRE = func(label string) *regexp.Regexp {
		return regexp.MustCompile(`<a href="([^"]+)"[^>]*>` + label + ` <span class="n">(\d+)</span></a>`)
	}
)

// TestInboxPagesAndFilters: 120 complaints, 50 a page, walked with the
// page links to the end and back; the sidebar counts what each filter shows.
func TestInboxPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	ins := make([]ledger.NewComplaint, 120)
	for i := range ins {
		ins[i] = webComplaint()
		if i%4 == 0 {
			ins[i].TownID = 2
		}
	}
	var want []string
	if err := e.db.InTx(ctx, func(tx *sqlx.Tx) error {
		fs, err := e.ledger.FileManyTx(ctx, tx, ins, ledger.Resident)
		for _, f := range fs {
			want = append(want, strconv.FormatInt(f.Complaint.ID, 10))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insp := e.session("inspector")
	rows := func(body string) []string {
		var out []string
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	link := func(body, label string) string {
		t.Helper()
		m := hrefRE(label).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}

	w := insp.get("/office/inbox")
	mustContain(t, w, "符合条件 120 件", `<a href="/office/complaints/`+want[0]+`"><strong>`)
	var got []string
	for body := w.Body.String(); ; {
		got = append(got, rows(body)...)
		next := link(body, "下一页")
		if next == "" {
			break
		}
		body = insp.get(next).Body.String()
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("forwards %v", got)
	}
	last := insp.get(link(w.Body.String(), "最后一页")).Body.String()
	if r := rows(last); len(r) != 50 || r[49] != want[119] || link(last, "下一页") != "" {
		t.Fatalf("last page %v", r)
	}
	prev := insp.get(link(last, "上一页")).Body.String()
	if r := rows(prev); len(r) != 50 || r[49] != want[69] {
		t.Fatalf("the page before the last %v", r)
	}

	m := facetRE("饶峰镇").FindStringSubmatch(w.Body.String())
	if m == nil || m[2] != "30" {
		t.Fatalf("facet 饶峰镇: %v", m)
	}
	town := insp.get(html.UnescapeString(m[1])).Body.String()
	if r := rows(town); len(r) != 30 || !strings.Contains(town, "符合条件 30 件") || !strings.Contains(town, `aria-current="true">饶峰镇`) {
		t.Fatalf("filtered by town: %d rows", len(r))
	}
	if off := facetRE("饶峰镇").FindStringSubmatch(town); off == nil || html.UnescapeString(off[1]) != "/office/inbox" {
		t.Fatalf("a current filter's link clears it: %v", off)
	}
	// A filter spanning pages keeps itself on every page link: 城关镇 holds
	// 90, walked forwards and from its last page.
	var inTown []string
	for i, id := range want {
		if i%4 != 0 {
			inTown = append(inTown, id)
		}
	}
	m = facetRE("城关镇").FindStringSubmatch(w.Body.String())
	got = nil
	first := insp.get(html.UnescapeString(m[1])).Body.String()
	for body := first; ; {
		got = append(got, rows(body)...)
		next := link(body, "下一页")
		if next == "" {
			break
		}
		if !strings.Contains(next, "town=1") {
			t.Fatalf("the next page drops the filter: %s", next)
		}
		body = insp.get(next).Body.String()
	}
	if strings.Join(got, ",") != strings.Join(inTown, ",") {
		t.Fatalf("城关镇 forwards %v", got)
	}
	last = insp.get(link(first, "最后一页")).Body.String()
	prev = insp.get(link(last, "上一页")).Body.String()
	if r := rows(last); len(r) != 50 || r[49] != inTown[89] || rows(prev)[0] != inTown[0] || !strings.Contains(last, "符合条件 90 件") {
		t.Fatalf("城关镇 from the end: %v / %v", r, rows(prev))
	}

	for _, bad := range []string{"?after=garbage", "?before=1.x", "?town=abc", "?channel=fax&category=%27;--"} {
		if w := insp.get("/office/inbox" + bad); w.Code != 200 || len(rows(w.Body.String())) != 50 {
			t.Fatalf("%s: %d, %d rows", bad, w.Code, len(rows(w.Body.String())))
		}
	}
}

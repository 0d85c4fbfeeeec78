package hotline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
)

// ledgerTables are what an import may change: the ledger itself (complaints,
// their cases and timelines), the versions of the tickets, the quarantine and
// the audit log. import_batches is left out: every import is a batch of its
// own, by design.
var ledgerTables = []string{"complaints", "cases", "events", "ticket_versions", "import_rejects", "audit_log"}

// ledgerSnapshot dumps every row of the ledger tables, every column, in id
// order: two snapshots are equal only when nothing at all changed.
func ledgerSnapshot(tb testing.TB, d *db.DB) string {
	tb.Helper()
	var b strings.Builder
	for _, table := range ledgerTables {
		rows, err := d.Queryx(`SELECT * FROM ` + table + ` ORDER BY id`)
		if err != nil {
			tb.Fatal(err)
		}
		n := 0
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				tb.Fatal(err)
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Fprintf(&b, "%s:", table)
			for _, k := range keys {
				v := m[k]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", k, v)
			}
			b.WriteByte('\n')
			n++
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
		fmt.Fprintf(&b, "%s: %d rows\n", table, n)
	}
	return b.String()
}

// sampleFiles are the four sample exports in name order.
func sampleFiles(tb testing.TB) []string {
	tb.Helper()
	dir := impSampleDir(tb)
	var out []string
	for _, n := range []string{"01-12369-utf8-bom.csv", "02-12369-gbk-title.csv", "03-12369-reexport.csv", "04-12369-export.xlsx"} {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err != nil {
			tb.Skip("sample missing: " + n)
		}
		out = append(out, p)
	}
	return out
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// firstPass imports the samples once in name order.
func firstPass(tb testing.TB, im *Importer, files []string) {
	tb.Helper()
	for _, f := range files {
		impFile(tb, im, f)
	}
}

// againChangesNothing imports one sample after the first pass and checks
// the receipt (the file is known, nothing imported or updated, the older
// re-export's predecessor stale) and that the ledger is as before.
func againChangesNothing(t *testing.T, d *db.DB, im *Importer, file, want string) {
	t.Helper()
	rc := impFile(t, im, file)
	name := filepath.Base(file)
	if rc.Imported != 0 || rc.Updated != 0 {
		t.Fatalf("%s again: %+v, want nothing imported or updated", name, countsOf(rc))
	}
	wantStale := 0
	if strings.HasPrefix(name, "01-") {
		wantStale = 5 // 03 re-exported five of its tickets with newer texts
	}
	if rc.Stale != wantStale {
		t.Errorf("%s again: %d stale, want %d", name, rc.Stale, wantStale)
	}
	if rc.Previous == nil || rc.Previous.Status != BatchDone || !strings.HasPrefix(rc.SeenBefore(nil), "此文件已于") {
		t.Errorf("%s again: the receipt does not say the file was imported before (%+v)", name, rc.Previous)
	}
	if got := ledgerSnapshot(t, d); got != want {
		t.Fatalf("%s again changed the ledger:\n%s", name, lineDiff(want, got))
	}
}

// lineDiff shows the lines one snapshot has and the other lacks.
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ia, ib := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !ib[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ia[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "…")
	}
	return strings.Join(out, "\n")
}

// TestSamplesInAnyOrderLeaveTheLedgerAsTheFirstPassLeftIt is the round trip
// an operator makes by mistake: after the four samples are imported once in
// name order, importing them again in any of the 24 orders, and each file
// twice more, reports nothing imported or updated and changes nothing. On
// SQLite each order gets a database of its own; on MariaDB, where a database
// takes seconds to create, one database sees every order in turn (which is
// "any number of times" as well).
func TestSamplesInAnyOrderLeaveTheLedgerAsTheFirstPassLeftIt(t *testing.T) {
	files := sampleFiles(t)
	perms := permutations(len(files))
	if len(perms) != 24 {
		t.Fatalf("%d orders", len(perms))
	}
	order := func(p []int) string {
		s := make([]string, len(p))
		for i, j := range p {
			s[i] = filepath.Base(files[j])[:2]
		}
		return strings.Join(s, "-")
	}
	shared := os.Getenv(dbtest.EnvMySQL) != ""
	var d *db.DB
	var im *Importer
	var want string
	if shared {
		d = dbtest.MustOpenDB(t)
		im = impNew(t, d)
		firstPass(t, im, files)
		want = ledgerSnapshot(t, d)
	}
	for _, p := range perms {
		t.Run("Order"+order(p), func(t *testing.T) {
			if !shared {
				d = dbtest.MustOpenDB(t)
				im = impNew(t, d)
				firstPass(t, im, files)
				want = ledgerSnapshot(t, d)
			}
			for _, j := range p {
				againChangesNothing(t, d, im, files[j], want)
			}
		})
	}
	t.Run("EachFileTwice", func(t *testing.T) {
		if !shared {
			d = dbtest.MustOpenDB(t)
			im = impNew(t, d)
			firstPass(t, im, files)
			want = ledgerSnapshot(t, d)
		}
		for _, f := range files {
			againChangesNothing(t, d, im, f, want)
			againChangesNothing(t, d, im, f, want)
		}
	})
}

func ticketDescription(tb testing.TB, d *db.DB, ticketNo string) string {
	tb.Helper()
	var s string
	if err := d.Get(&s, `SELECT description FROM complaints WHERE source_ref = ?`, ticketNo); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestOlderFileIsStaleAndChangesNothing: yesterday's export picked by
// mistake after today's re-export. Its five older rows are stale, named with
// the batch whose version superseded them, and nothing of the ledger moves,
// not even on a ticket already accepted into a case.
func TestOlderFileIsStaleAndChangesNothing(t *testing.T) {
	files := sampleFiles(t)
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	first := impFile(t, im, files[0])
	reexport := impFile(t, im, files[2])
	if reexport.Updated != 5 || reexport.Previous != nil {
		t.Fatalf("re-export: %+v, previous %+v", countsOf(reexport), reexport.Previous)
	}
	var id int64
	if err := d.Get(&id, `SELECT id FROM complaints WHERE source_ref = '12369SQ202610270001'`); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Ledger.Accept(ctx, id, 0, ledger.Actor{Name: "核查员"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	want := ledgerSnapshot(t, d)

	rc := impFile(t, im, files[0])
	if got := countsOf(rc); got != (impCounts{Unchanged: 25, Stale: 5}) {
		t.Fatalf("older file: %+v", got)
	}
	if rc.Previous == nil || rc.Previous.ID != first.BatchID {
		t.Fatalf("previous import %+v, want batch %d", rc.Previous, first.BatchID)
	}
	if line := rc.SeenBefore(nil); !strings.Contains(line, fmt.Sprintf("（批次 %d）", first.BatchID)) {
		t.Errorf("seen-before line %q", line)
	}
	for _, r := range rc.Rows {
		if r.Outcome != OutcomeStale {
			continue
		}
		if r.SupersededBy != reexport.BatchID || !strings.Contains(r.Note, fmt.Sprintf("批次 %d ", reexport.BatchID)) {
			t.Errorf("stale row %d: %q (by %d), want batch %d named", r.Row, r.Note, r.SupersededBy, reexport.BatchID)
		}
	}
	if got := ledgerSnapshot(t, d); got != want {
		t.Fatalf("the older file changed the ledger:\n%s", lineDiff(want, got))
	}
	if desc := ticketDescription(t, d, "12369SQ202610270001"); !strings.Contains(desc, "再次来电") {
		t.Fatalf("the accepted ticket went back to its older text: %q", desc)
	}
	hist, err := im.History(ctx, 1)
	if err != nil || hist[0].Stale != 5 || hist[0].Unchanged != 25 {
		t.Fatalf("history %+v %v", hist, err)
	}
}

// TestUpdateTimeOrdersVersions: with an update-time column (更新时间, or
// 最后处理时间 as 12345 systems write it) an older row is stale even when the
// ledger never saw its content; without one, a new version is taken as newer.
func TestUpdateTimeOrdersVersions(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	imp := func(name, header, row string) *Receipt {
		t.Helper()
		rc, err := im.Import(ctx, strings.NewReader(header+"\n"+row+"\n"), name, "测试员", nil)
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	const timed = "工单编号,来电时间,举报内容,更新时间"
	steps := []struct {
		name, header, row string
		outcome, desc     string
	}{
		{"OKFirst", timed, "U001,2026-11-03 14:22,河道排污（一）,2026-11-05 10:00", OutcomeImported, "河道排污（一）"},
		{"StaleByTime", timed, "U001,2026-11-03 14:22,河道排污（旧）,2026-11-04 09:00", OutcomeStale, "河道排污（一）"},
		{"OKNewer", "工单编号,来电时间,举报内容,最后处理时间", "U001,2026-11-03 14:22,河道排污（二）,2026/11/6 08:30", OutcomeUpdated, "河道排污（二）"},
		{"StaleEarlierVersion", timed, "U001,2026-11-03 14:22,河道排污（一）,2026-11-05 10:00", OutcomeStale, "河道排污（二）"},
		{"OKTouchedAgain", timed, "U001,2026-11-03 14:22,河道排污（二）,2026-11-07 08:00", OutcomeUpdated, "河道排污（二）"},
		{"OKWithoutTimeIsNewer", "工单编号,来电时间,举报内容", "U001,2026-11-03 14:22,河道排污（三）", OutcomeUpdated, "河道排污（三）"},
		{"StaleByTimeAfterUntimed", timed, "U001,2026-11-03 14:22,河道排污（四）,2026-11-06 09:00", OutcomeStale, "河道排污（三）"},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := ledgerSnapshot(t, d)
			rc := imp(fmt.Sprintf("u%d.csv", i), s.header, s.row)
			if len(rc.Rows) != 1 || rc.Rows[0].Outcome != s.outcome {
				t.Fatalf("rows %+v, want %s", rc.Rows, s.outcome)
			}
			if got := ticketDescription(t, d, "U001"); got != s.desc {
				t.Fatalf("description %q, want %q", got, s.desc)
			}
			if s.outcome == OutcomeStale {
				if !strings.HasPrefix(rc.Rows[0].Note, "比台账旧") {
					t.Errorf("note %q", rc.Rows[0].Note)
				}
				if after := ledgerSnapshot(t, d); after != before {
					t.Errorf("a stale row changed the ledger:\n%s", lineDiff(before, after))
				}
			}
		})
	}
	var versions int
	if err := d.Get(&versions, `SELECT COUNT(*) FROM ticket_versions v JOIN complaints c ON c.id = v.complaint_id WHERE c.source_ref = 'U001'`); err != nil {
		t.Fatal(err)
	}
	if versions != 4 {
		t.Errorf("%d versions kept, want 4 (imported, two updates, one without a time)", versions)
	}
}

// TestReimportAfterFixKeepsTheFix: a rejected row fixed by an operator is
// not put back in quarantine when its file is imported again; it is older
// than the ledger.
func TestReimportAfterFixKeepsTheFix(t *testing.T) {
	files := sampleFiles(t)
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	impFile(t, im, files[1])
	q, err := im.Quarantine(ctx, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("quarantine %d %v", len(q), err)
	}
	var fix map[string]string
	for _, f := range q[0].Raw() {
		if strings.Contains(f.Name, "内容") && strings.TrimSpace(f.Value) == "" {
			fix = map[string]string{f.Name: "补录的举报内容：河道排污"}
		}
		if strings.Contains(f.Name, "时间") && strings.Contains(q[0].Reason, "无法识别") {
			fix = map[string]string{f.Name: "2026-11-20 10:00"}
		}
	}
	if _, err := im.FixReject(ctx, q[0].ID, fix, "测试员"); err != nil {
		t.Fatalf("fix %v: %v", fix, err)
	}
	want := ledgerSnapshot(t, d)
	rc := impFile(t, im, files[1])
	if got := countsOf(rc); got != (impCounts{Unchanged: 18, Stale: 1, Rejected: 1}) {
		t.Fatalf("again after the fix: %+v", got)
	}
	if got := ledgerSnapshot(t, d); got != want {
		t.Fatalf("importing again after a fix changed the ledger:\n%s", lineDiff(want, got))
	}
	if q, _ := im.Quarantine(ctx, 10); len(q) != 1 {
		t.Fatalf("quarantine holds %d rows, want the one still waiting", len(q))
	}
}

// TestParallelReexportsUpdateOnce: the same re-export imported by several
// operators at once updates each ticket once, with one version and one
// timeline event each; the others find it unchanged.
func TestParallelReexportsUpdateOnce(t *testing.T) {
	files := sampleFiles(t)
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	impFile(t, im, files[0])
	const n = 4
	var wg sync.WaitGroup
	rcs := make([]*Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Open(files[2])
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			rcs[i], errs[i] = im.Import(context.Background(), f, "03.csv", fmt.Sprintf("操作员%d", i), nil)
		}()
	}
	wg.Wait()
	updated := 0
	for i := range n {
		if errs[i] != nil {
			if apperr.Is(errs[i], apperr.ECONFLICT) {
				t.Fatalf("import %d gave up on a conflict: %v", i, errs[i])
			}
			t.Fatalf("import %d: %v", i, errs[i])
		}
		updated += rcs[i].Updated
		if rcs[i].Imported != 0 || rcs[i].Stale != 0 {
			t.Errorf("import %d: %+v", i, countsOf(rcs[i]))
		}
	}
	var events, versions int
	d.Get(&events, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.updated'`)
	d.Get(&versions, `SELECT COUNT(*) FROM ticket_versions`)
	if updated != 5 || events != 5 || versions != 35 {
		t.Fatalf("%d updates reported, %d events, %d versions; want 5, 5, 35", updated, events, versions)
	}
}

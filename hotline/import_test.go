package hotline

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

const impSamples = "../../shared/samples/hotline"

// impSampleDir finds the shared samples, or the copy in testdata.
func impSampleDir(tb testing.TB) string {
	tb.Helper()
	for _, d := range []string{impSamples, "testdata"} {
		if _, err := os.Stat(filepath.Join(d, "expected.json")); err == nil {
			return d
		}
	}
	tb.Skip("hotline samples not found")
	return ""
}

func impNew(tb testing.TB, d *db.DB) *Importer {
	tb.Helper()
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return &Importer{Ledger: ledger.NewService(d, keys), DB: d}
}

func impFile(tb testing.TB, im *Importer, path string) *Receipt {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rc, err := im.Import(context.Background(), f, filepath.Base(path), "测试员", nil)
	if err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
	return rc
}

type impCounts struct{ Imported, Updated, Unchanged, Rejected, Stale int }

func countsOf(rc *Receipt) impCounts {
	return impCounts{rc.Imported, rc.Updated, rc.Unchanged, rc.Rejected, rc.Stale}
}

// impDump is a canonical dump of the hotline complaints.
func impDump(tb testing.TB, d *db.DB) string {
	tb.Helper()
	var rows []struct {
		Ref    string        `db:"source_ref"`
		Status string        `db:"status"`
		Cats   string        `db:"categories"`
		Town   sql.NullInt64 `db:"town_id"`
		Hash   string        `db:"source_hash"`
	}
	if err := d.Select(&rows, `SELECT source_ref, status, categories, town_id, source_hash FROM complaints WHERE channel = 'hotline' ORDER BY source_ref`); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s|%s|%s|%v|%s\n", r.Ref, r.Status, r.Cats, r.Town, r.Hash)
	}
	return b.String()
}

func countsOf2(c impCounts) int { return c.Imported + c.Updated + c.Unchanged + c.Rejected + c.Stale }

func TestImportSamples(t *testing.T) {
	dir := impSampleDir(t)
	var expected map[string]impCounts
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]int
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	expected = map[string]impCounts{}
	var names []string
	for n, c := range raw {
		expected[n] = impCounts{c["imported"], c["updated"], c["unchanged"], c["rejected"], c["stale"]}
		names = append(names, n)
	}
	sort.Strings(names)

	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	for _, n := range names {
		rc := impFile(t, im, filepath.Join(dir, n))
		if got := countsOf(rc); got != expected[n] {
			t.Errorf("%s: got %+v, want %+v; rejects %+v", n, got, expected[n], rc.Rejects)
		}
		if len(rc.SHA256) != 64 || rc.BatchID == 0 {
			t.Errorf("%s: receipt %+v", n, rc)
		}
		for _, r := range rc.Rows {
			if r.Outcome == OutcomeImported && len(r.TrackingCode) != 19 {
				t.Errorf("%s row %d: tracking code %q", n, r.Row, r.TrackingCode)
			}
			if r.Outcome == OutcomeUpdated && len(r.Changed) == 0 {
				t.Errorf("%s row %d: updated without a change named", n, r.Row)
			}
		}
		// The same file again, at once: nothing changes.
		before := impDump(t, d)
		rc = impFile(t, im, filepath.Join(dir, n))
		want := impCounts{Unchanged: rc.Total() - expected[n].Rejected, Rejected: expected[n].Rejected}
		if got := countsOf(rc); got != want || rc.Total() != countsOf2(expected[n]) {
			t.Errorf("second run of %s: got %+v, want %+v", n, got, want)
		}
		if after := impDump(t, d); after != before {
			t.Errorf("second run of %s changed the ledger", n)
		}
	}
	var pending int
	if err := d.Get(&pending, `SELECT COUNT(*) FROM import_rejects WHERE status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	if pending != 2 {
		t.Errorf("quarantine holds %d rows, want 2 (a second run must not duplicate them)", pending)
	}
	var updates int
	if err := d.Get(&updates, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.updated'`); err != nil {
		t.Fatal(err)
	}
	if updates != 5 {
		t.Errorf("%d update events, want 5", updates)
	}
	var batches []Batch
	if batches, err = im.History(context.Background(), 100); err != nil || len(batches) != 2*len(names) {
		t.Fatalf("history: %d batches, %v", len(batches), err)
	}
	for _, b := range batches {
		if b.Status != BatchDone || !b.FinishedAt.Valid || b.SHA256 == "" {
			t.Errorf("batch %+v", b)
		}
	}
}

// impCSV writes n generated tickets (ticket numbers from start) as CSV.
func impCSV(n, start int, dup bool) []byte {
	var b bytes.Buffer
	b.WriteString("工单编号,来电时间,来电人,来电号码,所属乡镇,污染类型,举报内容,备注\n")
	towns := DefaultTowns()
	for i := 0; i < n; i++ {
		k := start + i
		fmt.Fprintf(&b, "T%08d,2026-10-%02d 08:%02d:00,张三,1380000%04d,%s,%s,第%d号工单：夜间噪声扰民,备%d\n",
			k, 1+k%28, k%60, k%10000, towns[k%len(towns)], []string{"噪声", "废气", "水污染、噪音", "采砂"}[k%4], k, k)
		if dup && i == n/2 {
			// the same ticket again later in the file, content changed
			fmt.Fprintf(&b, "T%08d,2026-10-%02d 08:%02d:00,张三,1380000%04d,%s,%s,第%d号工单：再次来电,备%d\n",
				start, 1+start%28, start%60, start%10000, towns[start%len(towns)], "噪声", start, start)
		}
	}
	b.WriteString(",2026-10-01,,,,,没有工单号,\n")
	return b.Bytes()
}

func TestImportDuplicateInFileLaterRowWins(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	im.BatchSize = 7
	data := impCSV(20, 1, true)
	rc, err := im.Import(context.Background(), bytes.NewReader(data), "dup.csv", "测试员", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := countsOf(rc); got != (impCounts{Imported: 20, Updated: 1, Rejected: 1}) {
		t.Fatalf("got %+v", got)
	}
	rc, err = im.Import(context.Background(), bytes.NewReader(data), "dup.csv", "测试员", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The second run sees the first row's content, an earlier version of
	// the ticket (stale), then the later row, the ledger's (unchanged): the
	// later row wins, and running the file again changes nothing.
	if got := countsOf(rc); got != (impCounts{Unchanged: 20, Stale: 1, Rejected: 1}) {
		t.Fatalf("second run: got %+v", got)
	}
	var desc string
	if err := d.Get(&desc, `SELECT description FROM complaints WHERE source_ref = 'T00000001'`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(desc, "再次来电") {
		t.Fatalf("later row did not win: %q", desc)
	}
}

// TestImportInterruptedThenRerun stops an import after some batches
// (cancelled context, and a closed database handle) and checks that running
// it again ends with the ledger of one clean run.
func TestImportInterruptedThenRerun(t *testing.T) {
	data := impCSV(120, 1, false)
	clean := dbtest.MustOpenDB(t)
	im := impNew(t, clean)
	im.BatchSize = 25
	if _, err := im.Import(context.Background(), bytes.NewReader(data), "a.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	want := impDump(t, clean)

	t.Run("Cancelled", func(t *testing.T) {
		d := dbtest.MustOpenDB(t)
		im := impNew(t, d)
		im.BatchSize = 25
		ctx, cancel := context.WithCancel(context.Background())
		rc, err := im.Import(ctx, bytes.NewReader(data), "a.csv", "测试员", func(rows int) {
			if rows >= 50 {
				cancel()
			}
		})
		// The batches being written when it stopped may commit or not
		// (two writers on a server): the receipt counts what committed.
		if !errors.Is(err, ErrDatabase) || rc.Imported < 50 || rc.Imported > 75 || rc.Imported%25 != 0 {
			t.Fatalf("interrupted import: %v, %+v", err, countsOf(rc))
		}
		if n := impCount(t, d); n != rc.Imported {
			t.Fatalf("receipt says %d imported, the ledger holds %d", rc.Imported, n)
		}
		first := rc.Imported
		rc, err = im.Import(context.Background(), bytes.NewReader(data), "a.csv", "测试员", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := countsOf(rc); got != (impCounts{Imported: 120 - first, Unchanged: first, Rejected: 1}) {
			t.Fatalf("rerun: %+v", got)
		}
		if got := impDump(t, d); got != want {
			t.Fatal("ledger after rerun differs from a clean run")
		}
		var failed int
		d.Get(&failed, `SELECT COUNT(*) FROM import_batches WHERE status = 'failed'`)
		if failed != 1 {
			t.Errorf("%d failed batches recorded, want 1", failed)
		}
	})
	t.Run("DatabaseGone", func(t *testing.T) {
		d, spec := dbtest.MustOpenDBSpec(t)
		other, err := db.Open(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		im := impNew(t, other)
		im.BatchSize = 25
		rc, err := im.Import(context.Background(), bytes.NewReader(data), "a.csv", "测试员", func(rows int) {
			if rows >= 75 {
				other.Close() // the connection goes away mid-import
			}
		})
		if !errors.Is(err, ErrDatabase) {
			t.Fatalf("want a database error, got %v", err)
		}
		// Closing the handle lets the batches being written finish
		// (two writers on a server, which may finish out of order): the
		// receipt counts what committed.
		if rc.Imported < 75 {
			t.Fatalf("committed before the fault: %+v", countsOf(rc))
		}
		if n := impCount(t, d); n != rc.Imported {
			t.Fatalf("receipt says %d imported, the ledger holds %d", rc.Imported, n)
		}
		first := rc.Imported
		im = impNew(t, d)
		rc, err = im.Import(context.Background(), bytes.NewReader(data), "a.csv", "测试员", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := countsOf(rc); got != (impCounts{Imported: 120 - first, Unchanged: first, Rejected: 1}) {
			t.Fatalf("rerun: %+v", got)
		}
		if got := impDump(t, d); got != want {
			t.Fatal("ledger after rerun differs from a clean run")
		}
	})
}

func impCount(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Get(&n, `SELECT COUNT(*) FROM complaints`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportUnreadableFile(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	_, err := im.Import(context.Background(), strings.NewReader("a,b\n1,2\n"), "x.csv", "测试员", nil)
	if !errors.Is(err, ErrRead) || !errors.Is(err, ErrNoHeader) {
		t.Fatalf("got %v", err)
	}
}

func TestFixReject(t *testing.T) {
	dir := impSampleDir(t)
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	rc := impFile(t, im, filepath.Join(dir, "02-12369-gbk-title.csv"))
	if len(rc.Rejects) != 2 {
		t.Fatalf("rejects %+v", rc.Rejects)
	}
	// Both rejected rows have a readable ticket number (one an empty
	// content, one an impossible time): the receipt and the quarantine keep it.
	for _, r := range rc.Rejects {
		if !strings.HasPrefix(r.TicketNo, "12369SQ") {
			t.Errorf("reject of row %d without its ticket number: %+v", r.Row, r)
		}
	}
	for _, r := range rc.Rows {
		if r.Outcome == OutcomeRejected && !strings.HasPrefix(r.TicketNo, "12369SQ") {
			t.Errorf("rejected row %d without its ticket number: %+v", r.Row, r)
		}
	}
	q, err := im.Quarantine(context.Background(), 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("quarantine %d %v", len(q), err)
	}
	for _, r := range q {
		if !strings.HasPrefix(r.TicketNo, "12369SQ") {
			t.Errorf("quarantined row %d without its ticket number: %+v", r.Row, r)
		}
	}
	ctx := context.Background()
	for _, r := range q {
		t.Run(fmt.Sprintf("Row%d", r.Row), func(t *testing.T) {
			// Still wrong: nothing changes.
			_, err := im.FixReject(ctx, r.ID, map[string]string{}, "测试员")
			if !apperr.Is(err, apperr.EINVALID) {
				t.Fatalf("unfixed row: %v", err)
			}
			fields := map[string]string{}
			for _, f := range r.Raw() {
				fields[f.Name] = f.Value
			}
			for name := range fields {
				switch {
				case strings.Contains(name, "编号") || name == "工单号":
					if strings.TrimSpace(fields[name]) == "" {
						fields[name] = fmt.Sprintf("FIX%d", r.ID)
					}
				case strings.Contains(name, "时间"):
					fields[name] = "2026-11-20 10:00"
				case strings.Contains(name, "内容"):
					if strings.TrimSpace(fields[name]) == "" {
						fields[name] = "补录的举报内容"
					}
				}
			}
			rc, err := im.FixReject(ctx, r.ID, fields, "测试员")
			if err != nil {
				t.Fatalf("fix %+v: %v", fields, err)
			}
			// The fixed row keeps its number in the original file.
			if len(rc.Rows) != 1 || rc.Rows[0].Row != r.Row || rc.Rows[0].TicketNo != r.TicketNo {
				t.Fatalf("fix receipt rows %+v, want row %d ticket %s", rc.Rows, r.Row, r.TicketNo)
			}
			if rc.Imported+rc.Updated+rc.Unchanged != 1 {
				t.Fatalf("fix receipt %+v", countsOf(rc))
			}
			got, err := im.Reject(ctx, r.ID)
			if err != nil || got.Status != RejectFixed || !got.ComplaintID.Valid {
				t.Fatalf("after fix %+v %v", got, err)
			}
			if _, err := im.FixReject(ctx, r.ID, fields, "测试员"); !apperr.Is(err, apperr.ECONFLICT) {
				t.Fatalf("second fix: %v", err)
			}
		})
	}
	if q, _ := im.Quarantine(ctx, 10); len(q) != 0 {
		t.Fatalf("quarantine still holds %d", len(q))
	}
	_ = time.Now
}

// TestImportKeepsTheSearchIndexInStep imports every sample twice (new
// tickets, tickets exported again with changes) and checks that the search
// index the import and the catch-up indexer kept is the one a rebuild from
// the complaints makes.
func TestImportKeepsTheSearchIndexInStep(t *testing.T) {
	dir := impSampleDir(t)
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	im.IndexLater = true
	names, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".md") {
			continue
		}
		impFile(t, im, n)
	}
	var updates int
	if err := d.Get(&updates, `SELECT COUNT(*) FROM events WHERE kind = 'complaint.updated'`); err != nil || updates == 0 {
		t.Fatalf("%d updated tickets (%v): the samples no longer test an update", updates, err)
	}
	dump := func() string {
		var rows []string
		if err := d.Select(&rows, `SELECT CONCAT(kind, '/', ref_id, '/', term) FROM search_terms ORDER BY kind, ref_id, term`); err != nil {
			t.Fatal(err)
		}
		return strings.Join(rows, " ")
	}
	// New tickets wait for the catch-up indexer; updated ones were
	// indexed in full or moved in step by their update.
	waiting, err := im.Ledger.Backlog(context.Background())
	if err != nil || waiting == 0 {
		t.Fatalf("%d complaints waiting for the index (%v): the import no longer defers it", waiting, err)
	}
	if n, err := im.Ledger.CatchUp(context.Background()); err != nil || n == 0 || n > waiting {
		t.Fatalf("catch-up indexed %d of %d: %v", n, waiting, err)
	}
	if left, _ := im.Ledger.Backlog(context.Background()); left != 0 {
		t.Fatalf("%d left in the backlog after catching up", left)
	}
	kept := dump()
	if _, err := im.Ledger.Reindex(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dump(); rebuilt != kept || kept == "" {
		t.Fatalf("the index kept by the import differs from a rebuild:\nkept    %.300s\nrebuilt %.300s", kept, rebuilt)
	}
}

// TestImportReadsTheTownsOfTheLedger: the towns an import recognises are
// the ledger's as the administrators keep them: a renamed town is found
// by its new name and still by its old one, and its old tickets keep it.
func TestImportReadsTheTownsOfTheLedger(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	ctx := context.Background()
	towns := func() map[string]int64 {
		var rows []struct {
			Ref  string        `db:"source_ref"`
			Town sql.NullInt64 `db:"town_id"`
		}
		if err := d.Select(&rows, `SELECT source_ref, town_id FROM complaints ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, r := range rows {
			m[r.Ref] = r.Town.Int64
		}
		return m
	}
	csv := func(rows ...string) []byte {
		return []byte("工单编号,来电时间,来电人,来电号码,所属乡镇,污染类型,举报内容\n" + strings.Join(rows, "\n") + "\n")
	}
	if _, err := im.Import(ctx, bytes.NewReader(csv("A1,2026-10-01 08:00:00,张三,13800000001,城关镇,噪声,夜间噪声扰民")), "a.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	if err := im.Ledger.UpdateUnit(ctx, 1, ledger.UnitChange{Name: "城关街道", ShortName: "城关", SortOrder: 1}, ledger.Actor{Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Ledger.AddUnit(ctx, ledger.UnitChange{Kind: ledger.UnitTown, Name: "新城镇", SortOrder: 12}, ledger.Actor{Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Import(ctx, bytes.NewReader(csv(
		"A2,2026-10-02 08:00:00,李四,13800000002,城关街道,噪声,夜间噪声扰民",
		"A3,2026-10-02 09:00:00,王五,13800000003,石泉县城关镇,噪声,夜间噪声扰民",
		"A4,2026-10-02 10:00:00,赵六,13800000004,新城镇,废气,烟囱冒黑烟")), "b.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	got := towns()
	if got["A1"] != 1 || got["A2"] != 1 || got["A3"] != 1 || got["A4"] == 0 {
		t.Fatalf("towns %v", got)
	}
}

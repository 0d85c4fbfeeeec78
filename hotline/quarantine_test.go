package hotline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// rejectsFile has two rows the importer rejects, both with a caller who gave
// a name and a phone (one asked to stay anonymous).
const rejectsFile = "工单编号,来电时间,来电人,来电号码,是否匿名,举报内容\n" +
	"Q001,2026-11-03 14:22,张伟,13812345678,否,\n" +
	"Q002,2026-13-45 25:61,李秀英,0915-6321234,是,河道排污\n"

// dumpTable is every column of every row of a table, as text.
func dumpTable(tb testing.TB, d *db.DB, table string) string {
	tb.Helper()
	rows, err := d.Queryx(`SELECT * FROM ` + table)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			tb.Fatal(err)
		}
		for k, v := range m {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v\n", k, v)
		}
	}
	return b.String()
}

func mustHoldNoCaller(t *testing.T, d *db.DB) {
	t.Helper()
	dump := dumpTable(t, d, "import_rejects") + dumpTable(t, d, "import_batches")
	for _, secret := range []string{"13812345678", "138-1234-5678", "6321234", "张伟", "李秀英"} {
		if strings.Contains(dump, secret) {
			t.Fatalf("the quarantine holds %q in clear:\n%s", secret, dump)
		}
	}
}

// TestQuarantineKeepsNoCallerInClear (issue 20, item 5): rejected rows keep
// callers' names and phones sealed, anonymous callers' included; staff see
// them masked; a fixed row keeps nothing of them.
func TestQuarantineKeepsNoCallerInClear(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	rc, err := im.Import(ctx, strings.NewReader(rejectsFile), "q.csv", "测试员", nil)
	if err != nil || rc.Rejected != 2 {
		t.Fatalf("%v %+v", err, rc)
	}
	mustHoldNoCaller(t, d)

	q, err := im.Quarantine(ctx, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("quarantine %d %v", len(q), err)
	}
	shown := map[string]string{}
	for _, c := range q[0].Cells() {
		shown[c.Name] = c.Value
		if c.Personal != (c.Name == "来电人" || c.Name == "来电号码") {
			t.Errorf("cell %s: personal %v", c.Name, c.Personal)
		}
	}
	if shown["来电人"] != "张*" || shown["来电号码"] != "138****5678" || shown["工单编号"] != "Q001" {
		t.Fatalf("cells as shown %v", shown)
	}
	full := map[string]string{}
	for _, f := range q[0].Raw() {
		full[f.Name] = f.Value
	}
	if full["来电号码"] != "13812345678" || full["来电人"] != "张伟" {
		t.Fatalf("the fix needs the cells as they were: %v", full)
	}

	// Fixed, the row keeps its reason and hash, nothing of the caller.
	if _, err := im.FixReject(ctx, q[0].ID, map[string]string{"举报内容": "补录：工地夜间施工噪声扰民"}, "测试员"); err != nil {
		t.Fatal(err)
	}
	var fixed struct {
		Raw    string  `db:"raw"`
		Value  string  `db:"value"`
		RawEnc *string `db:"raw_enc"`
		Hash   string  `db:"raw_hash"`
	}
	if err := d.Get(&fixed, `SELECT raw, value, raw_enc, raw_hash FROM import_rejects WHERE id = ?`, q[0].ID); err != nil {
		t.Fatal(err)
	}
	if fixed.Raw != "" || fixed.Value != "" || fixed.RawEnc != nil || fixed.Hash == "" {
		t.Fatalf("a fixed row keeps %+v", fixed)
	}
	mustHoldNoCaller(t, d)
}

// TestQuarantineRowsInClearAreSealed: rows quarantined before sealing are
// sealed by the next import (or the retention job), still read the same,
// and are still recognised when their file comes back.
func TestQuarantineRowsInClearAreSealed(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	if _, err := im.Import(ctx, strings.NewReader(rejectsFile), "q.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	q, err := im.Quarantine(ctx, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("quarantine %d %v", len(q), err)
	}
	// As the code before sealing kept them: cells and value in clear, the
	// hash a plain SHA-256.
	for _, r := range q {
		raw := encodeRaw(r.Raw())
		sum := sha256.Sum256([]byte(raw))
		if _, err := d.Exec(`UPDATE import_rejects SET raw = ?, value = ?, raw_enc = NULL, raw_hash = ? WHERE id = ?`,
			raw, r.value, hex.EncodeToString(sum[:]), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The upgraded service starts.
	im = &Importer{Ledger: im.Ledger, DB: d}
	if got, _ := im.Quarantine(ctx, 10); len(got) != 2 || got[0].Cells()[2].Value != "张*" {
		t.Fatalf("rows in clear do not read: %+v", got)
	}
	if n, err := im.SealRejects(ctx); err != nil || n != 2 {
		t.Fatalf("sealed %d %v", n, err)
	}
	mustHoldNoCaller(t, d)
	rc, err := im.Import(ctx, strings.NewReader(rejectsFile), "q.csv", "测试员", nil)
	if err != nil || rc.Rejected != 2 {
		t.Fatalf("%v %+v", err, rc)
	}
	if got, _ := im.Quarantine(ctx, 10); len(got) != 2 {
		t.Fatalf("the rows came back twice: %d in quarantine", len(got))
	}
	if n, err := im.SealRejects(ctx); err != nil || n != 0 {
		t.Fatalf("second seal %d %v", n, err)
	}
}

// TestQuarantineRetention: a row nobody fixed within the retention period
// loses its cells (audited); a newer one waits on.
func TestQuarantineRetention(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	clock := time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
	im.Ledger.Now = func() time.Time { return clock }
	if _, err := im.Import(ctx, strings.NewReader(rejectsFile), "old.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(DefaultRejectRetention - 24*time.Hour)
	if _, err := im.Import(ctx, strings.NewReader("工单编号,来电时间,来电人,来电号码,举报内容\nQ003,2026-11-03 14:22,王芳,13912345678,\n"), "new.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * 24 * time.Hour)
	n, err := im.EraseExpiredRejects(ctx, 0)
	if err != nil || n != 2 {
		t.Fatalf("erased %d %v", n, err)
	}
	q, err := im.Quarantine(ctx, 10)
	if err != nil || len(q) != 1 || q[0].TicketNo != "Q003" {
		t.Fatalf("quarantine after retention %+v %v", q, err)
	}
	var left int
	d.Get(&left, `SELECT COUNT(*) FROM import_rejects WHERE status = 'expired' AND raw_enc IS NULL AND raw = '' AND value = ''`)
	if left != 2 {
		t.Fatalf("%d rows erased", left)
	}
	var audited int
	d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'retention.rejects_erased'`)
	if audited != 1 {
		t.Fatalf("%d audit entries", audited)
	}
	if n, err := im.EraseExpiredRejects(ctx, 0); err != nil || n != 0 {
		t.Fatalf("second run %d %v", n, err)
	}
	// The old file imported again brings its rows back to be fixed.
	if _, err := im.Import(ctx, strings.NewReader(rejectsFile), "old.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	if q, _ := im.Quarantine(ctx, 10); len(q) != 3 {
		t.Fatalf("%d rows in quarantine after the old file came back, want 3", len(q))
	}
}

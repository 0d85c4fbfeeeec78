package bulletin

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ecoreport/internal/audit"
	"ecoreport/internal/db/dbtest"
)

// TestBulletinPublishesTheMonthsCheckpoint: the November bulletin carries
// the newest checkpoint signed before December began, in the workbook too.
func TestBulletinPublishesTheMonthsCheckpoint(t *testing.T) {
	loc := Location()
	f := &audit.CheckpointFile{Path: filepath.Join(t.TempDir(), "cp.jsonl"), Signer: audit.NewSigner(make([]byte, 32))}
	for _, c := range []audit.Checkpoint{
		{At: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), Length: 100, Head: "aa"},
		{At: time.Date(2026, 11, 30, 15, 50, 0, 0, time.UTC), Length: 140, Head: "bb"}, // 23:50 in Shiquan
		{At: time.Date(2026, 11, 30, 16, 10, 0, 0, time.UTC), Length: 150, Head: "cc"}, // 00:10 on 1 December
	} {
		if err := f.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	b, err := Compute(context.Background(), dbtest.MustOpenDB(t), month, DefaultRules, time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AttachCheckpoint(f); err != nil {
		t.Fatal(err)
	}
	if b.Audit == nil || b.Audit.Length != 140 || b.Audit.PublicKey != f.Signer.PublicKey() || !f.Signer.Valid(b.Audit.Checkpoint) {
		t.Fatalf("%+v", b.Audit)
	}
	var buf bytes.Buffer
	if err := b.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(SheetAudit)
	if err != nil || len(rows) < 8 || rows[3][1] != "140" || rows[4][1] != "bb" || rows[6][1] != f.Signer.PublicKey() {
		t.Fatalf("%v %v", rows, err)
	}

	current := &Bulletin{Month: month.AddDate(0, 1, 0), End: month.AddDate(0, 2, 0), Now: time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)}
	if err := current.AttachCheckpoint(f); err != nil || current.Audit == nil || current.Audit.Length != 140 {
		t.Fatalf("a month not over takes the newest before now: %+v %v", current.Audit, err)
	}
}

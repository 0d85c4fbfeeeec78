package office_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
)

// TestCasesCSVDefusesEveryCell: whatever a cell of the case list holds (a
// reported party's name, a unit's name as an administrator typed it), the
// CSV a leader opens in Excel runs no formula.
func TestCasesCSVDefusesEveryCell(t *testing.T) {
	e := newEnv(t)
	in := webComplaint()
	in.Subject = `=HYPERLINK("http://evil.example","某砂石厂")`
	cmp := e.file(in)
	if _, err := e.ledger.Accept(ctx, cmp.ID, 0, fixture, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	town := `@SUM(1+1)*cmd|' /C calc'!A0`
	if _, err := e.db.Exec(`UPDATE units SET name = ? WHERE id = 1`, town); err != nil {
		t.Fatal(err)
	}
	w := e.session("leader").get("/office/cases.csv")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.Body.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%q %v", rows, err)
	}
	for i, want := range map[int]string{2: "'" + in.Subject + "：", 4: "'" + town, 6: "'" + in.Subject} {
		if !strings.HasPrefix(rows[1][i], want) {
			t.Errorf("column %s = %q, want it to begin %q", rows[0][i], rows[1][i], want)
		}
	}
}

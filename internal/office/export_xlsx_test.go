package office_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"ecoreport/internal/ledger"
)

func TestCasesXLSX(t *testing.T) {
	e := newEnv(t)
	in := webComplaint()
	in.Subject = "=HYPERLINK(\"http://evil.example\")"
	single := e.file(in)
	singleID, err := e.ledger.Accept(ctx, single.ID, 0, fixture, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	first := e.file(webComplaint())
	repeatedID, err := e.ledger.Accept(ctx, first.ID, 0, fixture, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	again := e.file(webComplaint())
	if _, err := e.ledger.Accept(ctx, again.ID, repeatedID, fixture, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	leader := e.session("leader")

	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{"OKAll", "", []int64{singleID, repeatedID}},
		{"OKRepeat", "repeat=2", []int64{repeatedID}},
		{"OKDateRange", "from=2026-11-03&to=2026-11-03", []int64{singleID, repeatedID}},
		{"OKEmptyRange", "from=2026-11-04", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := leader.get("/office/cases.xlsx?" + tt.query)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
				t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
			}
			f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("问题台账")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.want)+1 || rows[0][0] != "问题编号" || rows[0][8] != "举报次数" {
				t.Fatalf("rows %v", rows)
			}
			got := map[string]string{}
			for _, r := range rows[1:] {
				got[r[0]] = r[8]
			}
			for _, id := range tt.want {
				wantCount := "1"
				if id == repeatedID {
					wantCount = "2"
				}
				if got[ledger.CaseRef(id)] != wantCount {
					t.Fatalf("%s count %q in %v", ledger.CaseRef(id), got[ledger.CaseRef(id)], rows)
				}
			}
			// A title that looks like a formula stays text.
			for i, r := range rows[1:] {
				if r[0] == ledger.CaseRef(singleID) {
					cell, _ := excelize.CoordinatesToCellName(3, i+2)
					if fm, _ := f.GetCellFormula("问题台账", cell); fm != "" {
						t.Fatalf("formula %q", fm)
					}
				}
			}
		})
	}
	// The list page keeps the new filters in its export links, escaped.
	w := leader.get("/office/cases?repeat=2&from=2026-11-01&to=2026-11-30")
	mustContain(t, w, ledger.CaseRef(repeatedID), "repeat=2&amp;from=2026-11-01&amp;to=2026-11-30", "/office/cases.xlsx?")
	mustNotContain(t, w, `href="/office/cases/`+strconv.FormatInt(singleID, 10)+`"`)
}

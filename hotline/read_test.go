package hotline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// readAll reads a whole export, failing the test on a fatal error.
func readAll(tb testing.TB, r io.Reader, name string, opt Options) ([]Ticket, []*RowError, *Reader) {
	tb.Helper()
	rd, err := NewReader(r, name, opt)
	if err != nil {
		tb.Fatalf("NewReader(%s): %v", name, err)
	}
	tb.Cleanup(func() { rd.Close() })
	var ok []Ticket
	var rejected []*RowError
	for {
		t, err := rd.Next()
		var re *RowError
		switch {
		case err == io.EOF:
			return ok, rejected, rd
		case errors.As(err, &re):
			rejected = append(rejected, re)
		case err != nil:
			tb.Fatalf("Next(%s): %v", name, err)
		default:
			ok = append(ok, t)
		}
	}
}

func readString(tb testing.TB, content, name string, opt Options) ([]Ticket, []*RowError, *Reader) {
	tb.Helper()
	return readAll(tb, strings.NewReader(content), name, opt)
}

func readSample(tb testing.TB, name string) ([]Ticket, []*RowError, *Reader) {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return readAll(tb, f, name, Options{})
}

func byNo(tb testing.TB, ts []Ticket, no string) Ticket {
	tb.Helper()
	for _, t := range ts {
		if t.TicketNo == no {
			return t
		}
	}
	tb.Fatalf("ticket %s not read", no)
	return Ticket{}
}

func ptime(s string) *time.Time {
	t := utc(s)
	return &t
}

// TestReaderSamples reads each sample export end to end; the counts must agree
// with expected.json (imported + updated + unchanged rows are read, rejected
// rows are *RowError).
func TestReaderSamples(t *testing.T) {
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]map[string]int
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	if len(expected) != 4 {
		t.Fatalf("expected.json lists %d files, want 4", len(expected))
	}
	for name, counts := range expected {
		t.Run(name, func(t *testing.T) {
			ok, rejected, _ := readSample(t, name)
			wantOK := counts["imported"] + counts["updated"] + counts["unchanged"]
			if len(ok) != wantOK || len(rejected) != counts["rejected"] {
				t.Errorf("read %d tickets and %d rejected rows, want %d and %d", len(ok), len(rejected), wantOK, counts["rejected"])
			}
			for _, tk := range ok {
				if tk.ReceivedAt.Location() != time.UTC || tk.ReceivedAt.IsZero() {
					t.Errorf("row %d: ReceivedAt %v not a UTC time", tk.Row, tk.ReceivedAt)
				}
				if tk.Town == "" || len(tk.Categories) == 0 || len(tk.Warnings) > 0 {
					t.Errorf("row %d: town %q, categories %v, warnings %v", tk.Row, tk.Town, tk.Categories, tk.Warnings)
				}
			}
		})
	}
}

func TestReaderSampleValues(t *testing.T) {
	t.Run("01UTF8BOM", func(t *testing.T) {
		ok, _, rd := readSample(t, "01-12369-utf8-bom.csv")
		wantHeader := []string{"工单编号", "来电时间", "来电人", "来电号码", "是否匿名", "所属乡镇", "事发地址", "污染类型", "被举报对象", "举报内容", "办理时限"}
		if !slices.Equal(rd.Header(), wantHeader) {
			t.Errorf("Header() = %q", rd.Header())
		}
		first := ok[0]
		want := Ticket{
			Row: 2, TicketNo: "12369SQ202610270001", ReceivedAt: utc("2026-10-26T23:56:00Z"),
			Content:     "工厂夜间偷排废水，排污口附近有刺鼻气味，鱼类死亡。",
			CallerPhone: "17754479001", Anonymous: true,
			Town: "饶峰镇", TownText: "陕西省安康市石泉县饶峰镇", Address: "池河镇老街151号附近",
			Categories: []string{"radiation"}, CategoryText: "辐射", Subject: "某蚕丝加工厂",
			DueAt: ptime("2026-11-10T16:00:00Z"),
		}
		checkTicket(t, first, want)
		if len(first.Raw) != 11 || first.Raw[0] != (Field{"工单编号", "12369SQ202610270001"}) || first.Raw[2] != (Field{"来电人", ""}) {
			t.Errorf("Raw = %q", first.Raw)
		}
		multi := byNo(t, ok, "12369SQ202610270004")
		if !slices.Equal(multi.Categories, []string{"radiation", "air"}) || multi.CategoryText != "辐射、油烟" || multi.CallerPhone != "0915-1259841" {
			t.Errorf("0004: categories %q (%q), phone %q", multi.Categories, multi.CategoryText, multi.CallerPhone)
		}
		intl := byNo(t, ok, "12369SQ202610230008")
		if intl.CallerPhone != "19207075207" || intl.Town != "后柳镇" || intl.TownText != "后柳" {
			t.Errorf("0008: phone %q, town %q (%q)", intl.CallerPhone, intl.Town, intl.TownText)
		}
		if dashed := byNo(t, ok, "12369SQ202610240003"); dashed.CallerPhone != "14848106339" {
			t.Errorf("0003: phone %q", dashed.CallerPhone)
		}
		if ok[len(ok)-1].Row != 31 {
			t.Errorf("last row = %d, want 31", ok[len(ok)-1].Row)
		}
	})
	t.Run("02GBKTitleRow", func(t *testing.T) {
		ok, rejected, rd := readSample(t, "02-12369-gbk-title.csv")
		wantHeader := []string{"工单号", "受理时间", "联系人", "联系电话", "乡镇", "问题类型", "被投诉对象", "诉求内容", "详细地址"}
		if !slices.Equal(rd.Header(), wantHeader) {
			t.Errorf("Header() = %q", rd.Header())
		}
		if ok[0].Row != 4 || ok[0].TicketNo != "12369SQ202611140101" || ok[0].CallerName != "陈静" {
			t.Errorf("first ticket: row %d %q %q", ok[0].Row, ok[0].TicketNo, ok[0].CallerName)
		}
		wantRejected := []RowError{
			{Row: 9, Column: "诉求内容", Value: "", Reason: "诉求内容为空"},
			{Row: 15, Column: "受理时间", Value: "2026-13-45 25:61", Reason: "受理时间无法识别：2026-13-45 25:61"},
		}
		for i, want := range wantRejected {
			got := rejected[i]
			if got.Row != want.Row || got.Column != want.Column || got.Value != want.Value || got.Reason != want.Reason {
				t.Errorf("rejected[%d] = %+v, want %+v", i, *got, want)
			}
			if len(got.Raw) != 9 || got.Raw[0].Name != "工单号" {
				t.Errorf("rejected[%d].Raw = %q", i, got.Raw)
			}
		}
		if got := rejected[1].Error(); got != "第15行：受理时间无法识别：2026-13-45 25:61" {
			t.Errorf("Error() = %q", got)
		}
		chinese := byNo(t, ok, "12369SQ202611080103")
		if !chinese.ReceivedAt.Equal(utc("2026-11-07T18:49:00Z")) || !chinese.Anonymous || chinese.CallerName != "" || chinese.Town != "云雾山镇" {
			t.Errorf("0103: %v anonymous=%v name=%q town=%q", chinese.ReceivedAt, chinese.Anonymous, chinese.CallerName, chinese.Town)
		}
		if slash := byNo(t, ok, "12369SQ202611030105"); !slash.ReceivedAt.Equal(utc("2026-11-03T00:47:00Z")) {
			t.Errorf("0105: %v", slash.ReceivedAt)
		}
		if other := byNo(t, ok, "12369SQ202611070114"); !slices.Equal(other.Categories, []string{"waste", "other"}) || len(other.Warnings) != 0 {
			t.Errorf("0114: %q %q", other.Categories, other.Warnings)
		}
		if two := byNo(t, ok, "12369SQ202611060120"); !slices.Equal(two.Categories, []string{"noise", "air"}) || two.Address != "汉江大道65号附近" || two.Subject != "某蚕丝加工厂" {
			t.Errorf("0120: %q %q %q", two.Categories, two.Address, two.Subject)
		}
	})
	t.Run("03Reexport", func(t *testing.T) {
		ok, _, _ := readSample(t, "03-12369-reexport.csv")
		if c := byNo(t, ok, "12369SQ202610270001").Content; !strings.HasSuffix(c, "（来电人再次来电：问题仍未解决）") {
			t.Errorf("0001 content = %q", c)
		}
	})
	t.Run("04XLSX", func(t *testing.T) {
		ok, _, rd := readSample(t, "04-12369-export.xlsx")
		if h := rd.Header(); len(h) != 11 || h[0] != "工单编号" || h[10] != "办理时限" {
			t.Errorf("Header() = %q", h)
		}
		want := Ticket{
			Row: 4, TicketNo: "12369XL202611120001", ReceivedAt: utc("2026-11-11T18:49:00Z"),
			Content:    "烧烤店油烟直排，没有安装油烟净化设备，楼上住户无法开窗。",
			CallerName: "黄强", CallerPhone: "14110684038",
			Town: "后柳镇", TownText: "石泉县后柳镇", Address: "池河镇老街55号附近",
			Categories: []string{"water", "noise"}, CategoryText: "废水、噪音", Subject: "某小型化工厂",
			DueAt: ptime("2026-11-26T16:00:00Z"),
		}
		checkTicket(t, ok[0], want)
		if ok[0].Raw[1].Value != "46338.1173611111" {
			t.Errorf("raw serial = %q", ok[0].Raw[1].Value)
		}
		anon := byNo(t, ok, "12369XL202611250012")
		if anon.Row != 15 || !anon.Anonymous || anon.CallerName != "" || anon.CallerPhone != "17178492051" {
			t.Errorf("0012: row %d anonymous=%v %q %q", anon.Row, anon.Anonymous, anon.CallerName, anon.CallerPhone)
		}
		if text := byNo(t, ok, "12369XL202611290015"); text.CallerPhone != "19948799762" {
			t.Errorf("0015 phone = %q", text.CallerPhone)
		}
		if last := ok[len(ok)-1]; last.Row != 28 || last.CallerPhone != "0915-8893031" {
			t.Errorf("last: row %d phone %q", last.Row, last.CallerPhone)
		}
	})
}

func checkTicket(t *testing.T, got, want Ticket) {
	t.Helper()
	switch {
	case got.Row != want.Row, got.TicketNo != want.TicketNo, !got.ReceivedAt.Equal(want.ReceivedAt),
		got.Content != want.Content, got.CallerName != want.CallerName, got.CallerPhone != want.CallerPhone,
		got.Anonymous != want.Anonymous, got.Town != want.Town, got.TownText != want.TownText,
		got.Address != want.Address, !slices.Equal(got.Categories, want.Categories),
		got.CategoryText != want.CategoryText, got.Subject != want.Subject,
		(got.DueAt == nil) != (want.DueAt == nil), got.DueAt != nil && !got.DueAt.Equal(*want.DueAt),
		got.WantsReward != want.WantsReward, !slices.Equal(got.Extra, want.Extra),
		!slices.Equal(got.Warnings, want.Warnings):
		got.Raw = nil
		t.Errorf("ticket\n got %+v\nwant %+v", got, want)
	}
}

func TestReaderCSV(t *testing.T) {
	t.Run("RowNumbersCountTitleBlankAndMultilineRows", func(t *testing.T) {
		in := "石泉县12369工单导出\r\n\r\n工单编号,来电时间,举报内容\r\n" +
			"A1,2026-11-03 14:22,\"第一行\r\n第二行\"\r\n" + // row 4, two lines
			"\r\n" + // row 5
			"A2,2026-11-03 14:23,x\r\n" + // row 6
			",,\r\n" + // row 7, blank: skipped silently
			"A3,2026-11-03 14:24,\"多\n行\n内容\"\n" + // row 8, three lines
			"A4,2026-11-03 14:25,y" // row 9, no final newline
		ok, rejected, _ := readString(t, in, "rows.csv", Options{})
		var rows []int
		for _, tk := range ok {
			rows = append(rows, tk.Row)
		}
		if !slices.Equal(rows, []int{4, 6, 8, 9}) || len(rejected) != 0 {
			t.Errorf("rows = %v, rejected %d", rows, len(rejected))
		}
		if ok[0].Content != "第一行\n第二行" || ok[2].Content != "多\n行\n内容" {
			t.Errorf("contents %q %q", ok[0].Content, ok[2].Content)
		}
	})
	t.Run("TabDelimited", func(t *testing.T) {
		in := "工单编号\t来电时间\t举报内容\t所属乡镇\nA1\t2026-11-03 14:22\t有噪音，很吵, 真的\t城关\n"
		ok, _, _ := readString(t, in, "export.txt", Options{})
		if len(ok) != 1 || ok[0].Content != "有噪音，很吵, 真的" || ok[0].Town != "城关镇" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("TabDelimitedWithCommaName", func(t *testing.T) {
		in := "工单编号\t来电时间\t举报内容\nA1\t2026-11-03\ta,b,c\n"
		ok, _, _ := readString(t, in, "export.csv", Options{})
		if len(ok) != 1 || ok[0].Content != "a,b,c" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("SemicolonDelimited", func(t *testing.T) {
		in := "工单编号;来电时间;举报内容\nA1;2026-11-03;有异味\n"
		ok, _, _ := readString(t, in, "export.csv", Options{})
		if len(ok) != 1 || ok[0].Content != "有异味" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("UTF8WithoutBOM", func(t *testing.T) {
		ok, _, _ := readString(t, "工单编号,来电时间,举报内容\nA1,2026-11-03,噪音\n", "x.csv", Options{})
		if len(ok) != 1 || ok[0].Content != "噪音" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("GBKWithoutTitle", func(t *testing.T) {
		in, err := simplifiedchinese.GBK.NewEncoder().String("工单编号,来电时间,举报内容,所属乡镇\r\nA1,2026年11月3日 14时22分,河水发黑发臭,池河镇\r\n")
		if err != nil {
			t.Fatal(err)
		}
		ok, _, _ := readString(t, in, "gbk.csv", Options{})
		if len(ok) != 1 || ok[0].Content != "河水发黑发臭" || ok[0].Town != "池河镇" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("UTF16UnicodeText", func(t *testing.T) {
		// Excel's "Unicode text" export: UTF-16LE with BOM, tab-delimited.
		in, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("工单编号\t来电时间\t举报内容\r\nA1\t2026-11-03 14:22\t扬尘\r\n")
		if err != nil {
			t.Fatal(err)
		}
		ok, _, _ := readString(t, in, "unicode.txt", Options{})
		if len(ok) != 1 || ok[0].Content != "扬尘" || ok[0].Row != 2 {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("UTF8CharacterAcrossSniffBoundary", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("工单编号,来电时间,举报内容\n")
		for b.Len() < sniffBytes-200 {
			b.WriteString("A0,2026-11-03,填充\n")
		}
		// Move the next "噪" (3 bytes) so that it starts 1 byte before the boundary.
		b.WriteString("A1,2026-11-03,")
		b.WriteString(strings.Repeat("x", sniffBytes-1-b.Len()))
		b.WriteString("噪音\n")
		ok, _, _ := readString(t, b.String(), "boundary.csv", Options{})
		if last := ok[len(ok)-1]; !strings.HasSuffix(last.Content, "噪音") || len(last.Warnings) > 0 {
			t.Errorf("last ticket %q, warnings %q: the file was not read as UTF-8", excerpt(last.Content), last.Warnings)
		}
	})
	t.Run("InvalidUTF8AfterSniffIsReplacedAndWarned", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("工单编号,来电时间,举报内容\n")
		for b.Len() < sniffBytes+1000 {
			b.WriteString("A0,2026-11-03,正常内容\n")
		}
		b.WriteString("A1,2026-11-03,坏\xff字节\n")
		ok, rejected, _ := readString(t, b.String(), "bad.csv", Options{})
		last := ok[len(ok)-1]
		if len(rejected) != 0 || last.TicketNo != "A1" || last.Content != "坏\uFFFD字节" ||
			len(last.Warnings) != 1 || !strings.Contains(last.Warnings[0], "举报内容含有无法识别的字符") {
			t.Errorf("got %q %q %q", last.TicketNo, last.Content, last.Warnings)
		}
	})
	t.Run("12345ExportLevelsAndPrefixedHeaders", func(t *testing.T) {
		in := "12345工单编号,12345受理时间,12345诉求内容,一级分类,二级分类,三级分类,承办单位\n" +
			"SH123450001,2026-11-03 14:22,工地夜间施工,环境保护,噪声污染,施工噪音扰民,县生态环境局\n" +
			"SH123450002,2026-11-03 14:23,污水,环境保护,水污染,,县生态环境局\n" +
			"SH123450003,2026-11-03 14:24,其他,环境保护,,,\n"
		ok, _, _ := readString(t, in, "12345.csv", Options{})
		if len(ok) != 3 {
			t.Fatalf("read %d tickets", len(ok))
		}
		checks := []struct {
			codes    []string
			text     string
			warnings int
		}{
			{[]string{"noise"}, "施工噪音扰民", 0},
			{[]string{"water"}, "水污染", 0},
			{[]string{"other"}, "环境保护", 1},
		}
		for i, c := range checks {
			if !slices.Equal(ok[i].Categories, c.codes) || ok[i].CategoryText != c.text || len(ok[i].Warnings) != c.warnings {
				t.Errorf("%s: %q %q %q", ok[i].TicketNo, ok[i].Categories, ok[i].CategoryText, ok[i].Warnings)
			}
		}
		if !slices.Equal(ok[0].Extra, []Field{{"承办单位", "县生态环境局"}}) || ok[2].Extra != nil {
			t.Errorf("extra %q / %q", ok[0].Extra, ok[2].Extra)
		}
		if ok[2].Warnings[0] != "未识别的污染类型：环境保护，已归入其他" {
			t.Errorf("warning %q", ok[2].Warnings[0])
		}
	})
	t.Run("ExtraColumnsKeptInFileOrder", func(t *testing.T) {
		in := "编号,工单编号,来电时间,举报内容,回访结果,,备注\n" +
			"X9,A1,2026-11-03,内容,满意,无表头的值,,多出来的\n"
		ok, _, rd := readString(t, in, "extra.csv", Options{})
		want := []Field{{"编号", "X9"}, {"回访结果", "满意"}, {"第6列", "无表头的值"}, {"第8列", "多出来的"}}
		if len(ok) != 1 || ok[0].TicketNo != "A1" || !slices.Equal(ok[0].Extra, want) {
			t.Errorf("got %q extra %q", ok[0].TicketNo, ok[0].Extra)
		}
		if len(ok[0].Raw) != 8 || ok[0].Raw[6] != (Field{"备注", ""}) {
			t.Errorf("raw %q", ok[0].Raw)
		}
		if h := rd.Header(); len(h) != 7 || h[5] != "" {
			t.Errorf("header %q", h)
		}
	})
	t.Run("ConfiguredAliases", func(t *testing.T) {
		in := "单号,呼入时间,投诉内容,镇办\nA1,2026-11-03,内容,迎丰\n"
		opt := Options{Aliases: map[string][]string{
			"ticket_no": {"单号"}, "received_at": {"呼入时间"}, "content": {"投诉内容"}, "town": {"镇办"},
		}}
		ok, _, _ := readString(t, in, "alias.csv", opt)
		if len(ok) != 1 || ok[0].TicketNo != "A1" || ok[0].Town != "迎丰镇" {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("ErrUnknownAliasField", func(t *testing.T) {
		_, err := NewReader(strings.NewReader("x"), "x.csv", Options{Aliases: map[string][]string{"ticketno": {"单号"}}})
		if err == nil || !strings.Contains(err.Error(), "ticketno") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("FullWidthHeaderAndTicketNo", func(t *testing.T) {
		in := "工单编号　,１２３６９来电时间,举报内容\nＳＱ２０２６０００１,２０２６－１１－０３　１４：２２,内容\n"
		ok, _, _ := readString(t, in, "fw.csv", Options{})
		if len(ok) != 1 || ok[0].TicketNo != "SQ20260001" || !ok[0].ReceivedAt.Equal(utc("2026-11-03T06:22:00Z")) {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("OtherLocationAndTowns", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容,乡镇\nA1,2026-11-03 14:22,内容,新城\n"
		ok, _, _ := readString(t, in, "x.csv", Options{Location: time.UTC, Towns: []string{"新城街道"}})
		if len(ok) != 1 || ok[0].Town != "新城街道" || !ok[0].ReceivedAt.Equal(utc("2026-11-03T14:22:00Z")) {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("WarningsDoNotReject", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容,来电人,来电号码,是否匿名,所属乡镇,污染类型,办理时限,是否申请奖励\n" +
			"A1,2026-11-03,内容,匿名,12345,也许,某某镇,光污染、噪声,下周,是\n"
		ok, rejected, _ := readString(t, in, "warn.csv", Options{})
		if len(ok) != 1 || len(rejected) != 0 {
			t.Fatalf("read %d, rejected %d", len(ok), len(rejected))
		}
		tk := ok[0]
		want := []string{
			"电话号码格式无法识别：****45", // masked: the warnings column is not sealed
			"是否匿名无法识别：也许",
			"未识别的乡镇：某某镇",
			"未识别的污染类型：光污染，已归入其他",
			"办理时限无法识别：下周",
		}
		if !slices.Equal(tk.Warnings, want) {
			t.Errorf("warnings %q", tk.Warnings)
		}
		if tk.CallerPhone != "12345" || tk.Town != "" || tk.TownText != "某某镇" || tk.DueAt != nil ||
			!slices.Equal(tk.Categories, []string{"other", "noise"}) || !tk.Anonymous || tk.CallerName != "" || !tk.WantsReward {
			t.Errorf("ticket %+v", tk)
		}
	})
	t.Run("ControlCharactersStripped", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容,来电人\nA1,2026-11-03,\"a\x00b\x07c\r\nd\te\",\"张\x00三\n\"\n"
		ok, _, _ := readString(t, in, "ctl.csv", Options{})
		if len(ok) != 1 || ok[0].Content != "abc\nd\te" || ok[0].CallerName != "张三" || ok[0].Raw[2].Value != "ab\x07c\nd\te" {
			t.Errorf("got %q %q raw %q", ok[0].Content, ok[0].CallerName, ok[0].Raw[2].Value)
		}
	})
	t.Run("RequiredFieldsRejectAndReadingContinues", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容\n" +
			",2026-11-03,内容\n" + // 2
			"A2, ,内容\n" + // 3
			"A3,昨天,内容\n" + // 4
			"A4,2026-02-30,内容\n" + // 5
			"A5,2026-11-03,  \n" + // 6
			strings.Repeat("Z", 65) + ",2026-11-03,内容\n" + // 7
			"A7,2026-11-03\n" + // 8, short row
			"A8,2026-11-03,内容\n" // 9
		ok, rejected, _ := readString(t, in, "req.csv", Options{})
		want := []struct {
			row            int
			column, reason string
		}{
			{2, "工单编号", "工单编号为空"},
			{3, "来电时间", "来电时间为空"},
			{4, "来电时间", "来电时间无法识别：昨天"},
			{5, "来电时间", "来电时间无法识别：2026-02-30"},
			{6, "举报内容", "举报内容为空"},
			{7, "工单编号", "工单编号过长（超过 64 个字符）：" + strings.Repeat("Z", 60) + "…"},
			{8, "举报内容", "举报内容为空"},
		}
		if len(rejected) != len(want) || len(ok) != 1 || ok[0].TicketNo != "A8" || ok[0].Row != 9 {
			t.Fatalf("rejected %d, read %d", len(rejected), len(ok))
		}
		for i, w := range want {
			if r := rejected[i]; r.Row != w.row || r.Column != w.column || r.Reason != w.reason || len(r.Raw) != 3 {
				t.Errorf("rejected[%d] = %+v, want row %d %s %q", i, *r, w.row, w.column, w.reason)
			}
		}
	})
	t.Run("BlankRowsSkippedSilently", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容\n,,\n  ,\u3000, \n\nA1,2026-11-03,内容\n,,,,\n"
		ok, rejected, _ := readString(t, in, "blank.csv", Options{})
		if len(ok) != 1 || len(rejected) != 0 || ok[0].Row != 5 {
			t.Errorf("read %d (row %d), rejected %d", len(ok), ok[0].Row, len(rejected))
		}
	})
	t.Run("TooManyColumnsRejectedAndReadingContinues", func(t *testing.T) {
		in := "工单编号,来电时间,举报内容\nA1,2026-11-03,内容" + strings.Repeat(",x", 1500) + "\nA2,2026-11-03,内容\n"
		ok, rejected, _ := readString(t, in, "wide.csv", Options{})
		if len(ok) != 1 || ok[0].TicketNo != "A2" || len(rejected) != 1 {
			t.Fatalf("read %d, rejected %d", len(ok), len(rejected))
		}
		if r := rejected[0]; r.Row != 2 || r.Column != "第1001列" || len(r.Raw) != 1000 || !strings.Contains(r.Reason, "1503 列") {
			t.Errorf("rejected %d %q %q, %d raw fields", r.Row, r.Column, r.Reason, len(r.Raw))
		}
	})
	t.Run("HeaderOnlyIsEOF", func(t *testing.T) {
		ok, rejected, _ := readString(t, "工单编号,来电时间,举报内容\r\n", "h.csv", Options{})
		if len(ok)+len(rejected) != 0 {
			t.Errorf("read %d rows", len(ok)+len(rejected))
		}
	})
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name, in, file string
		want           error
		mention        string
	}{
		{"ErrFormat/Empty", "", "empty.csv", ErrFormat, "文件为空"},
		{"ErrFormat/OldXLS", string(oleMagic) + "rest", "old.xls", ErrFormat, ".xls"},
		{"ErrFormat/BrokenZip", "PK\x03\x04not really a zip", "broken.xlsx", ErrFormat, "XLSX"},
		{"ErrNoHeader/MissingTime", "说明\n工单编号,时间,举报内容\nA1,2026-11-03,x\n", "nohdr.csv", ErrNoHeader, "第 2 行，缺少来电时间"},
		{"ErrNoHeader/Binary", "\x00\x01\x02\x03", "bin.csv", ErrNoHeader, "工单编号、来电时间、举报内容"},
		{"ErrNoHeader/HeaderTooLow", strings.Repeat("标题\n", 25) + "工单编号,来电时间,举报内容\n", "low.csv", ErrNoHeader, "前 20 行"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(tc.in), tc.file, Options{})
			if err == nil {
				rd.Close()
				t.Fatal("NewReader succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("err = %v, want %v mentioning %q and the file name", err, tc.want, tc.mention)
			}
		})
	}
	t.Run("Fatal/UnclosedQuote", func(t *testing.T) {
		defer func(old int64) { maxRecordBytes = old }(maxRecordBytes)
		maxRecordBytes = 1 << 10
		in := "工单编号,来电时间,举报内容\nA1,2026-11-03,ok\nA2,2026-11-03,\"never closed" + strings.Repeat(" 很长的内容", 2000)
		rd, err := NewReader(strings.NewReader(in), "quote.csv", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rd.Next(); err != nil {
			t.Fatalf("first row: %v", err)
		}
		_, err = rd.Next()
		var re *RowError
		if err == nil || err == io.EOF || errors.As(err, &re) || !strings.Contains(err.Error(), "第 3 行起") {
			t.Fatalf("err = %v, want a fatal error naming row 3", err)
		}
		if _, again := rd.Next(); again != err {
			t.Errorf("second call: %v", again)
		}
	})
	t.Run("Fatal/ReadFailure", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("工单编号,来电时间,举报内容\n"), errReader{})
		rd, err := NewReader(r, "io.csv", Options{})
		if err == nil {
			_, err = rd.Next()
		}
		if !errors.Is(err, errBoom) {
			t.Errorf("err = %v", err)
		}
	})
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

// workbook builds an XLSX in memory.
func workbook(t *testing.T, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReaderXLSX(t *testing.T) {
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	twoSheets := workbook(t, func(f *excelize.File) {
		must(f.SetSheetName("Sheet1", "说明"))
		must(f.SetCellValue("说明", "A1", "本文件由系统导出"))
		_, err := f.NewSheet("工单")
		must(err)
		must(f.SetCellValue("工单", "A1", "石泉县12369环保热线工单导出"))
		must(f.MergeCell("工单", "A1", "F1"))
		must(f.SetSheetRow("工单", "A3", &[]any{"12345工单编号", "来电时间", "来电号码", "诉求内容", "办理时限", "二级分类"}))
		must(f.SetSheetRow("工单", "A4", &[]any{"SH1", time.Date(2026, 11, 3, 14, 21, 7, 0, time.UTC), 13812345678, "内容一", 46353, "扬尘"}))
		must(f.SetSheetRow("工单", "A6", &[]any{"SH2", "2026/11/3 14:22", "0915-6321234", "内容二", "2026-11-27", ""}))
		must(f.SetSheetRow("工单", "A7", &[]any{"SH3", 46329.598, 1.3812345678e10, "内容三"}))
	})
	t.Run("NamedSheetTitleRowsSerialsNumbers", func(t *testing.T) {
		ok, rejected, rd := readAll(t, bytes.NewReader(twoSheets), "book.xlsx", Options{Sheet: "工单"})
		if len(ok) != 3 || len(rejected) != 0 || rd.Header()[0] != "12345工单编号" {
			t.Fatalf("read %d, rejected %d, header %q", len(ok), len(rejected), rd.Header())
		}
		// excelize stores a time.Time as a serial: wall clock, read in Shanghai.
		checks := []struct {
			row   int
			at    time.Time
			phone string
			due   *time.Time
			cats  []string
		}{
			{4, utc("2026-11-03T06:21:07Z"), "13812345678", ptime("2026-11-26T16:00:00Z"), []string{"air"}},
			{6, utc("2026-11-03T06:22:00Z"), "0915-6321234", ptime("2026-11-26T16:00:00Z"), nil},
			{7, utc("2026-11-03T06:21:07Z"), "13812345678", nil, nil},
		}
		for i, c := range checks {
			tk := ok[i]
			if tk.Row != c.row || !tk.ReceivedAt.Equal(c.at) || tk.CallerPhone != c.phone || !slices.Equal(tk.Categories, c.cats) ||
				(tk.DueAt == nil) != (c.due == nil) || (c.due != nil && !tk.DueAt.Equal(*c.due)) || len(tk.Warnings) > 0 {
				t.Errorf("%s: row %d at %v phone %q due %v cats %q warnings %q", tk.TicketNo, tk.Row, tk.ReceivedAt, tk.CallerPhone, tk.DueAt, tk.Categories, tk.Warnings)
			}
		}
	})
	t.Run("ErrNoHeader/FirstSheetByDefault", func(t *testing.T) {
		_, err := NewReader(bytes.NewReader(twoSheets), "book.xlsx", Options{})
		if !errors.Is(err, ErrNoHeader) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrFormat/MissingSheet", func(t *testing.T) {
		_, err := NewReader(bytes.NewReader(twoSheets), "book.xlsx", Options{Sheet: "没有"})
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "说明、工单") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("Date1904", func(t *testing.T) {
		b := workbook(t, func(f *excelize.File) {
			yes := true
			must(f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
			must(f.SetSheetRow("Sheet1", "A1", &[]any{"工单编号", "来电时间", "举报内容"}))
			must(f.SetSheetRow("Sheet1", "A2", &[]any{"A1", 46329.598 - 1462, "内容"}))
		})
		ok, _, _ := readAll(t, bytes.NewReader(b), "1904.xlsx", Options{})
		if len(ok) != 1 || !ok[0].ReceivedAt.Equal(utc("2026-11-03T06:21:07Z")) {
			t.Errorf("got %+v", ok)
		}
	})
	t.Run("LargeWorkbookSpooledToDisk", func(t *testing.T) {
		defer func(old int) { xlsxMemoryBytes = old }(xlsxMemoryBytes)
		xlsxMemoryBytes = 1 << 10
		ok, _, _ := readSample(t, "04-12369-export.xlsx")
		if len(ok) != 25 {
			t.Errorf("read %d tickets", len(ok))
		}
	})
}

// writeTickets writes a UTF-8 (BOM) export of n generated tickets, every
// content spanning two lines.
func writeTickets(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\ufeff工单编号,来电时间,来电人,来电号码,是否匿名,所属乡镇,事发地址,污染类型,被举报对象,举报内容,办理时限\r\n")
	phones := []string{"138-1234-%04d", "+86 139 1234 %04d", "0915-632%04d", "１３７１２３４%04d"}
	towns := []string{"城关", "石泉县池河镇", "陕西省安康市石泉县云雾山镇", "喜河"}
	cats := []string{"噪声", "废水、扬尘", "非法采砂", "固体废物、其他"}
	for i := range n {
		fmt.Fprintf(bw, "12369SQ%010d,2026/%d/%d %d:%02d,张伟,"+phones[i%4]+",否,%s,汉江大道%d号附近,%s,某砂石加工厂,\"夜间施工，机器轰鸣，\r\n多次反映未解决。第%d条\",2026-12-01\r\n",
			i, 1+i%12, 1+i%28, i%24, i%60, i%10000, towns[i%4], i%300, cats[i%4], i)
	}
	return bw.Flush()
}

func TestReaderLargeCSVConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 200,000-row file")
	}
	const n = 200_000
	path := filepath.Join(t.TempDir(), "large.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTickets(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f, err = os.Open(path); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()

	runtime.GC()
	rd, err := NewReader(f, "large.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	const limit = 64 << 20
	var ms runtime.MemStats
	var peak uint64
	count := 0
	for {
		tk, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d tickets: %v", count, err)
		}
		count++
		if tk.Row != count+1 || len(tk.Warnings) > 0 || tk.Town == "" {
			t.Fatalf("ticket %d: row %d town %q warnings %q", count, tk.Row, tk.Town, tk.Warnings)
		}
		if count%20_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if count != n {
		t.Errorf("read %d tickets, want %d", count, n)
	}
	t.Logf("file %d MiB, peak heap in use %d MiB", fi.Size()>>20, peak>>20)
	if peak > limit {
		t.Errorf("heap in use reached %d MiB reading a %d MiB file, want under %d MiB", peak>>20, fi.Size()>>20, limit>>20)
	}
}

func BenchmarkReadCSV(b *testing.B) {
	const n = 20_000
	var buf bytes.Buffer
	if err := writeTickets(&buf, n); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), "bench.csv", Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if rows != n {
			b.Fatalf("read %d rows", rows)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParseTime(b *testing.B) {
	inputs := []string{"2026-11-03 14:22:05", "2026/11/3 14:22", "2026年11月3日 14时22分", "20261103142205", "46329.598"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ParseTime(inputs[i%len(inputs)], nil); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

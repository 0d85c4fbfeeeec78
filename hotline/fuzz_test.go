package hotline

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-03 14:22:05", "2026/11/3 14:22", "2026年11月3日 14时22分", "20261103142205",
		"2026-11-03", "20261103", "46329.598", "46329", "２０２６－１１－０３　１４：２２：０５",
		"2026-11-03T14:22:05+08:00", "2026/11/3 下午2:22", "2026-13-45 25:61", "2026-02-30",
		"-1", "0", "", "\xff", "2026-11-03 14:22:05.123456789Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, nil)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Year() < 1899 || got.Year() > 9999 {
			t.Fatalf("ParseTime(%q) = %v", s, got)
		}
		// What was accepted must read back the same when written plainly.
		again, err := ParseTime(got.In(shanghai()).Format("2006-01-02 15:04:05.999999999"), nil)
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, which reads back as %v, %v", s, got, again, err)
		}
	})
}

func FuzzMatchTown(f *testing.F) {
	for _, s := range []string{
		"城关镇", "城关", "石泉县城关镇", "陕西省安康市石泉县城关镇", "云雾山", "云雾山镇", "云雾",
		"城关镇东关社区", "某某镇", "", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := MatchTown(s, nil)
		if ok != (got != "") {
			t.Fatalf("MatchTown(%q) = %q, %v", s, got, ok)
		}
		if !ok {
			return
		}
		if !slices.Contains(defaultTowns, got) {
			t.Fatalf("MatchTown(%q) = %q, not a town", s, got)
		}
		if again, _ := MatchTown(got, nil); again != got {
			t.Fatalf("MatchTown(%q) = %q, which matches %q", s, got, again)
		}
	})
}

func FuzzMapCategories(f *testing.F) {
	for _, s := range []string{
		"大气", "大气污染、废气", "扬尘,油烟", "水;水污染；废水", "噪声/噪音", "固废 固体废物 垃圾", "辐射", "土壤",
		"生态、生态破坏、非法采砂、毁林", "其他", "光污染", "施工噪音扰民", "", "、、", "\xff",
	} {
		f.Add(s)
	}
	codes := []string{"air", "water", "noise", "waste", "radiation", "soil", "ecology", "other"}
	f.Fuzz(func(t *testing.T, s string) {
		got, unknown := MapCategories(s)
		seen := map[string]bool{}
		for _, c := range got {
			if !slices.Contains(codes, c) || seen[c] {
				t.Fatalf("MapCategories(%q) = %q: unknown or repeated code", s, got)
			}
			seen[c] = true
		}
		if len(unknown) > 0 && !seen["other"] {
			t.Fatalf("MapCategories(%q) = %q, %q: unknown terms without other", s, got, unknown)
		}
		for _, u := range unknown {
			if !strings.Contains(s, u) {
				t.Fatalf("MapCategories(%q): unknown %q is not from the input", s, u)
			}
		}
	})
}

// FuzzReadCSV feeds arbitrary bytes to the reader: it must never panic, must
// end, and what it returns must be well-formed.
func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"01-12369-utf8-bom.csv", "02-12369-gbk-title.csv"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"工单编号,来电时间,举报内容\nA1,2026-11-03,x\n",
		"标题\r\n\r\n工单号\t受理时间\t诉求内容\t乡镇\r\nA1\t20261103142205\t\"多\r\n行\"\t城关\r\n",
		"工单编号,来电时间,举报内容\n,,\nA1,46329.598,\"unclosed\n",
		"12345工单编号;12345受理时间;内容;一级分类;五级分类\nSH1;2026/11/3 14:22;x;环境;噪音\n",
		"工单编号,来电时间,举报内容,来电号码,所属乡镇,污染类型\nA1,2026-02-30,\x00\xff,+86 138,云雾,光污染\n",
		"\xef\xbb\xbf工单编号,来电时间,举报内容\n\"A\"\"1\",2026-11-03,x,extra\n",
		"\xff\xfe\x00\x00", "PK\x03\x04", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data), "fuzz.csv", Options{})
		if err != nil {
			return
		}
		defer rd.Close()
		lastRow := 0
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more rows (%d) than bytes (%d)", i, len(data))
			}
			tk, err := rd.Next()
			var re *RowError
			switch {
			case err == io.EOF:
				return
			case errors.As(err, &re):
				if re.Row <= lastRow || re.Reason == "" || re.Column == "" {
					t.Fatalf("bad row error %+v after row %d", *re, lastRow)
				}
				lastRow = re.Row
				continue
			case err != nil:
				return // fatal, e.g. a record too large
			}
			if tk.Row <= lastRow || tk.TicketNo == "" || tk.Content == "" || tk.ReceivedAt.IsZero() {
				t.Fatalf("bad ticket %+v after row %d", tk, lastRow)
			}
			lastRow = tk.Row
			for _, s := range append([]string{tk.TicketNo, tk.Content, tk.CallerName, tk.CallerPhone, tk.Town, tk.TownText, tk.Address, tk.CategoryText, tk.Subject}, tk.Warnings...) {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					t.Fatalf("row %d: %q is not clean UTF-8", tk.Row, s)
				}
			}
			for _, fl := range tk.Raw {
				if !utf8.ValidString(fl.Value) || fl.Name == "" {
					t.Fatalf("row %d: raw field %q", tk.Row, fl)
				}
			}
		}
	})
}

package csvout

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestDefuse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"普通文字", "普通文字"},
		{"12369SQ202611140101", "12369SQ202611140101"},
		{"2026-11-03 14:22:05", "2026-11-03 14:22:05"},
		{`=HYPERLINK("http://evil.example","点击")`, `'=HYPERLINK("http://evil.example","点击")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\n=1+1", "'\n=1+1"},
		{"   =1+1", "'   =1+1"},
		{"\u3000=1+1", "'\u3000=1+1"},
		{"＝HYPERLINK()", "'＝HYPERLINK()"},
		{"＋1", "'＋1"},
		{"a=1", "a=1"},
		{"'已是文本", "'已是文本"},
	} {
		if got := Defuse(tc.in); got != tc.want {
			t.Errorf("Defuse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriterDefusesEveryCell(t *testing.T) {
	rows := [][]string{{"工单编号", "办理结果"}, {"=1+1", `=HYPERLINK("http://evil.example")`}, {"噪声扰民", "@x"}}
	for _, tc := range []struct {
		name string
		enc  Encoding
		read func([]byte) []byte
	}{
		{"UTF8BOM", UTF8BOM, func(b []byte) []byte {
			if !bytes.HasPrefix(b, []byte("\ufeff")) {
				t.Fatalf("no BOM: %q", b)
			}
			return bytes.TrimPrefix(b, []byte("\ufeff"))
		}},
		{"GBK", GBK, func(b []byte) []byte {
			u, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(&buf, tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			text := tc.read(buf.Bytes())
			if !bytes.Contains(text, []byte("\r\n")) {
				t.Errorf("lines not CRLF: %q", text)
			}
			got, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"工单编号", "办理结果"}, {"'=1+1", `'=HYPERLINK("http://evil.example")`}, {"噪声扰民", "'@x"}}
			for i := range want {
				if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
					t.Errorf("row %d = %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestGBKReplacesWhatItLacks(t *testing.T) {
	var buf bytes.Buffer
	w, _ := New(&buf, GBK)
	if err := w.Write([]string{"噪声𠀾"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	u, _ := simplifiedchinese.GBK.NewDecoder().Bytes(buf.Bytes())
	if !strings.HasPrefix(string(u), "噪声") {
		t.Fatalf("%q", u)
	}
}

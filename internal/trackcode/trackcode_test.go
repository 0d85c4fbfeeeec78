package trackcode

import (
	"strings"
	"testing"
)

func TestNewIsCanonicalAndRandom(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c := New()
		if n, err := Normalize(c); err != nil || n != c {
			t.Fatalf("New() = %q not canonical: %q %v", c, n, err)
		}
		if seen[c] {
			t.Fatalf("repeat %s", c)
		}
		seen[c] = true
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Canonical", "7K3M9QZX2D4R8T6V", "7K3M9QZX2D4R8T6V"},
		{"Grouped", "7K3M-9QZX-2D4R-8T6V", "7K3M9QZX2D4R8T6V"},
		{"LowerAndSpaces", " 7k3m 9qzx 2d4r 8t6v ", "7K3M9QZX2D4R8T6V"},
		{"Confusables", "OIL0-0000-0000-0000", "0110000000000000"},
		{"FullWidth", "７Ｋ３Ｍ－９ＱＺＸ－２Ｄ４Ｒ－８Ｔ６Ｖ", "7K3M9QZX2D4R8T6V"},
		{"ErrShort", "7K3M-9QZX", ""},
		{"ErrLong", "7K3M9QZX2D4R8T6VX", ""},
		{"ErrU", "UK3M9QZX2D4R8T6V", ""},
		{"ErrChinese", "查询码查询码查询码查询码查询码查询", ""},
		{"ErrInvalidUTF8", "7K3M9QZX2D4R8T6\xff", ""},
		{"ErrSQL", "' OR 1=1 --", ""},
		{"ErrHuge", strings.Repeat("A", 10000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	if got := Format("7K3M9QZX2D4R8T6V"); got != "7K3M-9QZX-2D4R-8T6V" {
		t.Fatal(got)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"7K3M-9QZX-2D4R-8T6V", "oil0 0000 0000 0000", "", "\x00", "７Ｋ３Ｍ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Normalize(s)
		if err != nil {
			return
		}
		if len(c) != Length {
			t.Fatalf("len %d", len(c))
		}
		if again, err := Normalize(Format(c)); err != nil || again != c {
			t.Fatalf("not idempotent: %q → %q", c, again)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Normalize("7k3m-9qzx-2d4r-8t6v")
	}
}

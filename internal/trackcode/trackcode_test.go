package trackcode

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"ecoreport/internal/secret"
)

// TestNewFixedVectors pins the code of known random bytes and the HMAC the
// database stores for it. The vectors were made by the hand-written encoder
// that issued the first codes: a change of alphabet, bit order or padding
// would make every stored tracking_mac unreachable, and fails here.
func TestNewFixedVectors(t *testing.T) {
	keys, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, random, code, mac string }{
		{"Zeros", "00000000000000000000", "0000000000000000", "a2cd7cc6cdd59f4c77cc3ce117a59b488e30b391f71910cd6fe80e11d55604a8"},
		{"Ones", "ffffffffffffffffffff", "ZZZZZZZZZZZZZZZZ", "b05601a8cd029d676f829bc39e25400b24d058d44142a09103922ac160582c57"},
		{"Counting", "00010203040506070809", "000G40R40M30E209", "4b4841725cb9ccd53ee1143e1cfb07dc6405b97c44795bf4e16b28d4ce131712"},
		{"Words", "8badf00ddeadbeefcafe", "HEPZ03EYNPZEZJQY", "c2417c9e9910c09134011274ef997cab2a32090d6b5d79c4cb7ab78e9a75dc31"},
		{"Random", "3f9a1c0e5b7d2486e0f1", "7YD1R3JVFMJ8DR7H", "b10cfd5f637270871b55976e6f3240b88818d85d85d63cb55d6b875f3050f43a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			random, _ := hex.DecodeString(tt.random)
			code := newFrom(bytes.NewReader(random))
			if code != tt.code {
				t.Fatalf("newFrom(%s) = %s, want %s", tt.random, code, tt.code)
			}
			if n, err := Normalize(Format(strings.ToLower(code))); err != nil || n != code {
				t.Fatalf("Normalize(Format(%s)) = %q, %v", code, n, err)
			}
			if mac := keys.MAC("code", code); mac != tt.mac {
				t.Fatalf("MAC(code, %s) = %s, want %s", code, mac, tt.mac)
			}
		})
	}
}

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
		{"ErrNewline", "7K3M9QZX2D4R8T6\n", ""},
		{"ErrNewlineInside", "7K3M9QZX\r\n2D4R8T6V", ""},
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

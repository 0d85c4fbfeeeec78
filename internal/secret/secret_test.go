package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileIsCreatedOnceAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ecoreport.key")
	k1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode())
	}
	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
	sealed := k1.Seal([]byte("13812345678"))
	pt, err := k2.Open(sealed)
	if err != nil || string(pt) != "13812345678" {
		t.Fatalf("open with reloaded key: %q %v", pt, err)
	}
	if k1.MAC("A") != k2.MAC("A") {
		t.Fatal("MAC differs across loads")
	}
}

func TestSealOpen(t *testing.T) {
	k, _ := New(make([]byte, 32))
	other, _ := New([]byte(strings.Repeat("x", 32)))
	sealed := k.Seal([]byte("张三 13812345678"))
	tests := []struct {
		name    string
		keys    *Keys
		in      string
		wantErr bool
	}{
		{"OK", k, sealed, false},
		{"ErrWrongKey", other, sealed, true},
		{"ErrTampered", k, sealed[:len(sealed)-2] + "AA", true},
		{"ErrNotCiphertext", k, "13812345678", true},
		{"ErrTruncated", k, "v1:AAAA", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := tt.keys.Open(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && string(pt) != "张三 13812345678" {
				t.Fatalf("pt = %q", pt)
			}
		})
	}
	a1, a2 := k.Seal([]byte("a")), k.Seal([]byte("a"))
	if strings.Contains(sealed, "138") || a1 == a2 {
		t.Fatal("ciphertext leaks or is deterministic")
	}
}

func TestBadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	os.WriteFile(path, []byte("not hex"), 0o600)
	if _, _, err := LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), "--key-file") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkMAC(b *testing.B) {
	k, _ := New(make([]byte, 32))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k.MAC("code", "7K3M9QZX2D4R8T6V")
	}
}

func BenchmarkSeal(b *testing.B) {
	k, _ := New(make([]byte, 32))
	pt := []byte(`{"name":"张三","phone":"13812345678"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k.Seal(pt)
	}
}

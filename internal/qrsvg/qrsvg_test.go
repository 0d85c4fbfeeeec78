package qrsvg

import (
	"strings"
	"testing"
)

func TestSVG(t *testing.T) {
	got := string(SVG("7K3M-9QZX-2D4R-8T6V", `查询码"二维码`))
	if !strings.HasPrefix(got, `<svg class="qr"`) || !strings.Contains(got, `d="M4 4h1v1h-1z`) || !strings.Contains(got, "&#34;") {
		t.Fatalf("unexpected SVG: %.200s", got)
	}
	if SVG(strings.Repeat("x", 10000), "x") != "" {
		t.Fatal("text too long for a QR code gave markup")
	}
}

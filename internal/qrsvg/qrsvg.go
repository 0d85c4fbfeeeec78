// Package qrsvg draws a QR code as inline SVG markup: not a data: URL, so a
// page's CSP (img-src 'self') allows it, and what it encodes (a tracking
// code, a TOTP secret) never travels in a URL or reaches a third party.
package qrsvg

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// SVG renders text as an SVG QR code labelled for screen readers, or ""
// when text cannot be encoded.
func SVG(text, label string) template.HTML {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return ""
	}
	w := &writer{label: label}
	if err := q.Save(w); err != nil {
		return ""
	}
	return template.HTML(w.b.String())
}

// writer is a qrcode.Writer that collects one SVG path of dark modules.
type writer struct {
	label string
	b     strings.Builder
}

func (w *writer) Write(m qrcode.Matrix) error {
	const quiet = 4
	n := m.Width() + 2*quiet
	var p strings.Builder
	m.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if v.IsSet() {
			fmt.Fprintf(&p, "M%d %dh1v1h-1z", x+quiet, y+quiet)
		}
	})
	fmt.Fprintf(&w.b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, template.HTMLEscapeString(w.label), n, n, p.String())
	return nil
}

func (w *writer) Close() error { return nil }

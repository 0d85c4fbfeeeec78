package portal

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// qrSVG renders text as an inline SVG QR code: markup, not a data: URL, so
// the page's CSP (img-src 'self') allows it and the code stays out of URLs.
func qrSVG(text string) template.HTML {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return ""
	}
	w := &svgWriter{}
	if err := q.Save(w); err != nil {
		return ""
	}
	return template.HTML(w.b.String())
}

type svgWriter struct{ b strings.Builder }

func (w *svgWriter) Write(m qrcode.Matrix) error {
	const quiet = 4
	n := m.Width() + 2*quiet
	var p strings.Builder
	m.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if v.IsSet() {
			fmt.Fprintf(&p, "M%d %dh1v1h-1z", x+quiet, y+quiet)
		}
	})
	fmt.Fprintf(&w.b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="查询码二维码" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n, n, p.String())
	return nil
}

func (w *svgWriter) Close() error { return nil }

package web

import (
	"context"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressed are the content types worth compressing: the pages, their
// styles and scripts, the JSON and XML APIs and the SVG charts and QR
// codes. Photos, captcha images and audio are compressed already;
// spreadsheets are ZIP files; CSV and other downloads go out as they are.
var compressed = []string{
	"text/html", "text/css", "text/javascript", "application/javascript",
	"application/json", "application/xml", "text/xml", "image/svg+xml",
}

// gzipWrapper is gzhttp (klauspost/compress) set up for compressed: gzip
// only (zstd's encoder holds megabytes per response, and every browser
// that matters takes gzip), bodies of 1 KiB and more, a suffix on ETags so
// a compressed and a plain body never share one, and random jitter in the
// gzip header against BREACH: back-office pages carry a CSRF token beside
// text a requester can choose (search fields), and jitter keeps the
// compressed length from telling a byte of the token.
var gzipWrapper = func() func(http.Handler) http.HandlerFunc {
	w, err := gzhttp.NewWrapper(
		gzhttp.ContentTypes(compressed),
		gzhttp.EnableZstd(false),
		gzhttp.MinSize(1024),
		gzhttp.SuffixETag("-gzip"),
		gzhttp.RandomJitter(32, 0, false),
	)
	if err != nil {
		panic(err) // constant options: a test catches a bad one
	}
	return w
}()

type headKey struct{}

// Wrap is the handler the server runs around the engine: HEAD is answered
// as GET would be (gin routes HEAD to nothing, so monitors and link
// checkers got 404 on pages that exist; net/http sends the headers and
// drops the body, because the request it holds is still a HEAD); responses
// of the types in compressed are gzip-compressed for clients that accept
// it; and while d is on, every response closes its connection (Drain).
func Wrap(h http.Handler, d *Drain) http.Handler {
	gz := gzipWrapper(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(context.WithValue(r.Context(), headKey{}, true))
			r.Method = http.MethodGet
		}
		if d != nil {
			w = &drainWriter{ResponseWriter: w, d: d}
		}
		gz.ServeHTTP(w, r)
	})
}

// Method is the method the client sent: HEAD for a HEAD that Wrap turned
// into a GET. Logs and metrics use it.
func Method(r *http.Request) string {
	if head, _ := r.Context().Value(headKey{}).(bool); head {
		return http.MethodHead
	}
	return r.Method
}

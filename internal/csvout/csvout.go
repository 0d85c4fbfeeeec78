// Package csvout is the one CSV writer of the service: every CSV file a
// person downloads (the case list export, the hotline feedback file) goes
// through it, so that no cell can run as a spreadsheet formula (CSV
// injection) and every file opens in Excel in the right encoding.
//
// A cell whose first character, after any leading spaces, is one that makes
// Excel, WPS or LibreOffice read a formula (= + - @, a tab, a carriage
// return or a line feed, or their full-width forms ＝ ＋ － ＠) is written with
// a leading apostrophe, which spreadsheets show as text and nothing else
// runs. A program reading the file sees the apostrophe: the value is text,
// never a formula.
package csvout

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encoding is how a file's text is written.
type Encoding int

const (
	// UTF8BOM is UTF-8 with a byte-order mark, which Excel needs to read
	// Chinese correctly.
	UTF8BOM Encoding = iota
	// GBK is for older systems (and Excel on Chinese Windows without the
	// BOM): characters GBK lacks become '?'.
	GBK
)

// Writer writes defused rows; Close flushes them. It is not safe for
// concurrent use.
type Writer struct {
	cw  *csv.Writer
	bw  *bufio.Writer
	enc io.WriteCloser // the GBK transformer, nil for UTF-8
	err error
}

// New starts a CSV file on w in enc (the BOM is written at once for
// UTF8BOM). Lines end in CRLF, as Excel writes them. Close does not close w.
func New(w io.Writer, enc Encoding) (*Writer, error) {
	out := &Writer{}
	switch enc {
	case UTF8BOM:
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return nil, err
		}
	case GBK:
		tw := transform.NewWriter(w, encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder()))
		out.enc, w = tw, tw
	default:
		return nil, fmt.Errorf("csvout: unknown encoding %d", enc)
	}
	out.bw = bufio.NewWriter(w)
	out.cw = csv.NewWriter(out.bw)
	out.cw.UseCRLF = true
	return out, nil
}

// Write writes one row, every cell defused (Defuse).
func (w *Writer) Write(cells []string) error {
	if w.err != nil {
		return w.err
	}
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Defuse(c)
	}
	w.err = w.cw.Write(row)
	return w.err
}

// Close flushes what is buffered (and the GBK transformer's tail) and
// returns the first error of the file.
func (w *Writer) Close() error {
	w.cw.Flush()
	if w.err == nil {
		w.err = w.cw.Error()
	}
	if err := w.bw.Flush(); w.err == nil {
		w.err = err
	}
	if w.enc != nil {
		if err := w.enc.Close(); w.err == nil {
			w.err = err
		}
		w.enc = nil
	}
	return w.err
}

// Defuse returns s as a cell no spreadsheet runs: s itself, or s behind an
// apostrophe when it would start a formula (see the package comment).
func Defuse(s string) string {
	t := strings.TrimLeft(s, " \u3000")
	if t == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(t)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}

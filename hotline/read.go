package hotline

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	// sniffBytes is how much of the start of a file decides its format,
	// encoding and delimiter.
	sniffBytes = 64 << 10
	// headerSearchRows is how many non-blank rows may precede and include the
	// header row.
	headerSearchRows = 20

	// XLSX parts (sheets, shared strings) larger than xlsxXMLMemoryBytes are
	// unzipped to temporary files and streamed from there; xlsxUnzipBytes
	// bounds the whole unzipped workbook (zip bombs).
	xlsxXMLMemoryBytes = 8 << 20
	xlsxUnzipBytes     = 4 << 30
)

// Limits, variables so that tests can reach them with small files.
var (
	// maxRecordBytes bounds one CSV record. An unclosed quote otherwise
	// swallows the rest of the file into one field, and memory with it.
	maxRecordBytes int64 = 1 << 20
	// xlsxMemoryBytes: a workbook up to this size is opened in memory, a
	// larger one is spooled to a temporary file first.
	xlsxMemoryBytes = 8 << 20
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
	utf8BOM  = []byte{0xef, 0xbb, 0xbf}
)

// Reader streams tickets (工单) from one export file. It is not safe for
// concurrent use.
type Reader struct {
	name         string
	src          source
	loc          *time.Location
	towns        *townMatcher
	header       []string
	lay          layout
	serialOffset float64 // added to XLSX date serials: 1462 for the 1904 date system
	err          error   // sticky: io.EOF or the fatal error
	rowAs        int     // when > 0, every row is numbered so: a fixed row keeps its row in the original file
}

// source yields rows with their row number as a person sees it.
type source interface {
	next() (row int, cells []string, err error) // io.EOF at the end
	close() error
}

// NewReader starts reading an export. It sniffs XLSX (zip) from CSV/TSV, detects
// the text encoding (UTF-8 with or without BOM, UTF-16 with BOM, otherwise
// GBK/GB18030) and the delimiter (comma, tab, semicolon, |), and skips title
// rows down to the header row: the first of the first 20 non-blank rows that
// names the ticket number, received time and content columns. name is the file
// name, for messages and a hint (.tsv). Errors wrap ErrFormat or ErrNoHeader
// when the file itself is the problem, with a Chinese message for the operator.
// The caller closes r; Close releases the Reader's own resources.
func NewReader(r io.Reader, name string, opt Options) (*Reader, error) {
	ix, err := buildAliasIndex(opt.Aliases)
	if err != nil {
		return nil, err
	}
	rd := &Reader{name: name, loc: opt.Location, towns: defaultTownMatcher()}
	if rd.loc == nil {
		rd.loc = shanghai()
	}
	if len(opt.Towns) > 0 {
		towns := make([]string, len(opt.Towns))
		for i, t := range opt.Towns {
			towns[i] = strings.TrimSpace(t)
		}
		rd.towns = newTownMatcher(towns)
	}

	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("hotline: %w", inChinese("读取文件 "+name+" 时出错", err))
	}
	switch {
	case len(head) == 0:
		return nil, fmt.Errorf("hotline: %s：%w：文件为空", name, ErrFormat)
	case bytes.HasPrefix(head, zipMagic):
		rd.src, rd.serialOffset, err = openXLSX(br, name, opt.Sheet)
	case bytes.HasPrefix(head, oleMagic):
		return nil, fmt.Errorf("hotline: %s：%w：不支持旧版 Excel（.xls）或加密的工作簿，请另存为 .xlsx 或 CSV 后再导入", name, ErrFormat)
	default:
		rd.src, err = openCSV(br, head, err == io.EOF, name, ix)
	}
	if err != nil {
		return nil, err
	}
	if err := rd.findHeader(ix); err != nil {
		rd.src.close()
		return nil, err
	}
	return rd, nil
}

// findHeader consumes rows up to and including the header row.
func (rd *Reader) findHeader(ix aliasIndex) error {
	bestRow, bestMissing := 0, []field(nil)
	for n := 0; n < headerSearchRows; {
		row, cells, err := rd.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("hotline: 读取 %s 的表头：%w", rd.name, inChinese("文件内容无法读取", err))
		}
		if isBlank(cells) {
			continue
		}
		n++
		lay, missing := ix.layout(cells)
		if len(missing) == 0 {
			rd.lay = lay
			rd.header = make([]string, len(cells))
			for i, c := range cells {
				rd.header[i] = headerName(c)
			}
			return nil
		}
		if bestMissing == nil || len(missing) < len(bestMissing) {
			bestRow, bestMissing = row, missing
		}
	}
	all := []field{fieldTicketNo, fieldReceivedAt, fieldContent}
	msg := fmt.Sprintf("前 %d 行中没有一行同时包含%s这几列", headerSearchRows, requiredNames(all))
	if bestMissing != nil && len(bestMissing) < numRequired {
		msg += fmt.Sprintf("（最接近的是第 %d 行，缺少%s）", bestRow, requiredNames(bestMissing))
	}
	return fmt.Errorf("hotline: %s：%w：%s", rd.name, ErrNoHeader, msg)
}

// Next returns the next ticket. A rejected row gives a *RowError: report it and
// call Next again. At the end it returns io.EOF; any other error is fatal and
// returned again by later calls. Blank rows are skipped.
func (rd *Reader) Next() (Ticket, error) {
	if rd.err != nil {
		return Ticket{}, rd.err
	}
	for {
		row, cells, err := rd.src.next()
		if err == io.EOF {
			rd.err = io.EOF
			return Ticket{}, io.EOF
		}
		if err != nil {
			rd.err = fmt.Errorf("hotline: 读取 %s：%w", rd.name, inChinese("文件内容无法读取（已导入的批次保留）", err))
			return Ticket{}, rd.err
		}
		if isBlank(cells) {
			continue
		}
		if rd.rowAs > 0 {
			row = rd.rowAs
		}
		return rd.ticket(row, cells)
	}
}

// Header returns the header row as written: trimmed, on one line, invalid
// UTF-8 replaced; blank cells stay "" (Raw and Extra call them "第N列").
func (rd *Reader) Header() []string {
	return append([]string(nil), rd.header...)
}

// Close releases temporary files of an XLSX workbook. It does not close the
// io.Reader given to NewReader.
func (rd *Reader) Close() error {
	if rd.err == nil {
		rd.err = errors.New("hotline: 读取已结束")
	}
	return rd.src.close()
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimFunc(c, func(r rune) bool { return r <= ' ' || isControl(r) || r == '\u3000' }) != "" {
			return false
		}
	}
	return true
}

// ---- CSV and TSV ----

// csvSource reads delimited text. Rows are numbered as a spreadsheet shows
// them: blank lines count, a quoted field's embedded newlines do not.
type csvSource struct {
	cr      *csv.Reader
	cap     *capReader
	row     int // row number of the last record
	endLine int // line on which the last record ended
}

// openCSV picks the decoder from the first bytes and the delimiter from the
// first decoded rows.
func openCSV(br *bufio.Reader, head []byte, complete bool, name string, ix aliasIndex) (*csvSource, error) {
	var text io.Reader
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		br.Discard(len(utf8BOM))
		text = br
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		text = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	case validUTF8Prefix(head, complete):
		text = br
	default:
		// Excel on Chinese Windows writes GBK; GB18030 decodes it and more.
		text = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	tr := bufio.NewReaderSize(text, sniffBytes)
	prefix, err := tr.Peek(sniffBytes)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("hotline: %s：%w：%w", name, ErrFormat, inChinese("文件内容无法读取", err))
	}
	s := &csvSource{cap: &capReader{r: tr, max: maxRecordBytes}}
	s.cr = csv.NewReader(s.cap)
	s.cr.Comma = sniffDelimiter(prefix, name, ix)
	s.cr.LazyQuotes = true
	s.cr.FieldsPerRecord = -1
	s.cr.ReuseRecord = true
	return s, nil
}

// validUTF8Prefix reports whether b is UTF-8, ignoring a character cut in two
// at the end of an incomplete prefix.
func validUTF8Prefix(b []byte, complete bool) bool {
	if !complete {
		for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// sniffDelimiter returns the first delimiter with which a header row appears
// in prefix; comma when none does (the header search then explains).
func sniffDelimiter(prefix []byte, name string, ix aliasIndex) rune {
	cands := []rune{',', '\t', ';', '|'}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tsv", ".tab", ".txt":
		cands = []rune{'\t', ',', ';', '|'}
	}
	for _, d := range cands {
		if !bytes.ContainsRune(prefix, d) {
			continue
		}
		cr := csv.NewReader(bytes.NewReader(prefix))
		cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = d, true, -1
		for n := 0; n < headerSearchRows; {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			if isBlank(rec) {
				continue
			}
			n++
			if _, missing := ix.layout(rec); len(missing) == 0 {
				return d
			}
		}
	}
	return cands[0]
}

var errRecordTooLarge = errors.New("record too large")

func (s *csvSource) next() (int, []string, error) {
	s.cap.base = s.cr.InputOffset()
	rec, err := s.cr.Read()
	if err != nil {
		if errors.Is(err, errRecordTooLarge) {
			return 0, nil, fmt.Errorf("第 %d 行起的一条记录超过 %d MiB，可能是引号没有闭合", s.row+1, maxRecordBytes>>20)
		}
		return 0, nil, err
	}
	line, _ := s.cr.FieldPos(0)
	s.row += line - s.endLine
	last, _ := s.cr.FieldPos(len(rec) - 1)
	s.endLine = last + strings.Count(rec[len(rec)-1], "\n")
	return s.row, rec, nil
}

func (s *csvSource) close() error { return nil }

// capReader fails once more than max bytes have been read past base, the
// offset where the current record began.
type capReader struct {
	r         io.Reader
	n         int64 // bytes delivered
	base, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n-c.base > c.max {
		return 0, errRecordTooLarge
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ---- XLSX ----

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

// openXLSX opens the workbook with raw cell values, so that dates arrive as
// serial numbers and numbers as written (a phone stays 13812345678), and
// streams the sheet's rows.
func openXLSX(br *bufio.Reader, name, sheet string) (_ *xlsxSource, serialOffset float64, err error) {
	var f *excelize.File
	defer func() {
		if err != nil && f != nil {
			f.Close() // removes the parts unzipped to temporary files
		}
	}()
	defer recoverXLSX(&err)
	opts := excelize.Options{
		RawCellValue:      true,
		UnzipXMLSizeLimit: xlsxXMLMemoryBytes,
		UnzipSizeLimit:    xlsxUnzipBytes,
	}
	fail := func(what string, err error) (*xlsxSource, float64, error) {
		return nil, 0, fmt.Errorf("hotline: %s：%w：%w", name, ErrFormat, &hiddenCause{msg: what, cause: err})
	}
	buf, err := io.ReadAll(io.LimitReader(br, int64(xlsxMemoryBytes)+1))
	if err != nil {
		return nil, 0, fmt.Errorf("hotline: %w", inChinese("读取文件 "+name+" 时出错", err))
	}
	if len(buf) <= xlsxMemoryBytes {
		f, err = excelize.OpenReader(bytes.NewReader(buf), opts)
	} else {
		f, err = openSpooled(io.MultiReader(bytes.NewReader(buf), br), opts)
	}
	if err != nil {
		return fail("无法打开 XLSX 工作簿（文件已损坏，或不是 Excel 工作簿）", err)
	}
	sheets := f.GetSheetList()
	switch {
	case sheet == "" && len(sheets) == 0:
		return fail("工作簿中没有工作表", errors.New("no sheet"))
	case sheet == "":
		sheet = sheets[0]
	case !slices.Contains(sheets, sheet):
		return fail(fmt.Sprintf("找不到工作表“%s”（现有：%s）", sheet, strings.Join(sheets, "、")), errors.New("no such sheet"))
	}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		serialOffset = 1462 // days from 1900-01-00 to 1904-01-01 in Excel's reckoning
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return fail("无法读取工作表“"+sheet+"”", err)
	}
	return &xlsxSource{f: f, rows: rows}, serialOffset, nil
}

// openSpooled copies a large workbook to a temporary file, because
// excelize.OpenReader would hold all of it in memory; OpenFile unzips from the
// file and has closed it when it returns, so the copy is removed at once.
func openSpooled(r io.Reader, opts excelize.Options) (*excelize.File, error) {
	tmp, err := os.CreateTemp("", "hotline-*.xlsx")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	return excelize.OpenFile(tmp.Name(), opts)
}

func (s *xlsxSource) next() (row int, cells []string, err error) {
	defer recoverXLSX(&err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	// Next also steps through rows missing from the sheet XML (Columns gives
	// nil for them), so counting calls yields the sheet's row numbers.
	s.row++
	cells, err = s.rows.Columns()
	if err != nil {
		return 0, nil, inChinese(fmt.Sprintf("第 %d 行无法读取（工作表已损坏）", s.row), err)
	}
	return s.row, cells, nil
}

func (s *xlsxSource) close() error {
	if s.f == nil {
		return nil
	}
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// recoverXLSX turns a panic inside excelize into an error: a damaged or hostile
// workbook must fail one import, not the server.
func recoverXLSX(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w：%w", ErrFormat, &hiddenCause{msg: "XLSX 文件已损坏", cause: fmt.Errorf("excelize panic: %v", p)})
	}
}

// xlsxSerial shifts a 1904-system serial to the 1900 system ParseTime knows.
func (rd *Reader) xlsxSerial(v string) string {
	if rd.serialOffset == 0 || !isSerial(v) {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(f+rd.serialOffset, 'f', -1, 64)
}

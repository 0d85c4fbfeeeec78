package hotline

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// shanghai is Asia/Shanghai, or UTC+8 when the system has no time zone data
// (China has kept UTC+8 without daylight saving since 1991).
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
})

// maxValueLen bounds what the normalisers look at: no real time or town
// is longer, and a hostile cell must not cost more than a glance.
const maxValueLen = 256

// Excel serial numbers (1900 date system) accepted by ParseTime: 1970-01-01 up
// to 9999-12-31. Smaller numbers are far more likely a year ("2026") or a
// count than a date, and starting after 1900-03-01 sidesteps Excel's fictitious
// 1900-02-29.
const (
	minSerial = 25569   // 1970-01-01
	maxSerial = 2958466 // 10000-01-01
)

var (
	errTimeEmpty  = errors.New("hotline: 时间为空")
	errTimeFormat = errors.New("hotline: 时间格式无法识别")
	errTimeRange  = errors.New("hotline: 日期或时间不存在")
)

// timeRe matches dates with an optional time: 2026-11-03 14:22:05,
// 2026/11/3 14:22, 2026.11.3, 2026年11月3日 14时22分05秒, 2026-11-03T14:22:05.5+08:00,
// 2026/11/3 下午2:22. The input is upper-cased and width-folded first.
var timeRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?` +
	`(?:(?:\s*T\s*|\s*)(上午|下午|AM|PM)?\s*(\d{1,2})\s*[:时点]\s*` +
	`(?:(\d{1,2})(?:\s*[:分]\s*(?:(\d{1,2})(?:\.(\d{1,9}))?\s*秒?)?)?)?\s*(AM|PM)?)?` +
	`\s*(Z|[+-]\d{2}:?\d{2})?$`)

// isSerial reports whether s looks like an Excel serial: 1–7 digits, then
// optionally a fraction.
func isSerial(s string) bool {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	return len(intPart) <= 7 && isDigits(intPart) && (!hasFrac || isDigits(frac))
}

// ParseTime reads a time (来电时间, 办理时限) as written in hotline exports and
// returns it in UTC.
// Accepted: "2026-11-03 14:22:05", "2026/11/3 14:22", "2026年11月3日 14时22分",
// "20261103142205", "202611031422", date only ("2026-11-03", "20261103"),
// Excel serial numbers of the 1900 date system ("46329.598", rounded to the
// second, 1970 onwards), an optional 上午/下午 or AM/PM, an optional zone
// ("Z", "+08:00"), full-width digits and punctuation. Times without a zone are
// wall-clock times in loc (Asia/Shanghai when nil). Dates that do not exist
// (2026-02-30) and years before 1900 are errors.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = shanghai()
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errTimeEmpty
	}
	if len(s) > maxValueLen {
		return time.Time{}, errTimeFormat
	}
	s = strings.ToUpper(foldWidth(s))

	if isDigits(s) {
		switch len(s) {
		case 14, 12, 8:
			return parseCompact(s, loc)
		}
	}
	if isSerial(s) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, errTimeFormat
		}
		return fromSerial(v, loc)
	}

	if t, ok, err := parseCommon(s, loc); ok {
		return t, err
	}
	m := timeRe.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, errTimeFormat
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(m[i]) // at most 4 digits by the pattern; "" gives 0
		return n
	}
	y, mo, d, h, mi, sec := num(1), num(2), num(3), num(5), num(6), num(7)
	nsec := 0
	if f := m[8]; f != "" {
		n, _ := strconv.Atoi(f + strings.Repeat("0", 9-len(f)))
		nsec = n
	}
	if m[5] == "" && (m[4] != "" || m[9] != "") {
		return time.Time{}, errTimeFormat // 上午 or PM without a time
	}
	switch meridiem := m[4] + m[9]; meridiem {
	case "":
	case "上午", "AM", "PM", "下午":
		if h > 12 {
			return time.Time{}, errTimeRange
		}
		pm := meridiem == "下午" || meridiem == "PM"
		if pm && h < 12 {
			h += 12
		} else if !pm && h == 12 {
			h = 0
		}
	default:
		return time.Time{}, errTimeFormat // both 下午 and PM
	}
	if z := m[10]; z != "" {
		zl, err := zone(z)
		if err != nil {
			return time.Time{}, err
		}
		loc = zl
	}
	return makeTime(y, mo, d, h, mi, sec, nsec, loc)
}

// parseCommon reads the shapes nearly every export uses, without a regular
// expression: 2026-11-03 14:22:05, 2026/11/3 14:22, 2026-11-03. ok is false
// for anything else, which ParseTime then tries harder with.
func parseCommon(s string, loc *time.Location) (t time.Time, ok bool, err error) {
	i := 0
	num := func(minDigits, maxDigits int) (int, bool) {
		n, start := 0, i
		for i < len(s) && i-start < maxDigits && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
		}
		return n, i-start >= minDigits
	}
	sep := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	y, ok1 := num(4, 4)
	if !ok1 || i >= len(s) || (s[i] != '-' && s[i] != '/') {
		return time.Time{}, false, nil
	}
	ds := s[i]
	i++
	mo, ok2 := num(1, 2)
	if !ok2 || !sep(ds) {
		return time.Time{}, false, nil
	}
	d, ok3 := num(1, 2)
	if !ok3 {
		return time.Time{}, false, nil
	}
	if i == len(s) {
		t, err = makeTime(y, mo, d, 0, 0, 0, 0, loc)
		return t, true, err
	}
	if !sep(' ') && !sep('T') {
		return time.Time{}, false, nil
	}
	h, ok4 := num(1, 2)
	if !ok4 || !sep(':') {
		return time.Time{}, false, nil
	}
	mi, ok5 := num(2, 2)
	if !ok5 {
		return time.Time{}, false, nil
	}
	sec := 0
	if sep(':') {
		if sec, ok5 = num(2, 2); !ok5 {
			return time.Time{}, false, nil
		}
	}
	if i != len(s) {
		return time.Time{}, false, nil
	}
	t, err = makeTime(y, mo, d, h, mi, sec, 0, loc)
	return t, true, err
}

func parseCompact(s string, loc *time.Location) (time.Time, error) {
	n := func(i, j int) int {
		v, _ := strconv.Atoi(s[i:j])
		return v
	}
	var h, mi, sec int
	if len(s) >= 12 {
		h, mi = n(8, 10), n(10, 12)
	}
	if len(s) == 14 {
		sec = n(12, 14)
	}
	return makeTime(n(0, 4), n(4, 6), n(6, 8), h, mi, sec, 0, loc)
}

// fromSerial converts an Excel serial (days since 1899-12-30, fraction = time
// of day) into a wall-clock time in loc. The date is computed in UTC and then
// placed in loc, so that daylight-saving history cannot shift it.
func fromSerial(v float64, loc *time.Location) (time.Time, error) {
	if math.IsNaN(v) || v < minSerial || v >= maxSerial {
		return time.Time{}, errTimeRange
	}
	secs := int64(math.Round(v * 86400))
	w := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(secs) * time.Second)
	return makeTime(w.Year(), int(w.Month()), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
}

func zone(z string) (*time.Location, error) {
	if z == "Z" {
		return time.UTC, nil
	}
	z = strings.ReplaceAll(z, ":", "")
	h, _ := strconv.Atoi(z[1:3])
	m, _ := strconv.Atoi(z[3:5])
	if h > 14 || m > 59 {
		return nil, errTimeRange
	}
	off := (h*60 + m) * 60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), nil
}

// makeTime builds a time and refuses what time.Date would silently normalise
// (2026-02-30 becoming 2026-03-02).
func makeTime(y, mo, d, h, mi, sec, nsec int, loc *time.Location) (time.Time, error) {
	if y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, errTimeRange
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, loc)
	if t.Day() != d || int(t.Month()) != mo {
		return time.Time{}, errTimeRange
	}
	return t.UTC(), nil
}

// unwrapExcelText strips the ="…" some systems write so that Excel keeps
// leading zeros.
func unwrapExcelText(s string) string {
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		return s[2 : len(s)-1]
	}
	return s
}

// townSuffixes are the endings a town may be written with, after its stem.
var townSuffixes = []string{"", "镇", "乡", "街道", "街道办事处", "办事处"}

// MatchTown recognises a town (乡镇) and returns its canonical name from towns
// (DefaultTowns when nil). The value may carry the province, city and county
// before it and may leave out 镇: 城关镇, 城关, 石泉县城关镇, 陕西省安康市石泉县城关镇
// all give 城关镇, and 云雾山 and 云雾山镇 give 云雾山镇. The longest match at the
// end wins, the town's own full name before a form derived from its stem (with
// towns 城关镇 and 城关街道, "城关镇" is 城关镇); failing that, a full town name
// inside the value ("城关镇东关社区") counts when only one town's name is found.
// Ambiguous or unknown values give "" and false. Stems shorter than two
// characters are not matched on their own.
func MatchTown(s string, towns []string) (string, bool) {
	if towns == nil {
		return defaultTownMatcher().match(s)
	}
	return newTownMatcher(towns).match(s)
}

// townMatcher holds the ways of writing each town, worked out once.
type townMatcher struct {
	towns []string
	keys  []string     // townKey of each town
	forms [][]townForm // per town, the endings that name it
}

type townForm struct {
	text  string
	score int // longer is better; the full name scores above a derived form of equal length
}

var defaultTownMatcher = sync.OnceValue(func() *townMatcher { return newTownMatcher(defaultTowns) })

func newTownMatcher(towns []string) *townMatcher {
	m := &townMatcher{towns: towns, keys: make([]string, len(towns)), forms: make([][]townForm, len(towns))}
	for i, t := range towns {
		tk := townKey(t)
		m.keys[i] = tk
		if tk == "" {
			continue
		}
		forms := []townForm{{tk, 2*len(tk) + 1}}
		stem := townStem(tk)
		for _, suf := range townSuffixes {
			if suf == "" && utf8.RuneCountInString(stem) < 2 {
				continue // a one-character stem alone would match far too much
			}
			if form := stem + suf; form != tk {
				forms = append(forms, townForm{form, 2 * len(form)})
			}
		}
		m.forms[i] = forms
	}
	return m
}

func (m *townMatcher) match(s string) (string, bool) {
	if len(s) > maxValueLen {
		return "", false
	}
	k := townKey(s)
	if k == "" {
		return "", false
	}
	best, bestScore, tie := -1, 0, false
	for i, forms := range m.forms {
		score := 0
		for _, f := range forms {
			if f.score > score && strings.HasSuffix(k, f.text) {
				score = f.score
			}
		}
		switch {
		case score == 0:
		case score > bestScore:
			best, bestScore, tie = i, score, false
		case score == bestScore && m.towns[best] != m.towns[i]:
			tie = true
		}
	}
	if best >= 0 {
		if tie {
			return "", false
		}
		return m.towns[best], true
	}
	found := -1
	for i, tk := range m.keys {
		if tk == "" || !strings.Contains(k, tk) {
			continue
		}
		if found >= 0 && m.towns[found] != m.towns[i] {
			return "", false
		}
		found = i
	}
	if found < 0 {
		return "", false
	}
	return m.towns[found], true
}

// townKey folds compatibility forms and removes spaces.
func townKey(s string) string {
	s = norm.NFKC.String(s)
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// townStem is the town without its 镇, 乡 or 街道: 云雾山镇 → 云雾山.
func townStem(t string) string {
	for _, suf := range []string{"街道办事处", "街道", "镇", "乡"} {
		if stem, ok := strings.CutSuffix(t, suf); ok && stem != "" {
			return stem
		}
	}
	return t
}

// Category codes for pollution types (污染类型), as stored on complaints.
const (
	CategoryAir       = "air"
	CategoryWater     = "water"
	CategoryNoise     = "noise"
	CategoryWaste     = "waste"
	CategoryRadiation = "radiation"
	CategorySoil      = "soil"
	CategoryEcology   = "ecology"
	CategoryOther     = "other"
)

// categoryExact is the contract's table (hotline-format.md), plus the explicit
// "other" that exports use.
var categoryExact = map[string]string{
	"大气": CategoryAir, "大气污染": CategoryAir, "废气": CategoryAir, "扬尘": CategoryAir, "油烟": CategoryAir,
	"水": CategoryWater, "水污染": CategoryWater, "废水": CategoryWater,
	"噪声": CategoryNoise, "噪音": CategoryNoise,
	"固废": CategoryWaste, "固体废物": CategoryWaste, "垃圾": CategoryWaste,
	"辐射": CategoryRadiation,
	"土壤": CategorySoil,
	"生态": CategoryEcology, "生态破坏": CategoryEcology, "非法采砂": CategoryEcology, "毁林": CategoryEcology,
	"其他": CategoryOther, "其它": CategoryOther,
}

// categoryKeywords is the generous fallback, tried in this order, first hit
// wins: "施工噪音扰民" is noise, "污水异味" is water (water before air),
// "水土流失" is ecology (ecology before water).
var categoryKeywords = []struct {
	code  string
	words []string
}{
	{CategoryEcology, []string{"生态", "采砂", "采沙", "挖砂", "挖沙", "毁林", "砍伐", "水土流失"}},
	{CategoryRadiation, []string{"辐射", "电磁", "放射"}},
	{CategorySoil, []string{"土壤"}},
	{CategoryNoise, []string{"噪", "振动"}},
	{CategoryWaste, []string{"固废", "固体废", "废物", "垃圾", "危废", "废渣"}},
	{CategoryWater, []string{"水"}},
	{CategoryAir, []string{"大气", "气", "尘", "烟", "雾霾", "异味", "臭", "焚烧"}},
	{CategoryOther, []string{"其他", "其它"}},
}

// MapCategories maps pollution categories as written (污染类型, one or several
// separated by 、,，;；/| or spaces) to codes: air, water, noise, waste,
// radiation, soil, ecology, other. Codes are deduplicated in first-seen order.
// The contract's terms match exactly; otherwise a term containing a telling
// word counts (噪 → noise, 水 → water, 尘/烟/气 → air; order in
// categoryKeywords). Terms recognised by nothing count as "other" and are
// returned in unknown, as written, so the caller can warn.
func MapCategories(s string) (codes []string, unknown []string) {
	for _, term := range strings.FieldsFunc(s, isCategorySep) {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		code, ok := categoryCode(term)
		if !ok {
			code = CategoryOther
			if !slices.Contains(unknown, term) {
				unknown = append(unknown, term)
			}
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	return codes, unknown
}

func isCategorySep(r rune) bool {
	switch r {
	case '、', ',', '，', ';', '；', '/', '／', '|', '｜':
		return true
	}
	return unicode.IsSpace(r)
}

func categoryCode(term string) (string, bool) {
	if len(term) > maxValueLen {
		return "", false
	}
	k := strings.ToLower(norm.NFKC.String(term))
	if c, ok := categoryExact[k]; ok {
		return c, true
	}
	switch k {
	case CategoryAir, CategoryWater, CategoryNoise, CategoryWaste, CategoryRadiation, CategorySoil, CategoryEcology, CategoryOther:
		return k, true // already a code (re-imported from our own export)
	}
	for _, kw := range categoryKeywords {
		for _, w := range kw.words {
			if strings.Contains(k, w) {
				return kw.code, true
			}
		}
	}
	return "", false
}

// ParseYesNo reads a yes/no cell (是否): 是/否, 有/无, Y/N, yes/no, 1/0, true/false,
// √/×, full-width forms too. ok is false when the value is blank or not one of
// these.
func ParseYesNo(s string) (value, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 16 {
		return false, false
	}
	switch strings.ToLower(foldWidth(s)) {
	case "是", "有", "y", "yes", "1", "true", "t", "√", "✓", "✔":
		return true, true
	case "否", "无", "n", "no", "0", "false", "f", "×", "✗", "✘", "x":
		return false, true
	}
	return false, false
}

// foldWidth maps full-width forms to ASCII (１３８ → 138, ： → :), leaving
// ASCII-only strings alone without allocating.
func foldWidth(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return width.Fold.String(s)
		}
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isControl reports characters that never belong in a cell: C0 and C1 controls,
// DEL, byte-order marks and zero-width spaces. Callers decide about \n and \t.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\ufeff' || r == '\u200b'
}

// cleanLine is a single-line value: control characters removed, runs of white
// space (newlines, tabs, ideographic spaces) collapsed to one space, trimmed.
func cleanLine(s string) string {
	if lineClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case isControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineClean reports whether cleanLine would return s unchanged.
func lineClean(s string) bool {
	prevSpace := true // a leading space needs cleaning
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case unicode.IsSpace(r), isControl(r):
			return false
		default:
			prevSpace = false
		}
	}
	return s == "" || !prevSpace
}

// cleanText is a multi-line value: line endings made \n, control characters
// other than \n and \t removed, trimmed.
func cleanText(s string) string {
	clean := true
	for _, r := range s {
		if r != '\n' && r != '\t' && isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if !strings.HasPrefix(s[i+1:], "\n") {
				b.WriteByte('\n')
			}
		case r == '\n', r == '\t':
			b.WriteRune(r)
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// excerpt shortens a value quoted in a message.
func excerpt(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// describe is a one-line rendering of a value for messages.
func describe(s string) string {
	return excerpt(cleanLine(s))
}

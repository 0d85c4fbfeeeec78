// Package phone reads the phone numbers (联系电话, 来电号码) that residents
// type, staff copy from letters and hotline exports carry, and gives each one
// stored form, whatever channel it came through. It also owns what may be
// shown of a number (Mask) and the last four digits a hotline caller gives to
// follow a ticket (Last4).
//
// Stored forms:
//
//	mobile                    13812345678        11 digits
//	landline                  0915-6321234       area code, hyphen, local number
//	landline with extension   0915-6321234-801   then a hyphen and 1–6 digits
//
// Area codes follow the national numbering plan: 010 and 020–029 have three
// digits, every other area code four; local numbers have 7 or 8 digits.
package phone

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Invalid is the message a form shows under a phone field that holds no
// recognisable number. Every intake that refuses such a value uses it.
const Invalid = "请填写正确的手机号或固定电话（如 13800001234 或 0915-1234567）"

// maxLen bounds what Normalize looks at: no real number, even with its
// country code, separators and extension, is longer, and a hostile value must
// not cost more than a glance.
const maxLen = 256

// maxExtension is the longest extension (分机号) accepted.
const maxExtension = 6

// extensionMarks introduce an extension, in the order they are looked for
// ("分机" before "x" matters not, but "ext" must come before "x").
var extensionMarks = []string{"转分机", "分机号", "分机", "转", "EXT.", "EXT", "ext.", "ext", "Ext.", "Ext", "X", "x", "#"}

// Normalize returns a Chinese phone number in its stored form (see the
// package comment) and true. It accepts separators (138-1234-5678,
// 138 1234 5678, (0915)6321234, 138.1234.5678), a country code (+86, 0086,
// and 86 before a mobile), a long-distance 0 before a mobile (013812345678),
// full-width digits and punctuation, an extension after 转, 分机, ext, x, # or
// a last hyphen (0915-6321234转801, 0915-6321234-801), Excel's ="…" and
// leading-apostrophe text forms, and numbers that a spreadsheet turned into
// 1.3812345678E+10 or 13812345678.0 (only when no digit was lost).
//
// For a blank value or anything else (several numbers, short service numbers
// such as 12345, local numbers without an area code, foreign numbers, text) it
// returns s trimmed and false: the hotline keeps such a value as written with
// a warning, the web forms refuse it with Invalid.
func Normalize(s string) (string, bool) {
	raw := strings.TrimSpace(s)
	if raw == "" || len(raw) > maxLen {
		return raw, false
	}
	v := strings.TrimPrefix(unwrapExcelText(foldWidth(raw)), "'")
	if n, ok := grouped(v); ok {
		return n, true
	}
	if n, ok := number(v); ok {
		return n, true
	}
	for _, mark := range extensionMarks {
		if main, ext, ok := strings.Cut(v, mark); ok {
			if n, ok := withExtension(main, strings.Trim(ext, " .:()")); ok {
				return n, true
			}
			return raw, false
		}
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		if n, ok := withExtension(v[:i], v[i+1:]); ok {
			return n, true
		}
	}
	return raw, false
}

// grouped reads a landline written as area-local-extension, 010-1234567-8,
// whose groups say where the extension starts: read as one number it would be
// another valid one, 010-12345678.
func grouped(v string) (string, bool) {
	g := strings.Split(v, "-")
	if len(g) != 3 {
		return "", false
	}
	for i := range g {
		if g[i] = strings.TrimSpace(g[i]); !isDigits(g[i]) {
			return "", false
		}
	}
	if areaLen(g[0]+g[1]) != len(g[0]) || len(g[1]) < 7 || len(g[1]) > 8 {
		return "", false
	}
	return withExtension(g[0]+"-"+g[1], g[2])
}

// withExtension is a landline followed by its extension.
func withExtension(main, ext string) (string, bool) {
	if len(ext) == 0 || len(ext) > maxExtension || !isDigits(ext) {
		return "", false
	}
	n, ok := number(main)
	if !ok || isMobile(n) {
		return "", false
	}
	return n + "-" + ext, true
}

// number reads one number without an extension, already width-folded.
func number(v string) (string, bool) {
	if d, ok := expandNumber(v); ok {
		v = d
	}
	digits := make([]byte, 0, 16)
	plus := false
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && len(digits) == 0 && !plus:
			plus = true
		case r == ' ', r == '-', r == '(', r == ')', r == '.', r == '\u2010', r == '\u2013', r == '\u2014', unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	d := string(digits)
	intl := false
	switch {
	case plus && strings.HasPrefix(d, "86"):
		d, intl = d[2:], true
	case plus:
		return "", false // another country
	case strings.HasPrefix(d, "0086"):
		d, intl = d[4:], true
	case len(d) == 13 && strings.HasPrefix(d, "861"):
		d = d[2:]
	}
	if intl && d != "" && d[0] != '0' && !isMobile(d) {
		d = "0" + d // +86 915 6321234, +86 10 12345678: the trunk 0 is dropped abroad
	}
	switch {
	case isMobile(d):
		return d, true
	case len(d) == 12 && d[0] == '0' && isMobile(d[1:]):
		return d[1:], true // 013812345678, dialled as long distance
	}
	area := areaLen(d)
	if area == 0 {
		return "", false
	}
	if local := len(d) - area; local < 7 || local > 8 {
		return "", false
	}
	return d[:area] + "-" + d[area:], true
}

// areaLen is the length of the area code d starts with, or 0 when d cannot
// start with one.
func areaLen(d string) int {
	if len(d) < 3 || d[0] != '0' {
		return 0
	}
	switch d[1] {
	case '0':
		return 0
	case '1': // Beijing 010 is the only 01x area code
		if d[2] != '0' {
			return 0
		}
		return 3
	case '2': // 020–029
		return 3
	}
	return 4
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && isDigits(d)
}

// expandNumber undoes what spreadsheets do to long digit strings stored as
// numbers: "1.3812345678E+10" and "13812345678.0". It refuses "1.38123E+10",
// whose lost digits cannot be recovered.
func expandNumber(s string) (string, bool) {
	if intPart, ok := strings.CutSuffix(s, ".0"); ok && isDigits(intPart) {
		return intPart, true
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return "", false
	}
	mant, exp := s[:i], strings.TrimPrefix(s[i+1:], "+")
	e, err := strconv.Atoi(exp)
	if err != nil || !isDigits(exp) {
		return "", false
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if len(intPart) != 1 || !isDigits(intPart) || (frac != "" && !isDigits(frac)) || len(frac) != e {
		return "", false
	}
	return intPart + frac, true
}

// unwrapExcelText strips the ="…" some systems write so that Excel keeps
// leading zeros.
func unwrapExcelText(s string) string {
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		return s[2 : len(s)-1]
	}
	return s
}

// foldWidth maps full-width forms to ASCII (１３８ → 138, （ → (), leaving
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

// Mask is a phone as staff lists show it before anyone asks to see the
// contact: a mobile as 138****5678; a landline as its area code (which names a
// city, not a person) and the last four digits of the local number,
// 0915-***1234, an extension hidden (0915-***1234-***); anything Normalize
// does not recognise as "****" and at most its last four digits, fewer when
// it has fewer than eight, so that a short value ("0915-12", "12345") is never
// shown whole. Blank gives "".
func Mask(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	n, ok := Normalize(s)
	if !ok {
		d := asciiDigits(foldWidth(s))
		return "****" + d[len(d)-min(4, len(d)/2):]
	}
	if isMobile(n) {
		return n[:3] + "****" + n[7:]
	}
	area, rest, _ := strings.Cut(n, "-")
	local, ext, hasExt := strings.Cut(rest, "-")
	out := area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
	if hasExt {
		out += "-" + strings.Repeat("*", len(ext))
	}
	return out
}

// Last4 is the last four ASCII digits of a phone as stored, or "" when it has
// fewer: what a hotline caller types, with the ticket number, to follow a
// ticket on the portal (the lookup HMAC is made of both). It reads the stored
// value as it is, without normalising it: every hotline ticket imported so
// far was hashed this way, an unrecognised value as written included, and
// must still be found. For a number with an extension the extension's digits
// count, as they always have.
func Last4(s string) string {
	d := asciiDigits(s)
	if len(d) < 4 {
		return ""
	}
	return d[len(d)-4:]
}

func asciiDigits(s string) string {
	d := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	return string(d)
}

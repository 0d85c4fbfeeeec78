package phone

import (
	"regexp"
	"strings"
	"testing"
)

// TestNormalize is every form the channels meet: the hotline contract's
// examples (hotline-format.md), what spreadsheets do to numbers, what
// residents type into the portal and partners send through Open311, and what
// reward claimants write. last4 is the value a hotline ticket's lookup HMAC
// is made of: for every number the hotline importer already recognised, it
// is the value that importer hashed, so tickets imported before still match.
func TestNormalize(t *testing.T) {
	ok := []struct{ name, in, want, last4, mask string }{
		// hotline-format.md
		{"Mobile", "13812345678", "13812345678", "5678", "138****5678"},
		{"MobileDashes", "138-1234-5678", "13812345678", "5678", "138****5678"},
		{"MobileCountryCode", "+86 138 1234 5678", "13812345678", "5678", "138****5678"},
		{"Landline", "0915-6321234", "0915-6321234", "1234", "0915-***1234"},
		{"MobileFullWidth", "１３８１２３４５６７８", "13812345678", "5678", "138****5678"},
		// separators, prefixes and country codes
		{"MobileSpaces", "138 1234 5678", "13812345678", "5678", "138****5678"},
		{"MobilePadded", "  138 1234 5678  ", "13812345678", "5678", "138****5678"},
		{"MobileIdeographicSpace", "138\u30001234\u30005678", "13812345678", "5678", "138****5678"},
		{"MobileDots", "138.1234.5678", "13812345678", "5678", "138****5678"},
		{"MobileEnDash", "138–1234–5678", "13812345678", "5678", "138****5678"},
		{"MobileCountryCodeTight", "+8613812345678", "13812345678", "5678", "138****5678"},
		{"MobileFullWidthPlus", "＋８６ １３８１２３４５６７８", "13812345678", "5678", "138****5678"},
		{"Mobile0086", "0086 138 1234 5678", "13812345678", "5678", "138****5678"},
		{"Mobile0086Tight", "008613812345678", "13812345678", "5678", "138****5678"},
		{"Mobile86NoPlus", "86-138-1234-5678", "13812345678", "5678", "138****5678"},
		{"MobileLongDistanceZero", "013812345678", "13812345678", "5678", "138****5678"},
		{"Mobile19", "19207075207", "19207075207", "5207", "192****5207"},
		// spreadsheets
		{"MobileExcelExponent", "1.3812345678E+10", "13812345678", "5678", "138****5678"},
		{"MobileExcelDecimal", "13812345678.0", "13812345678", "5678", "138****5678"},
		{"MobileExcelText", `="13812345678"`, "13812345678", "5678", "138****5678"},
		{"MobileApostrophe", "'13812345678", "13812345678", "5678", "138****5678"},
		{"LandlineExcelText", `="09156321234"`, "0915-6321234", "1234", "0915-***1234"},
		// landlines
		{"LandlineNoDash", "09156321234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineSpace", "0915 6321234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineParens", "(0915)6321234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineFullWidthParens", "（０９１５）６３２１２３４", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineFullWidthHyphen", "０９１５－６３２１２３４", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineGroupedLocal", "0915-632-1234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineCountryCode", "+86 915 6321234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineCountryCodeKeptZero", "+86 0915 6321234", "0915-6321234", "1234", "0915-***1234"},
		{"Landline0086", "0086 915 6321234", "0915-6321234", "1234", "0915-***1234"},
		{"LandlineEightDigits", "0915-12345678", "0915-12345678", "5678", "0915-****5678"},
		{"LandlineBeijing", "010-12345678", "010-12345678", "5678", "010-****5678"},
		{"LandlineBeijingCountryCode", "+86 10 12345678", "010-12345678", "5678", "010-****5678"},
		{"LandlineShanghaiNoDash", "02112345678", "021-12345678", "5678", "021-****5678"},
		{"LandlineXian", "029-87654321", "029-87654321", "4321", "029-****4321"},
		{"LandlineFourDigitAreaByPlan", "031-12345678", "0311-2345678", "5678", "0311-***5678"},
		// extensions
		{"ExtensionHyphen", "0915-6321234-801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionZhuan", "0915-6321234转801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionZhuanSpaced", "0915 6321234 转 801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionFenji", "09156321234分机801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionFullWidth", "０９１５－６３２１２３４转８０１", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionParens", "0915-6321234（转801）", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionExt", "0915-6321234 ext. 801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionX", "0915-6321234x801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionHash", "0915-6321234#801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionOneDigitGrouped", "010-1234567-8", "010-1234567-8", "5678", "010-***4567-*"},
		{"ExtensionCountryCode", "+86 915 6321234-801", "0915-6321234-801", "4801", "0915-***1234-***"},
		{"ExtensionSixDigits", "0915-6321234-123456", "0915-6321234-123456", "3456", "0915-***1234-******"},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.name, func(t *testing.T) {
			got, ok := Normalize(tc.in)
			if !ok || got != tc.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q, true", tc.in, got, ok, tc.want)
			}
			if again, ok := Normalize(got); !ok || again != got {
				t.Errorf("Normalize(%q) = %q, %v; the stored form must read back as itself", got, again, ok)
			}
			if l4 := Last4(got); l4 != tc.last4 {
				t.Errorf("Last4(%q) = %q, want %q", got, l4, tc.last4)
			}
			if m := Mask(got); m != tc.mask {
				t.Errorf("Mask(%q) = %q, want %q", got, m, tc.mask)
			}
			if m := Mask(tc.in); m != tc.mask {
				t.Errorf("Mask(%q) = %q, want %q (as typed, the same as stored)", tc.in, m, tc.mask)
			}
		})
	}

	bad := []struct{ name, in, last4, mask string }{
		{"Empty", "", "", ""},
		{"Blank", "   ", "", ""},
		{"LostDigits", "1.38123E+10", "2310", "****2310"},
		{"ServiceNumber", "12345", "2345", "****45"},
		{"ShortLandline", "0915-12", "1512", "****512"},
		{"BankHotline", "95588", "5588", "****88"},
		{"LocalWithoutAreaCode", "6321234", "1234", "****234"},
		{"TwoNumbers", "13812345678/13912345678", "5678", "****5678"},
		{"MobileWithExtension", "13812345678转801", "8801", "****8801"},
		{"ExtensionTooLong", "0915-6321234转1234567", "4567", "****4567"},
		{"ExtensionNotDigits", "0915-6321234转前台", "1234", "****1234"},
		{"ExtensionEmpty", "0915-6321234转", "1234", "****1234"},
		{"Foreign", "+1 415 555 0100", "0100", "****0100"},
		{"TwelveDigits", "138123456789", "6789", "****6789"},
		{"NotAMobilePrefix", "12812345678", "5678", "****5678"},
		{"AreaCode00", "0012345678", "5678", "****5678"},
		{"AreaCode01x", "0112345678", "5678", "****5678"},
		{"LocalTooShort", "0915-632123", "2123", "****2123"},
		{"LocalTooLong", "0915-632123456", "3456", "****3456"},
		{"Letters", "无", "", "****"},
		{"FullWidthUnrecognised", "１２３４５", "", "****45"},
		{"InvalidUTF8", "138\xff12345678", "5678", "****5678"},
		{"Huge", strings.Repeat("1", 10000), "1111", "****1111"},
	}
	for _, tc := range bad {
		t.Run("Unrecognised/"+tc.name, func(t *testing.T) {
			got, ok := Normalize(tc.in)
			if ok || got != strings.TrimSpace(tc.in) {
				t.Fatalf("Normalize(%q) = %q, %v; want the input trimmed and false", clip(tc.in), clip(got), ok)
			}
			if l4 := Last4(got); l4 != tc.last4 {
				t.Errorf("Last4(%q) = %q, want %q", clip(got), l4, tc.last4)
			}
			if m := Mask(got); m != tc.mask {
				t.Errorf("Mask(%q) = %q, want %q", clip(got), m, tc.mask)
			}
		})
	}
}

// TestLast4 is the hotline lookup's half of the HMAC: the last four ASCII
// digits as stored, nothing normalised, so that what was hashed at import
// time is what is hashed again.
func TestLast4(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Mobile", "13812345678", "5678"},
		{"Landline", "0915-6321234", "1234"},
		{"Typed", "5678", "5678"},
		{"RawKeptAsWritten", "138 1234 5678 (白天)", "5678"},
		{"FullWidthDigitsAreNotCounted", "１３８１２３４５６７８", ""},
		{"ErrTooFew", "123", ""},
		{"ErrEmpty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Last4(tt.in); got != tt.want {
				t.Errorf("Last4(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// stored is the shape of every stored form (see the package comment).
var stored = regexp.MustCompile(`^(?:1[3-9][0-9]{9}|0(?:10|2[0-9]|[3-9][0-9]{2})-[0-9]{7,8}(?:-[0-9]{1,6})?)$`)

var digitRun = regexp.MustCompile(`[0-9]+`)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"13812345678", "138-1234-5678", "+86 138 1234 5678", "0915-6321234", "１３８１２３４５６７８",
		"(0915)6321234", "+86 915 6321234", "010-12345678", "1.3812345678E+10", "13812345678.0",
		`="13812345678"`, "12345", "0915-6321234转801", "0915-6321234-801", "010-1234567-8", "0915-12", "", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Normalize(s)
		m := Mask(s)
		if !ok {
			if got != strings.TrimSpace(s) {
				t.Fatalf("Normalize(%q) = %q, false; want the input trimmed", s, got)
			}
			// An unrecognised value shows at most its last four digits.
			if got == "" {
				if m != "" {
					t.Fatalf("Mask(%q) = %q, want blank", s, m)
				}
				return
			}
			if shown := strings.Join(digitRun.FindAllString(m, -1), ""); len(shown) > 4 ||
				!strings.HasSuffix(asciiDigits(foldWidth(s)), shown) || !strings.HasPrefix(m, "****") {
				t.Fatalf("Mask(%q) = %q shows too much", s, m)
			}
			return
		}
		if !stored.MatchString(got) {
			t.Fatalf("Normalize(%q) = %q, not a stored form", s, got)
		}
		if again, ok2 := Normalize(got); !ok2 || again != got {
			t.Fatalf("Normalize(%q) = %q, but that normalises to %q, %v", s, got, again, ok2)
		}
		if Mask(got) != m {
			t.Fatalf("Mask(%q) = %q but Mask(%q) = %q", s, m, got, Mask(got))
		}
		// A mask keeps the prefix (mobile) or area code, then only the last
		// four digits of the number.
		area, rest, _ := strings.Cut(got, "-")
		if isMobile(got) {
			area, rest = got[:3], got[3:]
		}
		local, _, _ := strings.Cut(rest, "-")
		if !strings.HasPrefix(m, area) || !strings.Contains(m, "*"+local[len(local)-4:]) ||
			len(asciiDigits(strings.TrimPrefix(m, area))) != 4 {
			t.Fatalf("Mask(%q) = %q", got, m)
		}
		if Last4(got) != asciiDigits(got)[len(asciiDigits(got))-4:] {
			t.Fatalf("Last4(%q) = %q", got, Last4(got))
		}
	})
}

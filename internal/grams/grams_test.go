package grams

import (
	"slices"
	"testing"
)

func TestTermsOfChineseAndMixedText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		query string
		found bool
	}{
		{"AWordOfTheText", "养殖场污水直排河道", "污水", true},
		{"APhraseOfTheText", "养殖场污水直排河道", "污水直排", true},
		{"TwoWordsApart", "养殖场污水直排河道", "河道 养殖", true},
		{"AWordNotInTheText", "养殖场污水直排河道", "噪声", false},
		{"OneWordOfTwoMissing", "养殖场污水直排河道", "污水 噪声", false},
		{"PunctuationSplitsRuns", "污水，直排", "水直", false},
		{"FullWidthIsHalfWidth", "工单ＳＮ１２３６９", "sn12369", true},
		{"CaseDoesNotMatter", "KTV噪声扰民", "ktv", true},
		{"AnASCIIWordIsWhole", "工单SN12369001", "SN1236", false},
		{"DigitsBesideChinese", "东街3号楼12单元", "12单元", true},
		{"ATicketNumber", "SN123690001", "sn123690001", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := Terms(tc.text)
			q, short := Query(tc.query)
			if len(short) > 0 || len(q) == 0 {
				t.Fatalf("Query(%q) = %v, short %v", tc.query, q, short)
			}
			all := true
			for _, x := range q {
				if _, ok := slices.BinarySearch(doc, x); !ok {
					all = false
				}
			}
			if all != tc.found {
				t.Fatalf("%q in %q: %v, want %v", tc.query, tc.text, all, tc.found)
			}
		})
	}
}

func TestQueryNamesSingleCharacterWords(t *testing.T) {
	for _, tc := range []struct {
		q     string
		short []string
		terms int
	}{
		{"水", []string{"水"}, 0},
		{"污水 水", []string{"水"}, 1},
		{"3号楼", nil, 1}, // 号楼; the 3 alone gives nothing
		{"a", []string{"a"}, 0},
		{"，。！", nil, 0},                     // punctuation only: no term, not a short word
		{"' OR 1=1 --", []string{"1=1"}, 1}, // OR is a word; quote and dashes are nothing
	} {
		terms, short := Query(tc.q)
		if !slices.Equal(short, tc.short) || len(terms) != tc.terms {
			t.Errorf("Query(%q) = %d terms, short %q; want %d, %q", tc.q, len(terms), short, tc.terms, tc.short)
		}
	}
}

func TestTermsAreDistinctSortedAndApart(t *testing.T) {
	a := Terms("污水污水", "河道")
	if !slices.IsSorted(a) || len(a) != 3 { // 污水 水污 河道: 污水 once
		t.Fatalf("Terms = %v", a)
	}
	// Parts never run into each other: 水 of one and 河 of the next give no 水河.
	b := Terms("污水河道")
	if slices.Equal(a, b) {
		t.Fatal("parts ran into each other")
	}
	if got := Terms(""); len(got) != 0 {
		t.Fatalf("Terms(\"\") = %v", got)
	}
	long := Terms("SN1234567890123456789012345678901234567890123456789012345678901234567890")
	if len(long) != 1 {
		t.Fatalf("a long word gives %d terms", len(long))
	}
}

func TestDiff(t *testing.T) {
	add, remove := Diff([]int64{1, 3, 5, 7}, []int64{2, 3, 7, 9})
	if !slices.Equal(add, []int64{2, 9}) || !slices.Equal(remove, []int64{1, 5}) {
		t.Fatalf("Diff = %v, %v", add, remove)
	}
	add, remove = Diff(nil, []int64{4})
	if !slices.Equal(add, []int64{4}) || remove != nil {
		t.Fatalf("Diff from nothing = %v, %v", add, remove)
	}
}

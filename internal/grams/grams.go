// Package grams turns Chinese (and mixed) text into the terms of the search
// index (全文检索), and a search into the terms a document must hold.
//
// A term is a number:
//
//   - a run of Chinese (any letters or digits outside ASCII) gives its
//     overlapping character pairs (bigrams), 污水直排 → 污水 水直 直排, each
//     packed exactly into one number (the first code point above the
//     second);
//   - a run of ASCII letters and digits (a ticket number, a reference such
//     as R0000123, "KTV") gives one word, lower-cased, as a 62-bit hash with
//     a flag bit no bigram has.
//
// Text is first normalised with NFKC (full-width Ａ１ becomes A1) and
// lower-cased. Single characters give no term: a search for one character
// alone is refused, and one within a longer word is left out (the 3 of
// 3号楼). A search finds the documents that hold every term of every word,
// so 污水直排 finds the text 污水直排 (and, rarely, a text holding its three
// pairs apart).
package grams

import (
	"hash/fnv"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxWord is the longest ASCII word told apart, in bytes; a longer word is
// cut to it before hashing.
const MaxWord = 64

// wordFlag marks the hash of an ASCII word: a bigram packs two code points
// of 21 bits each, below 1<<42.
const wordFlag = int64(1) << 62

type run struct {
	wide bool // Chinese or another script beyond ASCII
	rs   []rune
}

// runs splits normalised, lower-cased text into runs of one class; anything
// that is not a letter, digit or mark separates runs.
func runs(s string) []run {
	s = norm.NFKC.String(s)
	var out []run
	var cur run
	flush := func() {
		if len(cur.rs) > 0 {
			out = append(out, cur)
		}
		cur = run{}
	}
	for _, r := range s {
		var wide bool
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)):
			wide = true
		default:
			flush()
			continue
		}
		if len(cur.rs) > 0 && cur.wide != wide {
			flush()
		}
		cur.wide = wide
		cur.rs = append(cur.rs, unicode.ToLower(r))
	}
	flush()
	return out
}

func bigram(a, b rune) int64 { return int64(a)<<21 | int64(b) }

func word(rs []rune) int64 {
	b := []byte(string(rs))
	if len(b) > MaxWord {
		b = b[:MaxWord]
	}
	h := fnv.New64a()
	h.Write(b)
	return wordFlag | int64(h.Sum64()&uint64(wordFlag-1))
}

// add appends the terms of r.
func (r run) add(out []int64) []int64 {
	if len(r.rs) < 2 {
		return out
	}
	if !r.wide {
		return append(out, word(r.rs))
	}
	for i := 0; i+1 < len(r.rs); i++ {
		out = append(out, bigram(r.rs[i], r.rs[i+1]))
	}
	return out
}

// Terms returns the distinct terms of a document made of parts (a
// reference, a ticket number, an address, a description…), sorted. Parts
// never run into each other.
func Terms(parts ...string) []int64 {
	var out []int64
	for _, p := range parts {
		for _, r := range runs(p) {
			out = r.add(out)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Diff returns the terms of after that before lacks (to add) and those of
// before that after lacks (to remove); both inputs sorted and distinct, as
// Terms returns them.
func Diff(before, after []int64) (add, remove []int64) {
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || (i < len(before) && before[i] < after[j]):
			remove = append(remove, before[i])
			i++
		case i == len(before) || after[j] < before[i]:
			add = append(add, after[j])
			j++
		default:
			i++
			j++
		}
	}
	return add, remove
}

// Query reads a search as people type it, words separated by spaces, and
// returns the distinct terms a document must all hold, and the words that
// are a single character, which no document is indexed by (the caller asks
// for more). A word made only of punctuation counts for nothing.
func Query(q string) (terms []int64, short []string) {
	for _, w := range strings.Fields(q) {
		rs := runs(w)
		n := len(terms)
		for _, r := range rs {
			terms = r.add(terms)
		}
		if len(terms) == n && len(rs) > 0 {
			short = append(short, w)
		}
	}
	slices.Sort(terms)
	return slices.Compact(terms), short
}

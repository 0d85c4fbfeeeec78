// Package trackcode makes and reads tracking codes (查询码): 16 characters of
// Crockford base32 (80 random bits), shown as XXXX-XXXX-XXXX-XXXX. Only an
// HMAC of a code is ever stored (see secret.Keys.MAC).
package trackcode

import (
	"crypto/rand"
	"errors"
	"strings"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Length is the number of symbols in a code.
const Length = 16

// ErrMalformed means the input cannot be a tracking code.
var ErrMalformed = errors.New("查询码应为16位字母和数字（可含短横线）")

// New returns a fresh code in canonical form (16 symbols, no hyphens).
func New() string {
	var b [10]byte // 80 bits
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	out := make([]byte, Length)
	var acc uint64
	bits := 0
	j := 0
	for _, x := range b {
		acc = acc<<8 | uint64(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[j] = alphabet[(acc>>uint(bits))&31]
			j++
		}
	}
	return string(out)
}

// Format groups a canonical code as XXXX-XXXX-XXXX-XXXX.
func Format(code string) string {
	if len(code) != Length {
		return code
	}
	return code[0:4] + "-" + code[4:8] + "-" + code[8:12] + "-" + code[12:16]
}

// Normalize reads what a person typed: case, spaces, hyphens, full-width
// forms, O→0 and I/L→1 are forgiven. It returns the canonical code.
func Normalize(s string) (string, error) {
	if len(s) > 128 {
		return "", ErrMalformed
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' { // full-width ASCII
			r -= 0xFEE0
		}
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t' || r == '_' || r == '—' || r == '－':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 0x7f || !strings.ContainsRune(alphabet, r) {
			return "", ErrMalformed
		}
		b.WriteRune(r)
	}
	if b.Len() != Length {
		return "", ErrMalformed
	}
	return b.String(), nil
}

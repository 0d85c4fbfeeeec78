// Package trackcode makes and reads tracking codes (查询码): 16 characters of
// Crockford base32 (80 random bits), shown as XXXX-XXXX-XXXX-XXXX. Only an
// HMAC of a code is ever stored (see secret.Keys.MAC).
package trackcode

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io"
	"strings"
)

// alphabet is Crockford's base32: digits and upper-case letters without
// I, L, O and U, so that a code read aloud or copied by hand survives.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// encoding is RFC 4648 base32 over Crockford's alphabet, without padding:
// 10 random bytes are exactly 16 symbols, most significant bits first, which
// is how every code issued so far was written.
var encoding = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// Length is the number of symbols in a code.
const Length = 16

// randomBytes is the entropy of a code: 80 bits, Length symbols of 5 bits.
const randomBytes = Length * 5 / 8

// ErrMalformed means the input cannot be a tracking code.
var ErrMalformed = errors.New("查询码应为16位字母和数字（可含短横线）")

// New returns a fresh code in canonical form (16 symbols, no hyphens).
func New() string { return newFrom(rand.Reader) }

// newFrom encodes randomBytes read from r; tests give it fixed bytes.
func newFrom(r io.Reader) string {
	var b [randomBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return encoding.EncodeToString(b[:])
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
		// Only letters and digits reach the decoder: it would skip \r and
		// \n, and everything else it refuses anyway.
		if (r < '0' || r > '9') && (r < 'A' || r > 'Z') {
			return "", ErrMalformed
		}
		b.WriteRune(r)
	}
	if b.Len() != Length {
		return "", ErrMalformed
	}
	raw, err := encoding.DecodeString(b.String()) // refuses U, the one letter left out
	if err != nil || len(raw) != randomBytes {
		return "", ErrMalformed
	}
	return encoding.EncodeToString(raw), nil
}

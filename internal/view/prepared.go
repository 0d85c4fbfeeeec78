package view

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// A Prepared page is a view rendered once, with a marker (Slot) where each
// per-request value goes, and cut at the markers: Render then writes the
// fixed parts with the request's values between them, without executing
// the template. It is for pages that are the same for every visitor but
// for a few tokens (the report form's CSRF token and captcha id).
//
// The output is the template's own, byte for byte, under two rules that
// Render checks and Prepare's caller keeps:
//
//   - A value is written as it is, so it must be one that every
//     html/template escaper (text, attribute, URL, JS string) leaves
//     unchanged: Render accepts only non-empty values of ASCII letters,
//     digits, '-' and '_' (what base64url and hex tokens are made of) and
//     returns false on any other, so that the caller renders the template
//     with the real data instead and the escaping is the template's.
//   - The template may depend on a slot's value only by its being
//     non-empty (the marker is): everything else in the data given to
//     Prepare must be what the request would give.
//
// A Prepared page is immutable and safe for concurrent use; prepare a new
// one when what the fixed parts show changes (a refreshed list of towns).
type Prepared struct {
	v      *view
	chunks [][]byte // len(slots)+1 fixed parts
	slots  []int    // which value goes after chunks[i]
	size   int      // bytes of the fixed parts
	served atomic.Int64
}

// slotPrefix starts every marker: letters and digits only (left alone by
// every escaper), with a per-process random part no page text contains.
var slotNonce = func() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}()

var slotPrefix = "vslot" + slotNonce + "n"

// maxSlots bounds the values of one prepared page (two-digit markers).
const maxSlots = 100

// Slot is the marker of the i-th per-request value (0 ≤ i < 100), to put
// into the data given to Prepare in place of the value.
func Slot(i int) string {
	if i < 0 || i >= maxSlots {
		panic(fmt.Sprintf("view: slot %d out of range", i))
	}
	return fmt.Sprintf("%s%02d", slotPrefix, i)
}

// Prepare renders view with data, in which Slot(i) stands for the i-th
// per-request value, and cuts the output at the markers. It fails when the
// view does not render, or when a marker came out changed (a template
// that transforms the value, not just escapes it).
func (s *Set) Prepare(name string, data any) (*Prepared, error) {
	v, ok := s.views[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s %q", ErrNoView, s.name, name)
	}
	var buf bytes.Buffer
	if err := v.t.ExecuteTemplate(&buf, v.entry, data); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	p := &Prepared{v: v}
	prefix := []byte(slotPrefix)
	for {
		i := bytes.Index(out, prefix)
		if i < 0 {
			break
		}
		rest := out[i+len(prefix):]
		if len(rest) < 2 {
			return nil, fmt.Errorf("view %s: prepare %s: a slot marker was cut", s.name, name)
		}
		n, err := strconv.Atoi(string(rest[:2]))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("view %s: prepare %s: a slot marker came out changed", s.name, name)
		}
		p.chunks = append(p.chunks, bytes.Clone(out[:i]))
		p.slots = append(p.slots, n)
		p.size += i
		out = rest[2:]
	}
	p.chunks = append(p.chunks, bytes.Clone(out))
	p.size += len(out)
	for _, c := range p.chunks {
		if bytes.Contains(c, []byte(slotPrefix[:len("vslot")+4])) {
			return nil, fmt.Errorf("view %s: prepare %s: a slot marker came out changed", s.name, name)
		}
	}
	return p, nil
}

// Slots is how many markers the prepared page holds (a value may be shown
// in several places).
func (p *Prepared) Slots() int { return len(p.slots) }

// plain reports whether every escaper leaves v as it is (see Prepared).
func plain(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Write writes the page with values in its slots to buf. It returns false,
// writing nothing, when a value is not plain or a slot has no value.
func (p *Prepared) Write(buf *bytes.Buffer, values ...string) bool {
	size := p.size
	for _, n := range p.slots {
		if n >= len(values) || !plain(values[n]) {
			return false
		}
		size += len(values[n])
	}
	buf.Grow(size)
	for i, n := range p.slots {
		buf.Write(p.chunks[i])
		buf.WriteString(values[n])
	}
	buf.Write(p.chunks[len(p.chunks)-1])
	return true
}

// Render answers as Set.Render would with the data the page was prepared
// from and values in its slots: the same bytes, status and Content-Type,
// in one write. It returns false, writing nothing, when a value is not
// plain (see Prepared): the caller then renders the view itself.
func (p *Prepared) Render(_ context.Context, w http.ResponseWriter, code int, values ...string) bool {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buffers.Put(buf)
		}
	}()
	if !p.Write(buf, values...) {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	w.Write(buf.Bytes())
	p.v.rendered.Add(1)
	p.served.Add(1)
	return true
}

// Served is how many answers Render wrote from this page.
func (p *Prepared) Served() int64 { return p.served.Load() }

// String is the page with its markers, for tests and debugging.
func (p *Prepared) String() string {
	var b strings.Builder
	for i, n := range p.slots {
		b.Write(p.chunks[i])
		b.WriteString(Slot(n))
	}
	b.Write(p.chunks[len(p.chunks)-1])
	return b.String()
}

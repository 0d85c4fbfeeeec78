package view

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// slotPage shows its two values in every context html/template escapes
// differently: text, a quoted attribute, a URL path, a query value, a JS
// string, an unquoted attribute, and it branches on the second's presence.
const slotPage = `{{define "content"}}<p>{{.Title}}: {{.A}}</p><input type="hidden" name="csrf" value="{{.A}}">
{{if .B}}<img src="/captcha/{{.B}}.png" alt="{{.B}}"><a href="/x?id={{.B}}&amp;t={{.A}}">听</a><input value={{.B}}>
<script>var id = "{{.B}}", tok = {{.A}};</script>{{else}}<p>无</p>{{end}}{{end}}`

func TestPrepared(t *testing.T) {
	s := Must(testConfig(map[string]string{"layout.html": testLayout, "page.html": slotPage},
		map[string]string{"page": "layout"}))
	type data struct{ Title, A, B string }
	for _, prep := range []struct {
		name string
		data data // with slots
		real func(a, b string) data
	}{
		{"TwoSlots", data{Title: "<举报>", A: Slot(0), B: Slot(1)}, func(a, b string) data { return data{"<举报>", a, b} }},
		{"WithoutSecond", data{Title: "举报 & 查询", A: Slot(0)}, func(a, _ string) data { return data{"举报 & 查询", a, ""} }},
	} {
		p, err := s.Prepare("page", prep.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			name  string
			a, b  string
			plain bool
		}{
			{"Base64URL", "Zm9vYmFyLWJhel9xdXV4AAAAAAAAAAAAAAAA", "AbCdEfGh-_0123456789", true},
			{"Hex", strings.Repeat("0123456789abcdef", 4), "ffffffffffffffffffff", true},
			{"Short", "a", "b", true},
			{"ErrHTML", `<script>alert("x")</script>`, "AbCdEfGh-_0123456789", false},
			{"ErrQuotes", `a"b'c`, "AbCdEfGh-_0123456789", false},
			{"ErrAmpersand", "AbCdEfGh-_0123456789", "a&b=c", false},
			{"ErrSpace", "a b", "AbCdEfGh-_0123456789", false},
			{"ErrURL", "AbCdEfGh-_0123456789", "../../etc/passwd?x=1#y", false},
			{"ErrNonASCII", "验证码", "AbCdEfGh-_0123456789", false},
			{"ErrEmpty", "", "AbCdEfGh-_0123456789", false},
		} {
			t.Run(prep.name+"/"+v.name, func(t *testing.T) {
				want := httptest.NewRecorder()
				if err := s.Render(t.Context(), want, http.StatusAccepted, "page", prep.real(v.a, v.b)); err != nil {
					t.Fatal(err)
				}
				got := httptest.NewRecorder()
				fast := p.Render(t.Context(), got, http.StatusAccepted, v.a, v.b)
				wantFast := v.plain || (prep.data.B == "" && plain(v.a)) // without the second slot only the first counts
				if fast != wantFast {
					t.Fatalf("fast path %v for %q, %q", fast, v.a, v.b)
				}
				if !fast {
					if got.Body.Len() != 0 || len(got.Header()) != 0 {
						t.Fatalf("a refused render wrote %v %q", got.Header(), got.Body)
					}
					// The caller's fallback: the template escapes the value.
					if v.a == `<script>alert("x")</script>` && !strings.Contains(want.Body.String(), "&lt;script&gt;") {
						t.Fatalf("template path did not escape: %s", want.Body)
					}
					return
				}
				if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
					got.Header().Get("Content-Length") != want.Header().Get("Content-Length") || want.Header().Get("Content-Length") != strconv.Itoa(want.Body.Len()) {
					t.Fatalf("%d %v, template %d %v", got.Code, got.Header(), want.Code, want.Header())
				}
				if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
					t.Fatalf("fast path\n%s\ntemplate\n%s", got.Body, want.Body)
				}
			})
		}
	}
	t.Run("CountsRenders", func(t *testing.T) {
		p, _ := s.Prepare("page", data{A: Slot(0), B: Slot(1)})
		before := s.Rendered("page")
		p.Render(t.Context(), httptest.NewRecorder(), 200, "tok", "id")
		if s.Rendered("page") != before+1 {
			t.Fatal("a fast render was not counted")
		}
	})
	t.Run("ErrMissingValue", func(t *testing.T) {
		p, _ := s.Prepare("page", data{A: Slot(0), B: Slot(1)})
		if p.Slots() != 9 {
			t.Fatalf("%d slots in\n%s", p.Slots(), p)
		}
		if p.Render(t.Context(), httptest.NewRecorder(), 200, "only-one") {
			t.Fatal("rendered with a slot left empty")
		}
	})
	t.Run("ErrChangedMarker", func(t *testing.T) {
		s := Must(testConfig(map[string]string{"layout.html": testLayout,
			"cut.html": `{{define "content"}}{{truncate .A 12}}{{end}}`}, map[string]string{"cut": "layout"}))
		if _, err := s.Prepare("cut", data{A: Slot(0)}); err == nil {
			t.Fatal("a truncated marker was accepted")
		}
	})
	t.Run("ErrNoView", func(t *testing.T) {
		if _, err := s.Prepare("missing", nil); err == nil {
			t.Fatal("prepared a missing view")
		}
	})
}

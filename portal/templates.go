package portal

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/trackcode"
	"ecoreport/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// viewLayouts maps every view to the layout it renders in; a missing file
// fails at start.
var viewLayouts = map[string]string{
	"home":          "layout",
	"report":        "layout",
	"receipt":       "layout",
	"receipt_print": "print",
	"track_form":    "layout",
	"track":         "layout",
	"error":         "layout",
}

type views struct{ t map[string]*template.Template }

func mustViews(funcs template.FuncMap) *views {
	v := &views{t: map[string]*template.Template{}}
	for name, layout := range viewLayouts {
		t := template.Must(template.New(layout+".html").Funcs(funcs).ParseFS(templateFS,
			"templates/"+layout+".html", "templates/"+name+".html", "templates/reward_track.html"))
		v.t[name] = t
	}
	return v
}

// page is what every view gets; V holds the view's own data.
type page struct {
	Title    string
	CSRF     string
	Notice   string
	Error    string
	Captcha  bool // captcha required
	Hotline  string
	V        any
	Nav      string
	PrintNow bool
}

func (h *Handler) render(c *gin.Context, code int, view string, p page) {
	t, ok := h.views.t[view]
	if !ok {
		panic("portal: no view " + view)
	}
	if p.CSRF == "" {
		p.CSRF = h.csrfToken(c)
	}
	p.Captcha = h.deps.Captcha
	p.Hotline = "12369"
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		h.log.ErrorContext(c.Request.Context(), "portal: render", "view", view, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("系统错误，请稍后再试"))
		return
	}
	c.Data(code, "text/html; charset=utf-8", b.Bytes())
}

// renderError answers err with the portal's error page (web.Errors.HTML
// decides the status, Retry-After and logging).
func (h *Handler) renderError(c *gin.Context, err error) {
	h.errs.HTML(c, err, func(p web.Problem) {
		h.render(c, p.Status, "error", page{Title: "出错了", Error: p.Message})
	})
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": h.assets.url,
		"code":  trackcode.Format,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(h.loc).Format("2006年1月2日")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(h.loc).Format("2006年1月2日 15:04")
		},
		"qr": func(text string) template.HTML { return qrsvg.SVG(text, "查询码二维码") },
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"errOf": func(m map[string]string, k string) string { return m[k] },
		"categoryLabels": func(cs ledger.Categories) string {
			return cs.Labels()
		},
		"truncate":   truncateRunes,
		"codeGroups": codeGroups,
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// codeGroups splits a formatted tracking code into its groups, each but the
// last keeping its hyphen (ABCD-, EFGH-, …, MNOP), so that the receipt can
// keep every group on one line and wrap only between groups; the groups'
// text put together is the code as it was.
func codeGroups(code string) []string {
	parts := strings.Split(code, "-")
	for i := range parts[:len(parts)-1] {
		parts[i] += "-"
	}
	return parts
}

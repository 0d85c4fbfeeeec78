package portal

import (
	"embed"
	"html/template"
	"io/fs"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
	"ecoreport/internal/qrsvg"
	"ecoreport/internal/trackcode"
	"ecoreport/internal/view"
	"ecoreport/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// viewLayouts maps every view of the portal to the layout it renders in;
// view.New fails at start on a missing or broken one.
var viewLayouts = map[string]string{
	"home":          "layout",
	"report":        "layout",
	"receipt":       "layout",
	"receipt_print": "print",
	"receipt_gone":  "layout",
	"help":          "layout",
	"track_form":    "layout",
	"track":         "layout",
	"stats":         "layout",
	"error":         "layout",
}

// viewPartials are the portal's own partials, parsed into every view.
var viewPartials = []string{"partials.html", "reward_track.html"}

// fallbackPage is the answer when a page cannot be rendered; it is not a
// template, which may be what failed.
const fallbackPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico"><title>系统错误 · 生态环境问题举报</title></head>
<body><h1>系统错误</h1><p>页面暂时无法显示，请稍后再试。紧急情况请拨打环保热线 12369。</p><p><a href="/">返回首页</a></p></body></html>
`

func (h *Handler) mustViews() *view.Set {
	sub, err := fs.Sub(templateFS, "templates")
	if err != nil {
		panic(err)
	}
	return view.Must(view.Config{Name: "portal", FS: sub, Views: viewLayouts, Partials: viewPartials, Funcs: h.funcs(),
		Location: h.loc, Assets: h.assets, Logger: h.log, Fallback: []byte(fallbackPage)})
}

// page is what every view gets; V holds the view's own data.
type page struct {
	Title    string
	CSRF     string
	Notice   string
	Error    string
	Captcha  bool // captcha required
	Hotline  string
	County   config.County
	V        any
	Nav      string
	PrintNow bool
}

func (h *Handler) render(c *gin.Context, code int, view string, p page) {
	if p.CSRF == "" {
		p.CSRF = h.csrfToken(c)
	}
	h.views.Render(c.Request.Context(), c.Writer, code, view, h.pageData(p))
}

// pageData adds to p what every page shows of the deployment.
func (h *Handler) pageData(p page) page {
	p.Captcha = h.deps.Captcha
	p.Hotline, p.County = h.deps.County.Hotline, h.deps.County
	return p
}

// preparedPage is a page prepared (view.Prepared) from the gen-th reading
// of what it shows.
type preparedPage struct {
	gen uint64
	p   *view.Prepared
}

// renderError answers err with the portal's error page (web.Errors.HTML
// decides the status, Retry-After and logging).
func (h *Handler) renderError(c *gin.Context, err error) {
	h.errs.HTML(c, err, func(p web.Problem) {
		h.render(c, p.Status, "error", page{Title: "出错了", Error: p.Message})
	})
}

// funcs are the portal's own template functions, beside the shared ones
// (view.Funcs: dates, asset URLs, field errors).
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"code": trackcode.Format,
		"qr":   func(text string) template.HTML { return qrsvg.SVG(text, "查询码二维码") },
		"categoryLabels": func(cs ledger.Categories) string {
			return cs.Labels()
		},
		"codeGroups": codeGroups,
		"fe":         fieldErr,
		"aria":       ariaInvalid,
	}
}

// fieldError is a field's message and the id of the element that shows it.
type fieldError struct{ ID, Msg string }

// fieldErr gives the ferr partial the message of field name.
func fieldErr(fields map[string]string, name string) fieldError {
	return fieldError{ID: name + "-error", Msg: fields[name]}
}

// ariaInvalid writes, on the control of a field that has a message,
// aria-invalid and aria-describedby naming the message (ferr), so a screen
// reader reads the problem with the control.
func ariaInvalid(fields map[string]string, name string) template.HTMLAttr {
	if fields[name] == "" {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(name) + `-error"`)
}

// truncateRunes keeps the first n characters of s.
func truncateRunes(s string, n int) string { return view.Truncate(s, n) }

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

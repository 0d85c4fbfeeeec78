// Package view is the one template engine of the server-rendered pages (the
// resident portal and the back office, whose pages include the hotline
// operators'). Each surface keeps its templates in a folder beside the
// package that renders them and describes them with a Config: which views
// exist and in which layout each one renders. New parses them all once, at
// start, together with the partials every surface shares (partials/*.html
// here: field errors, navigation links) and the one function map (dates in
// the configured time zone, asset URLs, …); a missing view, a view without
// content or a broken template is an error then, not on the first request.
//
// Render executes a view into a pooled buffer and writes it only when it
// rendered in full: a template error gives the surface's fallback page with
// a 500, never a 200 with half a page.
package view

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Standalone is the layout of a view that is a whole document by itself
// (a printable bulletin): it is executed as its own file.
const Standalone = ""

//go:embed partials/*.html
var partialFS embed.FS

// Config describes one surface's templates.
type Config struct {
	// Name names the surface in errors and log lines ("portal", "office").
	Name string
	// FS holds the surface's template files at its root (fs.Sub of the
	// package's embedded templates folder). A view v is the file v.html, a
	// layout l the file l.html.
	FS fs.FS
	// Views maps every view to the layout it renders in (Standalone for a
	// whole document). A view in a layout defines "content"; the layout
	// executes it.
	Views map[string]string
	// Partials are the surface's own files of shared definitions, parsed
	// into every view after the package's partials.
	Partials []string
	// Funcs are the surface's own template functions. They may not reuse a
	// name of the shared ones (see Funcs): one name means one thing on
	// every page.
	Funcs template.FuncMap
	// Location is the time zone dates are shown in (Asia/Shanghai when nil).
	Location *time.Location
	// Assets give the content-hashed URLs of the files in static/ (the
	// template function asset). Required.
	Assets *Assets
	// Logger gets one line per view that fails to render (slog.Default when nil).
	Logger *slog.Logger
	// Fallback is the whole page answered with a 500 when a view fails to
	// render. It is not a template: the template may be what failed.
	Fallback []byte
}

// Set is a surface's parsed views. It is safe for concurrent use.
type Set struct {
	name     string
	views    map[string]*view
	log      *slog.Logger
	fallback []byte
}

type view struct {
	t        *template.Template
	entry    string // the template executed: the layout's file, or the view's own
	rendered atomic.Int64
}

// New parses every view of c with its layout, the shared partials and the
// surface's partials. It fails on a view or layout file that is missing, a
// template that does not parse, a view in a layout that defines no
// "content", or a surface function that shadows a shared one.
func New(c Config) (*Set, error) {
	if c.Assets == nil {
		return nil, fmt.Errorf("view %s: no assets", c.Name)
	}
	if c.Location == nil {
		c.Location = defaultLocation()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	funcs := Funcs(c.Location, c.Assets)
	for name, fn := range c.Funcs {
		if _, dup := funcs[name]; dup {
			return nil, fmt.Errorf("view %s: function %q is already a shared template function", c.Name, name)
		}
		funcs[name] = fn
	}
	base, err := template.New(c.Name).Funcs(funcs).ParseFS(partialFS, "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("view %s: shared partials: %w", c.Name, err)
	}
	if len(c.Partials) > 0 {
		if base, err = base.ParseFS(c.FS, c.Partials...); err != nil {
			return nil, fmt.Errorf("view %s: partials: %w", c.Name, err)
		}
	}
	layouts := map[string]*template.Template{}
	s := &Set{name: c.Name, views: map[string]*view{}, log: c.Logger, fallback: c.Fallback}
	for _, name := range sortedKeys(c.Views) {
		layout := c.Views[name]
		parent, entry := base, name+".html"
		if layout != Standalone {
			entry = layout + ".html"
			if parent = layouts[layout]; parent == nil {
				if parent, err = template.Must(base.Clone()).ParseFS(c.FS, entry); err != nil {
					return nil, fmt.Errorf("view %s: layout %s: %w", c.Name, layout, err)
				}
				layouts[layout] = parent
			}
		}
		t, err := template.Must(parent.Clone()).ParseFS(c.FS, name+".html")
		if err != nil {
			return nil, fmt.Errorf("view %s: view %s: %w", c.Name, name, err)
		}
		if layout != Standalone && t.Lookup("content") == nil {
			return nil, fmt.Errorf("view %s: view %s defines no \"content\" for layout %s", c.Name, name, layout)
		}
		s.views[name] = &view{t: t, entry: entry}
	}
	return s, nil
}

// Must is New for the views embedded in the binary: a broken embedded
// template is a programming error, which every surface's tests catch.
func Must(c Config) *Set {
	s, err := New(c)
	if err != nil {
		panic(err)
	}
	return s
}

// ErrNoView is returned for a view the surface's Config does not list.
var ErrNoView = errors.New("view: no such view")

// Execute renders view with data to w. The output is whatever the template
// wrote up to an error; Render is what handlers use.
func (s *Set) Execute(w io.Writer, name string, data any) error {
	v, ok := s.views[name]
	if !ok {
		return fmt.Errorf("%w: %s %q", ErrNoView, s.name, name)
	}
	if err := v.t.ExecuteTemplate(w, v.entry, data); err != nil {
		return err
	}
	v.rendered.Add(1)
	return nil
}

// Render writes view, rendered with data, as an HTML response with status
// code. The page is rendered into a buffer first; when that fails (an
// unknown view, a template error) the error is logged and the surface's
// fallback page is written with 500 instead, and the error is returned.
// Headers set on w before the call (Cache-Control, cookies) are kept; the
// page is sent with its Content-Length (one write, no chunked framing).
func (s *Set) Render(ctx context.Context, w http.ResponseWriter, code int, name string, data any) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buffers.Put(buf)
		}
	}()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.Execute(buf, name, data); err != nil {
		s.log.ErrorContext(ctx, s.name+": render", "view", name, "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(s.fallback)
		return err
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, err := w.Write(buf.Bytes())
	return err
}

// Views lists the surface's views, sorted.
func (s *Set) Views() []string { return sortedKeys(s.views) }

// Rendered is how many times view has rendered in full since the start. The
// surfaces' tests walk their pages and then check that every view rendered.
func (s *Set) Rendered(name string) int64 {
	if v, ok := s.views[name]; ok {
		return v.rendered.Load()
	}
	return 0
}

// buffers hold the pages being rendered; a buffer that grew past
// maxPooledBuffer (a huge list) is left to the garbage collector.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 1 << 20

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}

func defaultLocation() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Link is one entry of a navigation bar (the partial nav-links).
type Link struct {
	Label   string // in Chinese
	Href    string
	Current bool // the page shown is this entry or below it
}

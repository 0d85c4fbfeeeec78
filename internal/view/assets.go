package view

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// Assets are the files of static/ (CSS, the one small script, the icon),
// read once at start and served under content-hashed URLs: a page links
// /static/office.css?v=HASH, and a request carrying the current hash may be
// cached for a year, since a changed file gets a new URL. Nothing is loaded
// from third parties (the CSP allows only this origin).
type Assets struct {
	files map[string]asset
}

type asset struct {
	body  []byte
	hash  string
	ctype string
}

// Favicon is the file served at /favicon.ico, where browsers look for it;
// every layout links to it.
const Favicon = "favicon.ico"

// contentTypes are the types of the files static/ holds; the system's MIME
// table differs between machines (.ico in particular).
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".ico": "image/x-icon",
	".svg": "image/svg+xml",
	".png": "image/png",
}

// NewAssets reads every file of fsys (Go source files excepted: the embed
// declaration lives beside the assets).
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{files: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			if ct = mime.TypeByExtension(path.Ext(p)); ct == "" {
				ct = "application/octet-stream"
			}
		}
		a.files[p] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: ct}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("view: assets: %w", err)
	}
	return a, nil
}

// MustAssets is NewAssets for the embedded static files.
func MustAssets(fsys fs.FS) *Assets {
	a, err := NewAssets(fsys)
	if err != nil {
		panic(err)
	}
	return a
}

// URL returns the content-hashed URL of an asset. An unknown name is an
// error, so that a page linking a file that does not exist fails to render
// (and its test fails) instead of showing unstyled.
func (a *Assets) URL(name string) (string, error) {
	f, ok := a.files[name]
	if !ok {
		return "", fmt.Errorf("view: no asset %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// Register mounts the assets on r: /static/NAME and /favicon.ico, for GET
// and HEAD. The application mounts them once, for every surface.
func (a *Assets) Register(r gin.IRouter) {
	h := gin.WrapH(a)
	r.GET("/static/*path", h)
	r.HEAD("/static/*path", h)
	r.GET("/"+Favicon, h)
	r.HEAD("/"+Favicon, h)
}

// ServeHTTP answers /static/NAME (a year's caching when the request carries
// NAME's current hash as v, five minutes otherwise) and /favicon.ico (a day).
// Anything else, paths that climb out of static/ included, is 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var name, cache string
	switch p := path.Clean(r.URL.Path); {
	case p == "/"+Favicon:
		name, cache = Favicon, "public, max-age=86400"
	case strings.HasPrefix(p, "/static/"):
		name, cache = strings.TrimPrefix(p, "/static/"), "public, max-age=300"
	}
	f, ok := a.files[name]
	if !ok {
		http.Error(w, "文件不存在", http.StatusNotFound)
		return
	}
	if name != Favicon && r.URL.Query().Get("v") == f.hash {
		cache = "public, max-age=31536000, immutable"
	}
	h := w.Header()
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", fmt.Sprint(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(f.body)
	}
}

package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/static"
)

// assets serves the embedded static files under /static/NAME?v=HASH; a
// request with the current hash may be cached for a year.
type assets struct {
	hash  map[string]string
	files map[string][]byte
}

func mustAssets() *assets {
	a := &assets{hash: map[string]string{}, files: map[string][]byte{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") {
			return nil
		}
		sum := sha256.Sum256(b)
		a.hash[p] = hex.EncodeToString(sum[:6])
		a.files[p] = b
		return nil
	})
	if err != nil {
		panic(err)
	}
	return a
}

// url returns the content-hashed URL of an asset; unknown names panic at
// template execution (a broken page is caught by tests).
func (a *assets) url(name string) string {
	h, ok := a.hash[name]
	if !ok {
		panic("portal: no asset " + name)
	}
	return "/static/" + name + "?v=" + h
}

func (h *Handler) static(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("path")), "/")
	b, ok := h.assets.files[name]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	if v := c.Query("v"); v != "" && v == h.assets.hash[name] {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=300")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ct, b)
}

// favicon serves the embedded icon at /favicon.ico, where browsers look for
// it; every layout (portal, back office, hotline pages) links to it.
func (h *Handler) favicon(c *gin.Context) {
	b, ok := h.assets.files[faviconName]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/x-icon", b)
}

const faviconName = "favicon.ico"

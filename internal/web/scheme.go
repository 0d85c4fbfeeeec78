package web

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// scheme decides whether a request reached the client over HTTPS. Every
// deployment puts a TLS proxy in front, so Request.TLS alone is never set:
// the answer is yes when --public-url is https, or when the request comes
// from a trusted proxy that says X-Forwarded-Proto: https. A header from
// anyone else is ignored: a client must not be able to talk the service
// into calling plain HTTP secure, or the other way round.
type scheme struct {
	publicHTTPS bool
	proxies     []netip.Prefix
}

func newScheme(publicURL string, trusted []string) *scheme {
	s := &scheme{}
	if u, err := url.Parse(publicURL); err == nil && strings.EqualFold(u.Scheme, "https") {
		s.publicHTTPS = true
	}
	for _, p := range trusted {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			s.proxies = append(s.proxies, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			s.proxies = append(s.proxies, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return s
}

func (s *scheme) https(r *http.Request) bool {
	if r.TLS != nil || s.publicHTTPS {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if !strings.EqualFold(strings.TrimSpace(proto), "https") {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

const ctxHTTPS = "web.https"

func (s *scheme) middleware(c *gin.Context) {
	c.Set(ctxHTTPS, s.https(c.Request))
	c.Next()
}

// HTTPS reports whether the request reached the client over HTTPS (TLS
// here, an https --public-url, or a trusted proxy's X-Forwarded-Proto):
// cookies are then Secure and responses carry HSTS. Outside the engine's
// middleware it falls back to Request.TLS.
func HTTPS(c *gin.Context) bool {
	if v, ok := c.Get(ctxHTTPS); ok {
		return v.(bool)
	}
	return c.Request.TLS != nil
}

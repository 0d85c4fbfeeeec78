package portal

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/ledger"
	"ecoreport/internal/web/webtest"
)

// TestEveryErrorCode walks every code of the one table through each error
// writer of the portal's pages and JSON API and of Open311: the status is
// the table's, the body the surface's, and nothing internal shows.
func TestEveryErrorCode(t *testing.T) {
	v := newEnv(t, false)
	v.h.trackLimit.Limit, v.h.codeLimit.Limit = 1<<20, 1<<20
	code := fileOne(t, v)
	tok := v.token()
	var current error
	v.e.GET("/test/page", func(c *gin.Context) { v.h.renderError(c, current) })
	v.e.GET("/test/api", func(c *gin.Context) { v.h.apiFail(c, current) })
	v.e.GET("/test/track-form", func(c *gin.Context) { v.h.renderTrackForm(c, lookupInput{}, current) })
	v.e.GET("/test/report", func(c *gin.Context) { v.h.reportFailed(c, reportInput{}, photoSet{}, current) })
	v.e.POST("/test/track-action", func(c *gin.Context) {
		v.h.trackAction(c, func(*ledger.Complaint) (string, map[string]string, error) { return "", nil, current })
	})
	serve := func(method, path string) func(error) *httptest.ResponseRecorder {
		return func(err error) *httptest.ResponseRecorder {
			current = err
			if method == http.MethodPost {
				return v.post(path, url.Values{"csrf": {tok}, "code": {code}})
			}
			return v.get(path)
		}
	}
	t.Run("ErrorPage", func(t *testing.T) { webtest.WalkCodes(t, webtest.HTML, serve("GET", "/test/page")) })
	t.Run("TrackForm", func(t *testing.T) { webtest.WalkCodes(t, webtest.HTML, serve("GET", "/test/track-form")) })
	t.Run("ReportForm", func(t *testing.T) { webtest.WalkCodes(t, webtest.HTML, serve("GET", "/test/report")) })
	t.Run("TrackingPage", func(t *testing.T) { webtest.WalkCodes(t, webtest.HTML, serve("POST", "/test/track-action")) })
	t.Run("JSONAPI", func(t *testing.T) { webtest.WalkCodes(t, webtest.JSON, serve("GET", "/test/api")) })
	if strings.Contains(v.log.String(), clientAddr) {
		t.Fatal("client address in the error log")
	}

	o := &Open311{Ledger: v.svc, DB: v.db, Now: time.Now, Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	e := gin.New()
	o.Register(e)
	for _, f := range []string{"json", "xml"} {
		e.GET("/open311/v2/test."+f, o.handle(func(*o311Call) (any, error) { return nil, current }))
	}
	open311 := func(f string) func(error) *httptest.ResponseRecorder {
		return func(err error) *httptest.ResponseRecorder {
			current = err
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/open311/v2/test."+f, nil))
			return w
		}
	}
	t.Run("Open311JSON", func(t *testing.T) { webtest.WalkCodes(t, webtest.Open311JSON, open311("json")) })
	t.Run("Open311XML", func(t *testing.T) { webtest.WalkCodes(t, webtest.Open311XML, open311("xml")) })
}

package hotlineapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/web/webtest"
)

// TestEveryErrorCode walks every code of the one table through the hotline
// API: the portal API's JSON shape, field errors kept, the table's status
// (EFORBIDDEN, ERATELIMIT and EBUDGET included).
func TestEveryErrorCode(t *testing.T) {
	f := newFixture(t)
	var current error
	f.router.GET("/test", func(c *gin.Context) { f.api.fail(c, current) })
	webtest.WalkCodes(t, webtest.JSON, func(err error) *httptest.ResponseRecorder {
		current = err
		w := httptest.NewRecorder()
		f.router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/test", nil))
		return w
	})
}

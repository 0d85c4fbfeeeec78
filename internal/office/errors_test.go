package office

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
	"ecoreport/internal/web/webtest"
)

// TestEveryErrorCode walks every code of the one table through the back
// office's error page, the page the session guard answers with too.
func TestEveryErrorCode(t *testing.T) {
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := New(Deps{Ledger: ledger.NewService(d, keys), Users: auth.NewStore(d)})
	r := gin.New()
	var current error
	r.GET("/office/test", h.Middleware(), func(c *gin.Context) { h.fail(c, current) })
	webtest.WalkCodes(t, webtest.HTML, func(err error) *httptest.ResponseRecorder {
		current = err
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/office/test", nil))
		return w
	})
}

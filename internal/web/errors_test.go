package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

func TestStatusTable(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"", 200},
		{apperr.EMALFORMED, 400},
		{apperr.EUNAUTHORIZED, 401},
		{apperr.EFORBIDDEN, 403},
		{apperr.ENOTFOUND, 404},
		{apperr.ECONFLICT, 409},
		{apperr.EBUDGET, 409},
		{apperr.ETOOLARGE, 413},
		{apperr.EINVALID, 422},
		{apperr.ERATELIMIT, 429},
		{apperr.EINTERNAL, 500},
		{apperr.EUNAVAILABLE, 503},
		{"ESOMETHINGNEW", 500},
	}
	for _, tt := range tests {
		t.Run("Code"+tt.code, func(t *testing.T) {
			if got := Status(tt.code); got != tt.want {
				t.Fatalf("Status(%q) = %d, want %d", tt.code, got, tt.want)
			}
		})
	}
	if len(Codes()) != len(statuses) {
		t.Fatalf("Codes() lists %d codes, the table has %d", len(Codes()), len(statuses))
	}
}

// TestProblem checks what every writer shares: status, Retry-After, the
// message shown and what is logged.
func TestProblem(t *testing.T) {
	secret := errors.New("dial tcp 10.0.0.5:3306: connection refused; password=hunter2")
	tests := []struct {
		name       string
		err        error
		status     int
		message    string
		retryAfter string
		logged     bool
	}{
		{"Invalid", apperr.Invalid(map[string]string{"body": "请填写"}), 422, "请填写", "", false},
		{"RateLimitCarriesItsWait", apperr.RateLimited(1500*time.Millisecond, "操作过于频繁"), 429, "操作过于频繁", "2", false},
		{"RateLimitWithoutWait", apperr.Errorf(apperr.ERATELIMIT, "太快了"), 429, "太快了", "5", false},
		{"UnavailableIsLogged", fmt.Errorf("%w (%w)", &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "系统暂时无法处理"}, secret), 503, "系统暂时无法处理", "5", true},
		{"InternalShowsNothing", fmt.Errorf("ledger: case 3: %w", secret), 500, "系统错误，请稍后再试", "", true},
		{"InternalCodeWithMessageShowsNothing", apperr.Errorf(apperr.EINTERNAL, "SQL: %s", "SELECT secret"), 500, "系统错误，请稍后再试", "", true},
		{"UnknownCodeIsInternal", &apperr.Error{Code: "EWHATEVER", Message: "内部细节"}, 500, "系统错误，请稍后再试", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			errs := Errors{Log: slog.New(slog.NewTextHandler(&logs, nil)), Surface: "test"}
			gin.SetMode(gin.TestMode)
			e := gin.New()
			e.GET("/json", func(c *gin.Context) { errs.JSON(c, tt.err) })
			e.GET("/html", func(c *gin.Context) {
				errs.HTML(c, tt.err, func(p Problem) { c.String(p.Status, "<h1>%s</h1>", p.Message) })
			})
			for _, path := range []string{"/json", "/html"} {
				logs.Reset()
				w := httptest.NewRecorder()
				e.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
				if w.Code != tt.status {
					t.Fatalf("%s: status %d, want %d", path, w.Code, tt.status)
				}
				if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
					t.Fatalf("%s: Retry-After %q, want %q", path, got, tt.retryAfter)
				}
				if !strings.Contains(w.Body.String(), tt.message) || strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "SELECT") {
					t.Fatalf("%s: body %s", path, w.Body)
				}
				if (logs.Len() > 0) != tt.logged || (tt.logged && !strings.Contains(logs.String(), "level=ERROR")) {
					t.Fatalf("%s: logged=%v: %s", path, logs.Len() > 0, logs.String())
				}
				if path == "/json" {
					var b ErrorBody
					if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error.Code == "" || b.Error.Message != tt.message {
						t.Fatalf("json body %s (%v)", w.Body, err)
					}
					if tt.status == http.StatusUnprocessableEntity && b.Error.Fields["body"] != "请填写" {
						t.Fatalf("fields lost: %s", w.Body)
					}
				}
			}
		})
	}
}

package web

// The one way an error becomes an HTTP answer. Domain packages return
// *apperr.Error values with a code; every surface (the portal's pages and
// JSON API, Open311, the back office and its session guard, the hotline
// API) answers them through Errors, so a code has the same status, the same
// Retry-After and the same logging wherever it comes out. The surfaces only
// draw: a page in their own layout, or a body in their own format.

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

// statuses is the code → HTTP status table.
var statuses = map[string]int{
	apperr.EMALFORMED:    http.StatusBadRequest,
	apperr.EUNAUTHORIZED: http.StatusUnauthorized,
	apperr.EFORBIDDEN:    http.StatusForbidden,
	apperr.ENOTFOUND:     http.StatusNotFound,
	apperr.ECONFLICT:     http.StatusConflict,
	apperr.EBUDGET:       http.StatusConflict,
	apperr.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	apperr.EINVALID:      http.StatusUnprocessableEntity,
	apperr.ERATELIMIT:    http.StatusTooManyRequests,
	apperr.EINTERNAL:     http.StatusInternalServerError,
	apperr.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// Codes lists every error code the table knows, for tests that walk them.
func Codes() []string {
	return []string{apperr.EMALFORMED, apperr.EUNAUTHORIZED, apperr.EFORBIDDEN, apperr.ENOTFOUND, apperr.ECONFLICT,
		apperr.EBUDGET, apperr.ETOOLARGE, apperr.EINVALID, apperr.ERATELIMIT, apperr.EINTERNAL, apperr.EUNAVAILABLE}
}

// Status maps an error code to its HTTP status: 200 for no error, 500 for a
// code the table does not know.
func Status(code string) int {
	if code == "" {
		return http.StatusOK
	}
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// StatusOf is the status of err's code (500 for an unexpected error).
func StatusOf(err error) int { return Status(apperr.Code(err)) }

// DefaultRetryAfter is sent with a 429 or 503 whose error does not say how
// long to wait.
const DefaultRetryAfter = 5 * time.Second

// internalMessage is all anyone sees of an unexpected error.
const internalMessage = "系统错误，请稍后再试"

// Problem is what a surface shows of an error: the status, the code, a
// message that is safe to show (Chinese, no internal details) and the
// per-field messages of EINVALID.
type Problem struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
}

// Errors answers errors on one surface. Log receives the internal ones
// (slog.Default when nil); Surface names the surface in that log line.
type Errors struct {
	Log     *slog.Logger
	Surface string
}

// Problem decides how err is answered and does everything but drawing: the
// status from the table, the Retry-After header on 429 and 503 (the wait the
// error carries, DefaultRetryAfter when it carries none), and a log line for
// statuses of 500 and above, the only errors nobody can fix by changing the
// request. The line holds the route and the error, never the client's
// address, headers or form values. An unexpected error shows as 系统错误
// without its details.
func (e Errors) Problem(c *gin.Context, err error) Problem {
	code := apperr.Code(err)
	if code == "" { // a surface called us without an error: still answer one
		code = apperr.EINTERNAL
	}
	p := Problem{Status: Status(code), Code: code, Message: apperr.Message(err), Fields: apperr.Fields(err)}
	if code == apperr.EINTERNAL || p.Status == http.StatusInternalServerError {
		p.Code, p.Message, p.Fields = apperr.EINTERNAL, internalMessage, nil
	}
	if p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable {
		wait := apperr.RetryAfter(err)
		if wait <= 0 {
			wait = DefaultRetryAfter
		}
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	if p.Status >= http.StatusInternalServerError {
		log := e.Log
		if log == nil {
			log = slog.Default()
		}
		surface := e.Surface
		if surface == "" {
			surface = "web"
		}
		log.ErrorContext(c.Request.Context(), surface, "route", c.FullPath(), "code", code, "err", err)
	}
	return p
}

// ErrorBody is the body of every JSON error: the portal's API, the hotline
// API and any other JSON surface.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// JSON answers err as {"error": {"code", "message", "fields"}} with the
// status of its code and stops the handler chain.
func (e Errors) JSON(c *gin.Context, err error) {
	p := e.Problem(c, err)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(p.Status, ErrorBody{Error: ErrorDetail{Code: p.Code, Message: p.Message, Fields: p.Fields}})
}

// HTML answers err with draw, the surface's own page renderer (the portal's
// layout, the back office's), and stops the handler chain. draw gets the
// problem to show and writes p.Status; it decides nothing else.
func (e Errors) HTML(c *gin.Context, err error, draw func(p Problem)) {
	p := e.Problem(c, err)
	c.Header("Cache-Control", "no-store")
	draw(p)
	c.Abort()
}

// Package webtest walks every error code of the one table (web.Status)
// through a surface's error writer and checks the answer: the status, the
// body's shape, Retry-After, and that internal details never leak. Each
// surface's tests call WalkCodes with a handler that answers the given
// error the way the surface does (the portal's pages and JSON API, Open311,
// the back office, the hotline API).
package webtest

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/web"
)

// secret is what an internal cause says; no answer may show any of it.
var secret = []string{"10.0.0.5", "hunter2", "SELECT", "ledger: case"}

// Waits the walker's errors carry, and the Retry-After they must give.
const (
	rateWait        = 41200 * time.Millisecond // Retry-After: 42
	unavailableWait = 7 * time.Second          // Retry-After: 7
)

// Field is the field of the walker's EINVALID error.
const Field = "description"

// Message is the person-facing message of the walker's error of code.
func Message(code string) string {
	if code == apperr.EINTERNAL {
		return "系统错误"
	}
	return "测试消息" + strings.TrimPrefix(code, "E")
}

// ErrorFor returns an error of code as a domain package would return it: a
// Chinese message, a field message for EINVALID, a wait for ERATELIMIT and
// EUNAVAILABLE, wrapped around an internal cause that must never show. For
// EINTERNAL it is a plain error, as an unexpected one is.
func ErrorFor(code string) error {
	cause := errors.New("ledger: case 3: dial tcp 10.0.0.5:3306: SELECT password=hunter2")
	e := &apperr.Error{Code: code, Message: Message(code)}
	switch code {
	case apperr.EINTERNAL:
		return fmt.Errorf("office: render: %w", cause)
	case apperr.EINVALID:
		e = apperr.Invalid(map[string]string{Field: Message(code)})
	case apperr.ERATELIMIT:
		e.RetryAfter = rateWait
	case apperr.EUNAVAILABLE:
		e.RetryAfter = unavailableWait
	}
	return fmt.Errorf("%w (%w)", e, cause)
}

// Shape is the body a surface answers errors with.
type Shape int

// Shapes.
const (
	JSON        Shape = iota // {"error": {"code", "message", "fields"}}
	HTML                     // a page of the surface
	Open311JSON              // [{"code": status, "description"}]
	Open311XML               // <errors><error><code/><description/></error></errors>
)

// WalkCodes sends ErrorFor(code) for every code of the table through serve
// and checks the answer has the table's status, the shape's body, the
// message (the field message for EINVALID), Retry-After on 429 and 503 only,
// and none of the internal cause.
func WalkCodes(t *testing.T, shape Shape, serve func(err error) *httptest.ResponseRecorder) {
	t.Helper()
	for _, code := range web.Codes() {
		t.Run(code, func(t *testing.T) {
			w := serve(ErrorFor(code))
			body := w.Body.String()
			if want := web.Status(code); w.Code != want {
				t.Fatalf("status %d, want %d: %s", w.Code, want, body)
			}
			wantRetry := ""
			switch code {
			case apperr.ERATELIMIT:
				wantRetry = "42"
			case apperr.EUNAVAILABLE:
				wantRetry = "7"
			}
			if got := w.Header().Get("Retry-After"); got != wantRetry {
				t.Fatalf("Retry-After %q, want %q", got, wantRetry)
			}
			for _, s := range secret {
				if strings.Contains(body, s) {
					t.Fatalf("the answer leaks %q: %s", s, body)
				}
			}
			if !strings.Contains(body, Message(code)) {
				t.Fatalf("the answer lacks the message %q: %s", Message(code), body)
			}
			checkShape(t, shape, code, w)
		})
	}
}

func checkShape(t *testing.T, shape Shape, code string, w *httptest.ResponseRecorder) {
	t.Helper()
	ct := w.Header().Get("Content-Type")
	switch shape {
	case JSON:
		var b web.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("not the JSON error body (%s, %v): %s", ct, err, w.Body)
		}
		if b.Error.Code != code {
			t.Fatalf("code %q, want %q", b.Error.Code, code)
		}
		if code == apperr.EINVALID && b.Error.Fields[Field] != Message(code) {
			t.Fatalf("field errors lost: %s", w.Body)
		}
	case HTML:
		if !strings.HasPrefix(ct, "text/html") || !strings.Contains(w.Body.String(), "<") {
			t.Fatalf("not a page (%s): %s", ct, w.Body)
		}
	case Open311JSON:
		var items []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &items); err != nil || len(items) != 1 || items[0].Code != w.Code {
			t.Fatalf("not the spec's errors (%v): %s", err, w.Body)
		}
		if code == apperr.EINVALID && !strings.HasPrefix(items[0].Description, Field+"：") {
			t.Fatalf("the field is not named: %s", w.Body)
		}
	case Open311XML:
		var x struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        string `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if err := xml.Unmarshal(w.Body.Bytes(), &x); err != nil || len(x.Errors) != 1 || x.Errors[0].Code != strconv.Itoa(w.Code) {
			t.Fatalf("not the spec's errors (%v): %s", err, w.Body)
		}
	}
}

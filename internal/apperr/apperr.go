// Package apperr is the application's one error type. Domain packages return
// *Error values with a code; the HTTP edge maps codes to statuses and shows the
// message (already in Chinese) to the person, and logs only internal errors.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status at the edge (internal/web's
// table, the only one).
const (
	EINVALID      = "EINVALID"      // bad input; Fields names the fields (422)
	EMALFORMED    = "EMALFORMED"    // the request cannot be read at all: not JSON, not a form (400)
	ETOOLARGE     = "ETOOLARGE"     // the request body is over its limit (413)
	ENOTFOUND     = "ENOTFOUND"     // no such thing (404)
	ECONFLICT     = "ECONFLICT"     // state changed under us, duplicate key (409)
	EFORBIDDEN    = "EFORBIDDEN"    // not allowed for this person (403)
	EUNAUTHORIZED = "EUNAUTHORIZED" // not logged in, bad signature (401)
	ERATELIMIT    = "ERATELIMIT"    // too many requests (429)
	EBUDGET       = "EBUDGET"       // the year's reward budget is too small (409)
	EUNAVAILABLE  = "EUNAVAILABLE"  // a dependency (the database) is down (503)
	EINTERNAL     = "EINTERNAL"     // anything unexpected (500)
)

// Error is an error a person may see: Message is in Simplified Chinese and safe
// to show. Fields carries per-field messages for EINVALID. RetryAfter says
// when to try again (ERATELIMIT, EUNAVAILABLE); the edge sends it as the
// Retry-After header.
type Error struct {
	Code       string
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error with one message per field.
func Invalid(fields map[string]string) *Error {
	msg := "提交的内容有误，请检查标出的项目"
	if len(fields) == 1 {
		for _, m := range fields {
			msg = m
		}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// RateLimited returns an ERATELIMIT error that asks to wait for wait.
func RateLimited(wait time.Duration, msg string) *Error {
	return &Error{Code: ERATELIMIT, Message: msg, RetryAfter: wait}
}

// Code returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Message returns the person-facing message of err: the *Error's message, or
// 系统错误 for anything unexpected (whose details must not leak).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "系统错误，请稍后再试"
}

// Fields returns the per-field messages of an EINVALID error, or nil.
func Fields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool { return Code(err) == code }

// RetryAfter returns how long err asks the client to wait, 0 when it does
// not say.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

package view

import (
	"database/sql"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Funcs is the function map every page shares. Dates are shown in loc; a
// zero time, a nil pointer or an invalid sql.NullTime shows as nothing.
//
//	asset "office.css"   /static/office.css?v=3f2a…  (content-hashed URL)
//	date t               2026-11-03
//	datetime t           2026-11-03 09:00
//	timestamp t          2026-11-03 09:00:05
//	cndate t             2026年11月3日
//	cndatetime t         2026年11月3日 09:00
//	lines s              s split at line breaks
//	join list sep        strings.Join
//	truncate s n         the first n characters of s, then "…"
//	has list s           whether list holds s
//	errOf fields name    the error message of one form field ("" when none)
func Funcs(loc *time.Location, a *Assets) template.FuncMap {
	format := func(layout string) func(any) (string, error) {
		return func(v any) (string, error) {
			t, err := timeOf(v)
			if err != nil || t.IsZero() {
				return "", err
			}
			return t.In(loc).Format(layout), nil
		}
	}
	return template.FuncMap{
		"asset":      a.URL,
		"date":       format("2006-01-02"),
		"datetime":   format("2006-01-02 15:04"),
		"timestamp":  format("2006-01-02 15:04:05"),
		"cndate":     format("2006年1月2日"),
		"cndatetime": format("2006年1月2日 15:04"),
		"lines":      func(s string) []string { return strings.Split(s, "\n") },
		"join":       strings.Join,
		"truncate":   Truncate,
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"errOf": func(fields map[string]string, name string) string { return fields[name] },
	}
}

// timeOf reads the times templates are given: time.Time, *time.Time and
// sql.NullTime (a missing one is the zero time). Anything else is an error:
// a template that formats a string as a date is a bug to see at once.
func timeOf(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case *time.Time:
		if x != nil {
			return *x, nil
		}
	case sql.NullTime:
		if x.Valid {
			return x.Time, nil
		}
	case *sql.NullTime:
		if x != nil && x.Valid {
			return x.Time, nil
		}
	case nil:
	default:
		return time.Time{}, fmt.Errorf("view: %T is not a time", v)
	}
	return time.Time{}, nil
}

// Truncate keeps the first n characters (runes) of s and marks the cut with
// "…".
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

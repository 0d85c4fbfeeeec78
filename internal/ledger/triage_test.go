package ledger_test

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"ecoreport/internal/ledger"
)

// TestTriageReadsWhatTheSourceGave: import warnings keep their raw value but
// never a phone in clear, extra values come as given (a phone-like one
// masked), coordinates are read from Open311's extra values, and a hotline
// ticket's reply deadline is the feedback due date.
func TestTriageReadsWhatTheSourceGave(t *testing.T) {
	due := time.Date(2026, 11, 10, 15, 59, 59, 0, time.UTC)
	tests := []struct {
		name      string
		c         ledger.Complaint
		warnings  []string
		extra     []ledger.Field
		lat, long string
		overdue   bool
	}{
		{name: "Nothing", c: ledger.Complaint{Status: ledger.Received}},
		{name: "HotlineWarnings", c: ledger.Complaint{Status: ledger.Received,
			Warnings:   `["未识别的乡镇：某某镇","电话号码格式无法识别：0915-12","电话号码格式无法识别：****45"]`,
			Extra:      `[{"name":"承办科室","value":"执法大队"},{"name":"备用电话","value":"13812345678"}]`,
			ReplyDueAt: sqlTime(due)},
			warnings: []string{"未识别的乡镇：某某镇", "电话号码格式无法识别：****512", "电话号码格式无法识别：****45"},
			extra:    []ledger.Field{{Name: "承办科室", Value: "执法大队"}, {Name: "备用电话", Value: "138****5678"}},
			overdue:  true},
		{name: "HotlineAnsweredInTime", c: ledger.Complaint{Status: ledger.Refused, ReplyDueAt: sqlTime(due)}},
		{name: "Open311Coordinates", c: ledger.Complaint{Status: ledger.Accepted, Extra: `[{"name":"lat","value":"33.038100"},{"name":"long","value":"108.248000"}]`},
			extra: []ledger.Field{{Name: "lat", Value: "33.038100"}, {Name: "long", Value: "108.248000"}}, lat: "33.038100", long: "108.248000"},
		{name: "BrokenJSON", c: ledger.Complaint{Status: ledger.Received, Warnings: `[`, Extra: `{`}},
	}
	now := due.Add(time.Hour)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.WarningList(); !slices.Equal(got, tt.warnings) {
				t.Fatalf("warnings %q", got)
			}
			if got := tt.c.ExtraFields(); !slices.Equal(got, tt.extra) {
				t.Fatalf("extra %q", got)
			}
			lat, long, ok := tt.c.Coordinates()
			if lat != tt.lat || long != tt.long || ok != (tt.lat != "") {
				t.Fatalf("coordinates %s %s %v", lat, long, ok)
			}
			if got := tt.c.FeedbackOverdue(now); got != tt.overdue {
				t.Fatalf("feedback overdue %v", got)
			}
		})
	}
}

func sqlTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }

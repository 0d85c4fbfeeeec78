package hotline

import (
	"context"
	"strings"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
)

const pushBody = `[
 {"ticket_no": "P001", "received_at": "2026-11-03 14:22:05", "content": "夜间施工噪声扰民", "caller_name": "王五",
  "caller_phone": "+86 138 1234 5678", "town": "城关", "categories": ["噪声", "扬尘"], "wants_reward": true, "工单来源": "12345"},
 {"ticket_no": "P002", "received_at": 46329.598, "content": "河道排污", "anonymous": true, "caller_phone": "13900001234", "town": "某某镇"},
 {"ticket_no": "P003", "received_at": "不是时间", "content": "缺时间"}
]`

// TestPush imports pushed tickets like a file: one result per ticket in
// order, caller tracking by ticket and last four digits, and the same push
// again changes nothing.
func TestPush(t *testing.T) {
	im := impNew(t, dbtest.MustOpenDB(t))
	ctx := context.Background()
	resp, err := im.Push(ctx, "shiquan-12345", []byte(pushBody), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{OutcomeImported, OutcomeImported, OutcomeRejected}
	if len(resp.Results) != len(want) {
		t.Fatalf("results %+v", resp.Results)
	}
	for i, r := range resp.Results {
		if r.Outcome != want[i] || r.Index != i {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if len(resp.Results[0].TrackingCode) != 19 || resp.Results[2].Errors == nil || resp.Results[1].Warnings == nil {
		t.Errorf("results %+v", resp.Results)
	}
	for no, l4 := range map[string]string{"P001": "5678", "P002": "1234"} {
		if _, err := im.Ledger.TrackTicket(ctx, no, l4); err != nil {
			t.Errorf("track %s: %v", no, err)
		}
	}
	again, err := im.Push(ctx, "shiquan-12345", []byte(pushBody), 0)
	if err != nil || again.Results[0].Outcome != OutcomeUnchanged || again.Results[1].Outcome != OutcomeUnchanged {
		t.Fatalf("again: %+v %v", again, err)
	}

	bad := []struct {
		name string
		body string
		max  int
		msg  string
	}{
		{"ErrNotAnArray", `{"ticket_no":"x"}`, 0, "JSON 数组"},
		{"ErrEmpty", `[]`, 0, "1 至 2000"},
		{"ErrTooMany", `[{"ticket_no":"a"},{"ticket_no":"b"}]`, 1, "1 至 1"},
		{"ErrNotJSON", `ticket_no=x`, 0, "JSON 数组"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := im.Push(ctx, "shiquan-12345", []byte(tt.body), tt.max)
			if apperr.Code(err) != apperr.EINVALID || !strings.Contains(apperr.Fields(err)["body"], tt.msg) {
				t.Fatalf("got %v %v", err, apperr.Fields(err))
			}
		})
	}
}

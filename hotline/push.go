package hotline

// The push contract (推送接口): a hotline system sends a JSON array of
// tickets, which take the same path as a file (the same outcomes, the same
// idempotency). The HTTP side is internal/hotlineapi.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// DefaultMaxPushed is how many tickets one push may carry.
const DefaultMaxPushed = 2000

// PushResult is the answer for one pushed ticket.
type PushResult struct {
	Index        int      `json:"index"`
	TicketNo     string   `json:"ticket_no"`
	Outcome      string   `json:"outcome"`
	TrackingCode string   `json:"tracking_code,omitempty"`
	Note         string   `json:"note,omitempty"` // stale: which version superseded it
	Warnings     []string `json:"warnings,omitempty"`
	Errors       []string `json:"errors,omitempty"`
}

// PushResponse is the answer to a push.
type PushResponse struct {
	BatchID int64        `json:"batch_id"`
	Results []PushResult `json:"results"`
}

// Push imports the tickets of one push by client (already verified) and
// answers one result per ticket, in order. EINVALID (field body) when body is
// not a JSON array of 1 to max tickets (max ≤ 0: DefaultMaxPushed).
// EUNAVAILABLE or an internal error when the database fails; batches
// committed before that stay, and pushing the same tickets again is safe.
func (im *Importer) Push(ctx context.Context, client string, body []byte, max int) (*PushResponse, error) {
	var tickets []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&tickets); err != nil {
		return nil, apperr.Invalid(map[string]string{"body": "请求体须为工单的 JSON 数组：" + jsonMessage(err)})
	}
	if max <= 0 {
		max = DefaultMaxPushed
	}
	if len(tickets) == 0 || len(tickets) > max {
		return nil, apperr.Invalid(map[string]string{"body": fmt.Sprintf("一次推送 1 至 %d 条工单", max)})
	}
	header, rows := pushTable(tickets)
	data := csvOf(header, rows)
	opt, err := im.options(ctx)
	if err != nil {
		return nil, err
	}
	opt.Aliases = mergeAliases(opt.Aliases, pushAliases)
	results := make([]PushResult, len(tickets))
	for i := range results {
		results[i] = PushResult{Index: i, TicketNo: stringValue(tickets[i]["ticket_no"]), Outcome: OutcomeRejected, Errors: []string{"工单为空"}}
	}
	operator := "hotline:" + client
	rc, err := im.run(ctx, SourcePush, "推送："+client, operator, ledger.Actor{Name: operator},
		func() (*Reader, error) { return NewReader(bytes.NewReader(data), "push.csv", opt) }, nil,
		func(r RowResult) {
			i := r.Row - 2 // row 1 is the header; one record a row
			if i < 0 || i >= len(results) {
				return
			}
			results[i] = PushResult{Index: i, TicketNo: results[i].TicketNo, Outcome: r.Outcome, TrackingCode: r.TrackingCode,
				Note: r.Note, Warnings: r.Warnings, Errors: r.Errors}
			if r.TicketNo != "" {
				results[i].TicketNo = r.TicketNo
			}
		}, func(rc *Receipt) {
			sum := sha256.Sum256(body)
			rc.SHA256 = hex.EncodeToString(sum[:])
		})
	if err != nil {
		if rc != nil && rc.Total() > 0 {
			err = fmt.Errorf("hotline: push by %s stopped after %d tickets (those committed): %w", client, rc.Total(), err)
		} else {
			err = fmt.Errorf("hotline: push by %s: %w", client, err)
		}
		return nil, db.Classify(err)
	}
	return &PushResponse{BatchID: rc.BatchID, Results: results}, nil
}

// pushColumns are the contract's field names, in the order of the CSV the
// pushed tickets become.
var pushColumns = []string{"ticket_no", "received_at", "content", "caller_name", "caller_phone", "anonymous", "town",
	"address", "category", "subject", "due_at", "wants_reward", "updated_at"}

var pushAliases = func() map[string][]string {
	m := map[string][]string{}
	for _, k := range pushColumns {
		m[k] = []string{k}
	}
	return m
}()

// pushTable turns pushed JSON tickets into a header and rows: the contract's
// fields first, then any other field in name order (kept as extra columns).
func pushTable(tickets []map[string]json.RawMessage) ([]string, [][]string) {
	known := map[string]bool{"categories": true}
	for _, k := range pushColumns {
		known[k] = true
	}
	extraSet := map[string]bool{}
	for _, t := range tickets {
		for k := range t {
			if !known[k] {
				extraSet[k] = true
			}
		}
	}
	extras := make([]string, 0, len(extraSet))
	for k := range extraSet {
		extras = append(extras, k)
	}
	sort.Strings(extras)
	header := append(append([]string(nil), pushColumns...), extras...)
	rows := make([][]string, len(tickets))
	for i, t := range tickets {
		row := make([]string, len(header))
		for j, k := range header {
			v := t[k]
			if k == "category" && len(v) == 0 {
				v = t["categories"]
			}
			row[j] = stringValue(v)
		}
		rows[i] = row
	}
	return header, rows
}

// stringValue writes a JSON value as a cell: strings as they are, numbers as
// written, booleans as 是/否, arrays joined with 、.
func stringValue(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		if b {
			return "是"
		}
		return "否"
	}
	var arr []json.RawMessage
	if json.Unmarshal(v, &arr) == nil {
		parts := make([]string, len(arr))
		for i, x := range arr {
			parts[i] = stringValue(x)
		}
		return strings.Join(parts, "、")
	}
	if string(v) == "null" {
		return ""
	}
	return string(bytes.TrimSpace(v)) // numbers as written; objects as JSON text
}

func mergeAliases(a, b map[string][]string) map[string][]string {
	m := map[string][]string{}
	for k, v := range a {
		m[k] = append(m[k], v...)
	}
	for k, v := range b {
		m[k] = append(m[k], v...)
	}
	return m
}

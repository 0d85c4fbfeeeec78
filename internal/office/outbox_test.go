package office_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestOutboxPage: an admin sees every message and retries a dead one; a
// hotline operator sees only the callbacks to hotline systems.
func TestOutboxPage(t *testing.T) {
	e := newEnv(t)
	add := func(key, channel, label, status, lastError string) int64 {
		if _, err := e.db.Exec(`INSERT INTO outbox (msg_key, rule, channel, recipient, recipient_label, subject, body, status, attempts, next_at,
 last_error, provider_ref, created_at, updated_at) VALUES (?, 'x', ?, 'complaint:1', ?, '', '正文', ?, 10, ?, ?, '', ?, ?)`,
			key, channel, label, status, e.clk.now(), lastError, e.clk.now(), e.clk.now()); err != nil {
			t.Fatal(err)
		}
		return e.lastID("outbox")
	}
	sms := add("a", "sms", "R0000001 举报人 139****9001", "dead", "阿里云短信：isv.MOBILE_NUMBER_ILLEGAL")
	cb := add("b", "hotline", "热线系统 county-12369（工单 12369SQ1）", "dead", "接收方出错：HTTP 502")

	admin := e.session("admin")
	w := admin.get("/office/outbox")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "isv.MOBILE_NUMBER_ILLEGAL") || !strings.Contains(w.Body.String(), "HTTP 502") {
		t.Fatalf("admin's failures: %d %s", w.Code, w.Body)
	}
	seeOther(t, admin.post("/office/outbox/"+strconv.FormatInt(sms, 10)+"/retry"), "retry")
	var st string
	e.db.Get(&st, `SELECT status FROM outbox WHERE id = ?`, sms)
	if st != "pending" {
		t.Fatalf("after retry: %s", st)
	}

	op := e.session("operator")
	w = op.get("/office/outbox")
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "举报人") || !strings.Contains(w.Body.String(), "HTTP 502") {
		t.Fatalf("operator's view: %d %s", w.Code, w.Body)
	}
	if w := op.get("/office/outbox/" + strconv.FormatInt(sms, 10)); w.Code != http.StatusNotFound {
		t.Fatalf("operator opens an SMS: %d", w.Code)
	}
	if w := op.post("/office/outbox/" + strconv.FormatInt(sms, 10) + "/retry"); w.Code != http.StatusNotFound {
		t.Fatalf("operator retries an SMS: %d", w.Code)
	}
	seeOther(t, op.post("/office/outbox/"+strconv.FormatInt(cb, 10)+"/retry"), "operator retries a callback")
}

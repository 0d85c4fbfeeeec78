package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
)

// TestTrackShowsCaseProgress moves a filed complaint through the ledger and
// checks what the reporter sees: status, verification, unit, due date and
// the public timeline, on the page and in the API.
func TestTrackShowsCaseProgress(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, false)
	code := fileOne(t, v)
	var cid int64
	v.db.Get(&cid, "SELECT id FROM complaints")
	staff := ledger.Actor{Name: "inspector"}
	caseID, err := v.svc.Accept(ctx, cid, 0, staff, ledger.EventInput{InternalNote: "内部备注不应外泄"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.svc.StartVerification(ctx, caseID, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := v.svc.RecordVerification(ctx, caseID, ledger.Substantiated, "", staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := v.svc.Assign(ctx, caseID, 1, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("track = %d", w.Code)
	}
	for _, want := range []string{"核查结果</dt><dd>属实", "责任单位</dt><dd>城关镇", "办结期限", "已交责任单位限期整改"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "内部备注不应外泄") || strings.Contains(body, "inspector") {
		t.Fatal("internal note or staff name shown")
	}
	w = v.postJSON("/api/v1/track", fmt.Sprintf(`{"code": %q}`, code))
	var a trackAnswer
	json.Unmarshal(w.Body.Bytes(), &a)
	if a.Verification != "substantiated" || a.Unit != "城关镇" || a.DueLabel != "办结期限" || len(a.Events) < 3 {
		t.Fatalf("api = %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "内部备注") {
		t.Fatal("internal note in API")
	}
}

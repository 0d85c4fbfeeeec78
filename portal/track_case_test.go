package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

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

// TestReopenedCaseWithdrawsTheReply closes a case, then a new complaint
// brings it back ("reopen: the problem came back"): neither reporter's
// tracking page, the tracking API nor Open311 shows the old answer as the
// answer any more, and Open311 lists both as open again.
func TestReopenedCaseWithdrawsTheReply(t *testing.T) {
	ctx := context.Background()
	v := newEnv(t, false)
	code := fileOne(t, v)
	var first int64
	v.db.Get(&first, "SELECT id FROM complaints")
	staff := ledger.Actor{Name: "inspector"}
	caseID, err := v.svc.Accept(ctx, first, 0, staff, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return v.svc.StartVerification(ctx, caseID, staff, ledger.EventInput{}) },
		func() error {
			return v.svc.RecordVerification(ctx, caseID, ledger.Substantiated, "经核查属实。", staff, ledger.EventInput{})
		},
		func() error { return v.svc.Assign(ctx, caseID, 1, staff, ledger.EventInput{}) },
		func() error { return v.svc.SubmitRectification(ctx, caseID, staff, ledger.EventInput{}) },
		func() error {
			return v.svc.Close(ctx, caseID, "已整改到位，予以销号。", staff, ledger.EventInput{})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}}); !strings.Contains(w.Body.String(), "已整改到位，予以销号。") {
		t.Fatalf("closed case without its reply:\n%s", w.Body)
	}
	again, err := v.svc.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Description: "砂石厂又开始夜里生产了，粉尘很大。", Identity: ledger.Anonymous}, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.svc.Accept(ctx, again.Complaint.ID, caseID, staff, ledger.EventInput{}); !strings.Contains(fmt.Sprint(err), "已销号") {
		t.Fatalf("accepted into a closed case: %v", err)
	}
	if _, err := v.svc.AcceptReopening(ctx, again.Complaint.ID, caseID, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{code, again.TrackingCode} {
		body := v.post("/track", url.Values{"csrf": {v.token()}, "code": {c}}).Body.String()
		if !strings.Contains(body, "整改中") || !strings.Contains(body, "此前的答复已撤回") {
			t.Fatalf("reopened case's tracking page:\n%s", body)
		}
		if i := strings.Index(body, "<h2>答复</h2>"); i >= 0 && strings.Contains(body[i:i+300], "予以销号") {
			t.Fatalf("the old reply still stands as the answer:\n%s", body)
		}
		w := v.postJSON("/api/v1/track", fmt.Sprintf(`{"code": %q}`, c))
		var a trackAnswer
		json.Unmarshal(w.Body.Bytes(), &a)
		if a.PublicReply != "" || !a.ReplyWithdrawn || a.Status != string(ledger.Rectifying) {
			t.Fatalf("api = %s", w.Body)
		}
	}
	rs, err := (&Open311{Ledger: v.svc, Location: time.UTC}).list(ctx, ledger.PublicFilter{IDs: []int64{first, again.Complaint.ID}, Limit: 10})
	if err != nil || len(rs) != 2 {
		t.Fatalf("open311 %v %v", rs, err)
	}
	for _, r := range rs {
		if r.Status != "open" || strings.Contains(r.StatusNotes, "予以销号") {
			t.Fatalf("open311 request %+v", r)
		}
	}
}

package hotline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify"
)

// hotlineSystem is a stand-in for a 12369 system that receives callbacks:
// it checks each signature with its own HMAC and takes each delivery id
// once, as the contract asks of a receiver.
type hotlineSystem struct {
	*httptest.Server
	secret []byte
	mu     sync.Mutex
	got    []map[string]any // accepted deliveries, in order
	seen   map[string]int   // delivery id → requests answered
	tries  map[string]int   // delivery id → requests received
	bad    int
	hang   bool
}

func newHotlineSystem() *hotlineSystem {
	h := &hotlineSystem{seen: map[string]int{}, tries: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		hang := h.hang
		m := hmac.New(sha256.New, h.secret)
		m.Write([]byte(r.Header.Get("X-Timestamp") + "\n"))
		m.Write(body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Timestamp"), 10, 64)
		ok := hex.EncodeToString(m.Sum(nil)) == r.Header.Get("X-Signature") && r.Header.Get("X-Client") == "county-12369" &&
			time.Since(time.Unix(ts, 0)).Abs() < 5*time.Minute && r.Method == http.MethodPost
		id := r.Header.Get("X-Delivery-Id")
		if !ok || id == "" {
			h.bad++
			h.mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		h.seen[id]++
		h.tries[id]++
		first := h.seen[id] == 1
		h.mu.Unlock()
		if hang {
			<-r.Context().Done()
			h.mu.Lock()
			h.seen[id]-- // never answered: not taken
			h.mu.Unlock()
			return
		}
		if first {
			var v map[string]any
			json.Unmarshal(body, &v)
			h.mu.Lock()
			h.got = append(h.got, v)
			h.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	return h
}

func (h *hotlineSystem) deliveries() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.got...)
}

func TestEachPublicChangeOfATicketIsCalledBackOnce(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	cl := &Clients{DB: d, Keys: im.Ledger.Keys}
	sec, err := cl.Add(ctx, "county-12369")
	if err != nil {
		t.Fatal(err)
	}
	sys := newHotlineSystem()
	defer sys.Close()
	sys.secret = []byte(sec)
	if err := cl.SetCallback(ctx, "county-12369", sys.URL+"/ecoreport/callback"); err != nil {
		t.Fatal(err)
	}
	o := &notify.Outbox{DB: d, Keys: im.Ledger.Keys, Settings: notify.DefaultSettings}
	o.Settings.Timeout = time.Second
	cb := &Callbacks{DB: d, Keys: im.Ledger.Keys, Feedback: &Feedback{Ledger: im.Ledger, DB: d, DefaultUnit: "生态环境分局"}}
	im.Ledger.OnEvent = append(im.Ledger.OnEvent, o.Hook, cb.Hook)
	w := &notify.Worker{Outbox: o, Senders: map[string]notify.Sender{notify.ChannelHotline: cb, notify.ChannelSMS: notify.LogSender{}}}

	resp, err := im.Push(ctx, "county-12369", []byte(pushBody), 0)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := d.GetContext(ctx, &id, `SELECT id FROM complaints WHERE source_ref = 'P001'`); err != nil {
		t.Fatal(err)
	}
	by := ledger.Actor{Name: "inspector1"}
	caseID, err := im.Ledger.Accept(ctx, id, 0, by, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	w.RunOnce(ctx)
	steps := []func() error{
		func() error { return im.Ledger.StartVerification(ctx, caseID, by, ledger.EventInput{}) },
		func() error {
			return im.Ledger.RecordVerification(ctx, caseID, ledger.Substantiated, "属实，已责令停工整改。", by, ledger.EventInput{})
		},
		func() error {
			_, err := im.Ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "夜间停止施工。", Deadline: time.Now().AddDate(0, 0, 10)}, by)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	// The receiver is down for a while: nothing is lost, nothing doubled.
	sys.mu.Lock()
	sys.hang = true
	sys.mu.Unlock()
	w.RunOnce(ctx) // times out after a second
	sys.mu.Lock()
	sys.hang = false
	sys.mu.Unlock()
	if _, err := d.ExecContext(ctx, `UPDATE outbox SET next_at = ?`, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	var notices []int64
	d.SelectContext(ctx, &notices, `SELECT id FROM notices WHERE case_id = ?`, caseID)
	if err := im.Ledger.ReportRectification(ctx, notices[0], 1, "已停工。", ledger.Actor{Name: "chengguan"}); err != nil {
		t.Fatal(err)
	}
	if err := im.Ledger.Close(ctx, caseID, "整改到位，已销号。", by, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ { // one callback per ticket per round: in order
		w.RunOnce(ctx)
	}

	got := sys.deliveries()
	var events []string
	for _, g := range got {
		events = append(events, g["event"].(string)+" "+g["办理状态"].(string))
	}
	want := []string{"accepted 已受理", "verifying 核查中", "verified 核查中", "rectifying 整改中", "closed 已销号"}
	if len(events) != len(want) {
		t.Fatalf("callbacks %q, want %q", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("callbacks %q, want %q", events, want)
		}
	}
	if last := got[len(got)-1]; last["工单编号"] != "P001" || last["是否属实"] != "属实" || last["办理结果(答复内容)"] != "整改到位，已销号。" ||
		last["查询码"] != "R"+strconv.FormatInt(id+10000000, 10)[1:] {
		t.Fatalf("closing callback %v", last)
	}
	sys.mu.Lock()
	defer sys.mu.Unlock()
	retried := 0
	for id, n := range sys.tries {
		if n > 1 {
			retried++
		}
		if sys.seen[id] != 1 {
			t.Errorf("delivery %s answered %d times", id, sys.seen[id])
		}
	}
	if sys.bad != 0 || len(sys.tries) != 5 || retried != 1 {
		t.Fatalf("%d badly signed, %d delivery ids, %d retried after the outage (want 1)", sys.bad, len(sys.tries), retried)
	}
	if resp.Results[0].TicketNo != "P001" {
		t.Fatal(resp.Results[0])
	}
}

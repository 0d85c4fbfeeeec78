package office_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

var codeRE = regexp.MustCompile(`查询码：<strong>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>`)

// TestRegisterByHand: an operator registers a visit; the resident takes the
// tracking code home; the complaint waits in the inspectors' inbox.
func TestRegisterByHand(t *testing.T) {
	e := newEnv(t)
	op := e.login("operator")
	w := op.get("/office/")
	if w.Header().Get("Location") != "/office/register" {
		t.Fatalf("operator home %s", w.Header().Get("Location"))
	}
	mustContain(t, op.get("/office/register"), "来访", "来信", "书记民情账")

	w = op.post("/office/register", "channel", "web", "description", "短", "identity", "confidential")
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad form %d", w.Code)
	}
	mustContain(t, w, "请选择来访、来信或书记民情账", "保密举报请至少留下姓名或电话")
	if n := e.count(`SELECT COUNT(*) FROM complaints`); n != 0 {
		t.Fatalf("bad form filed %d", n)
	}

	w = op.post("/office/register", "channel", "visit", "categories", "water", "town_id", "2", "address", "饶峰镇街道",
		"subject", "某养殖场", "description", "养殖场污水直排河道，气味很大。", "identity", "confidential",
		"name", "李四", "phone", "13900001111", "received", "2026-11-02")
	m := codeRE.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("register %d %s", w.Code, w.Body)
	}
	cm, err := e.ledger.Track(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if cm.Channel != ledger.ChannelVisit || !cm.CreatedBy.Valid || cm.ReceivedAt.In(e.ledger.Location).Format("2006-01-02") != "2026-11-02" {
		t.Fatalf("registered %+v", cm)
	}
	if e.audited("operator", "complaint.filed") != 1 {
		t.Fatal("registration not audited")
	}
	insp := e.login("inspector")
	mustContain(t, insp.get("/office/inbox"), cm.Ref(), "来访")
	mustContain(t, insp.get("/office/complaints/"+strconv.FormatInt(cm.ID, 10)), "来访", "李* 139****1111")
}

// TestRegisterPhone: the register form reads a phone as the portal does,
// stores it in its one stored form and refuses what is not a phone with the
// portal's message, keeping what the operator typed.
func TestRegisterPhone(t *testing.T) {
	tests := []struct {
		name, typed, stored string
		ok                  bool
	}{
		{"OK/CountryCodeAndSpaces", "+86 139 0000 1111", "13900001111", true},
		{"OK/FullWidth", "１３９００００１１１１", "13900001111", true},
		{"OK/LandlineSpaced", "0915 6321234", "0915-6321234", true},
		{"OK/Extension", "0915-6321234转801", "0915-6321234-801", true},
		{"OK/NameOnly", "", "", true},
		{"ErrServiceNumber", "12345", "", false},
		{"ErrShortLandline", "0915-12", "", false},
		{"ErrText", "白天打", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			op := e.login("operator")
			w := op.post("/office/register", "channel", "letter", "categories", "noise", "town_id", "2",
				"description", "夜间施工噪声扰民，影响休息。", "identity", "confidential", "name", "王五", "phone", tt.typed)
			if !tt.ok {
				if w.Code != http.StatusUnprocessableEntity {
					t.Fatalf("register %q: %d", tt.typed, w.Code)
				}
				mustContain(t, w, phone.Invalid, `value="`+tt.typed+`"`)
				if n := e.count(`SELECT COUNT(*) FROM complaints`); n != 0 {
					t.Fatalf("bad phone filed %d", n)
				}
				return
			}
			m := codeRE.FindStringSubmatch(w.Body.String())
			if w.Code != http.StatusOK || m == nil {
				t.Fatalf("register %q: %d %s", tt.typed, w.Code, w.Body)
			}
			cm, err := e.ledger.Track(context.Background(), m[1])
			if err != nil {
				t.Fatal(err)
			}
			ct, err := e.ledger.Contact(cm)
			if err != nil || ct == nil || ct.Name != "王五" || ct.Phone != tt.stored {
				t.Fatalf("contact %+v, %v; want phone %q", ct, err, tt.stored)
			}
		})
	}
}

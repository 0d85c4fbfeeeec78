package office_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
)

func TestAskReporter(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
	}{
		{"OK", "请问噪声一般在夜里几点开始？", http.StatusSeeOther},
		{"OKScriptIsText", "<script>alert(1)</script>几点？", http.StatusSeeOther},
		{"ErrEmpty", "   ", http.StatusUnprocessableEntity},
		{"ErrTooLong", strings.Repeat("问", 1001), http.StatusUnprocessableEntity},
		{"ErrControlCharacters", "几点\x00？", http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cm := e.file(webComplaint())
			caseID, err := e.ledger.Accept(ctx, cm.ID, 0, fixture, ledger.EventInput{})
			if err != nil {
				t.Fatal(err)
			}
			insp := e.session("inspector")
			w := insp.post("/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"/messages", "body", tt.body)
			if w.Code != tt.wantCode {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			msgs := e.count(`SELECT COUNT(*) FROM messages WHERE complaint_id = ? AND direction = 'staff' AND author_id IS NOT NULL`, cm.ID)
			evs := e.count(`SELECT COUNT(*) FROM events WHERE complaint_id = ? AND kind = ?`, cm.ID, conversation.KindStaffMessage)
			if tt.wantCode != http.StatusSeeOther {
				if msgs != 0 || evs != 0 || e.audited("inspector", conversation.KindStaffMessage) != 0 {
					t.Fatal("a refused question changed the database")
				}
				return
			}
			if msgs != 1 || evs != 1 || e.audited("inspector", conversation.KindStaffMessage) != 1 {
				t.Fatalf("messages %d events %d", msgs, evs)
			}
			page := "/office/cases/" + strconv.FormatInt(caseID, 10) + "/messages"
			if loc := w.Header().Get("Location"); loc != page+"#c"+strconv.FormatInt(cm.ID, 10) {
				t.Fatalf("redirect %s", loc)
			}
			// The reporter sees that a question waits, not who asked.
			tl, err := e.ledger.PublicTimeline(ctx, &cm)
			if err != nil {
				t.Fatal(err)
			}
			if last := tl[len(tl)-1]; last.Kind != conversation.KindStaffMessage || !strings.Contains(last.PublicNote, "工作人员向您提出了问题") || last.Actor != "" {
				t.Fatalf("public timeline %+v", last)
			}
			// The reporter answers on the tracking page (portal's insert).
			if _, err := e.db.Exec(`INSERT INTO messages (complaint_id, direction, body, created_at) VALUES (?, 'resident', ?, ?)`,
				cm.ID, "晚上十点以后", e.clk.now()); err != nil {
				t.Fatal(err)
			}
			w = e.session("leader").get(page)
			if w.Code != http.StatusOK {
				t.Fatalf("leader %d", w.Code)
			}
			mustContain(t, w, cm.Ref(), "工作人员（督查人员甲）提问", "举报人回复", "晚上十点以后")
			mustNotContain(t, w, "<script>", "13812345678", "张三", "向举报人提问（") // leaders read, never ask
			mustContain(t, insp.get(page), "向举报人提问（")
			// The case page links to the conversation.
			mustContain(t, insp.get("/office/cases/"+strconv.FormatInt(caseID, 10)), page)
		})
	}
}

func TestAskReporterLimits(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint()) // still in the inbox: questions before acceptance are fine
	insp := e.session("inspector")
	p := "/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/messages"
	for i := 0; i < 20; i++ {
		if w := insp.post(p, "body", "问题"+strconv.Itoa(i)); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"#evidence" {
			t.Fatalf("question %d: %d %s", i, w.Code, w.Header().Get("Location"))
		}
	}
	if w := insp.post(p, "body", "再问一次"); w.Code != http.StatusConflict {
		t.Fatalf("21st question: %d", w.Code)
	}
	if w := insp.post("/office/complaints/99999/messages", "body", "在吗"); w.Code != http.StatusNotFound {
		t.Fatalf("unknown complaint: %d", w.Code)
	}
	if w := insp.get("/office/cases/99999/messages"); w.Code != http.StatusNotFound {
		t.Fatalf("unknown case: %d", w.Code)
	}
}

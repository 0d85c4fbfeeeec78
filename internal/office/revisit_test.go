package office_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"ecoreport/internal/auth"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
)

var fixture = ledger.Actor{Name: "fixture"}

// closedCase files a complaint and works it through to 验收销号 with the
// ledger; it returns the case and its complaint.
func (e *env) closedCase() (int64, ledger.Complaint) {
	e.t.Helper()
	cm := e.file(webComplaint())
	id, err := e.ledger.Accept(ctx, cm.ID, 0, fixture, ledger.EventInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	steps := []func() error{
		func() error { return e.ledger.StartVerification(ctx, id, fixture, ledger.EventInput{}) },
		func() error {
			return e.ledger.RecordVerification(ctx, id, ledger.Substantiated, "属实", fixture, ledger.EventInput{})
		},
		func() error {
			_, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: 1, Requirements: "整改", Deadline: e.clk.now().Add(72 * time.Hour)}, fixture)
			return err
		},
		func() error { return e.ledger.SubmitRectification(ctx, id, fixture, ledger.EventInput{}) },
		func() error { return e.ledger.Close(ctx, id, "已整改到位。", fixture, ledger.EventInput{}) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			e.t.Fatal(err)
		}
	}
	return id, cm
}

func (e *env) followup(complaintID int64, kind string) {
	e.t.Helper()
	if _, err := e.db.Exec(`INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, ?, ?, 'open', '', ?)`,
		complaintID, kind, "夜里又开工了，粉尘很大", e.clk.now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) caseStatus(id int64) ledger.CaseStatus {
	e.t.Helper()
	c, err := e.ledger.Case(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Status
}

func TestRevisitList(t *testing.T) {
	e := newEnv(t)
	id, cm := e.closedCase()
	ref := ledger.CaseRef(id)
	mustNotContain(t, e.session("inspector").get("/office/revisits"), ref)
	e.clk.add(90 * 24 * time.Hour)
	insp := e.session("inspector") // the first session timed out meanwhile
	w := insp.get("/office/revisits")
	mustContain(t, w, ref, "整改成效巩固", "问题反弹，退回重新整改")
	// A leader reads the list without the buttons.
	w = e.session("leader").get("/office/revisits")
	mustContain(t, w, ref)
	mustNotContain(t, w, "整改成效巩固")

	// A resident's "came back" request shows beside it.
	e.followup(cm.ID, "came_back")
	mustContain(t, insp.get("/office/revisits"), cm.Ref(), "问题又出现了", "夜里又开工了", "同时将问题退回重新整改")
}

func TestRecordRevisitThroughTheOffice(t *testing.T) {
	tests := []struct {
		name       string
		form       []string
		wantCode   int
		wantStatus ledger.CaseStatus
		wantKind   string
	}{
		{"OKHolds", []string{"holds", "1", "note", "现场已无粉尘"}, http.StatusSeeOther, ledger.Closed, ledger.KindRevisitHeld},
		{"OKCameBack", []string{"holds", "0", "note", "夜间仍在生产"}, http.StatusSeeOther, ledger.Reopened, "case.reopened"},
		{"ErrCameBackWithoutNote", []string{"holds", "0"}, http.StatusUnprocessableEntity, ledger.Closed, "case.closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id, _ := e.closedCase()
			insp := e.session("inspector")
			w := insp.post("/office/cases/"+strconv.FormatInt(id, 10)+"/revisit", tt.form...)
			if w.Code != tt.wantCode {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if got := e.caseStatus(id); got != tt.wantStatus {
				t.Fatalf("status %s", got)
			}
			if k := e.kinds(id); k[len(k)-1] != tt.wantKind {
				t.Fatalf("kinds %v", k)
			}
			if tt.wantCode == http.StatusSeeOther {
				if e.audited("inspector", tt.wantKind) != 1 {
					t.Fatal("not audited")
				}
				mustContain(t, insp.get(w.Header().Get("Location")), "回头看")
			}
		})
	}
}

func TestAnswerFollowupThroughTheOffice(t *testing.T) {
	tests := []struct {
		name       string
		form       []string
		wantCode   int
		wantStatus ledger.CaseStatus
		wantOpen   int
	}{
		{"OK", []string{"answer", "已安排回访。"}, http.StatusSeeOther, ledger.Closed, 0},
		{"OKReopen", []string{"answer", "已责成重新整改。", "reopen", "1"}, http.StatusSeeOther, ledger.Reopened, 0},
		{"ErrNoAnswer", []string{"answer", ""}, http.StatusUnprocessableEntity, ledger.Closed, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id, cm := e.closedCase()
			e.followup(cm.ID, "not_solved")
			insp := e.session("inspector")
			back := "/office/cases/" + strconv.FormatInt(id, 10) + "/messages"
			w := insp.post("/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"/followup", append(tt.form, "back", back)...)
			if w.Code != tt.wantCode {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if got := e.caseStatus(id); got != tt.wantStatus {
				t.Fatalf("status %s", got)
			}
			if n := e.count(`SELECT COUNT(*) FROM followup_requests WHERE status = 'open'`); n != tt.wantOpen {
				t.Fatalf("open requests %d", n)
			}
			if tt.wantCode != http.StatusSeeOther {
				return
			}
			if loc := w.Header().Get("Location"); loc != back {
				t.Fatalf("back to %s", loc)
			}
			mustContain(t, insp.get(back), "答复", tt.form[1])
			tl, _ := e.ledger.PublicTimeline(ctx, &cm)
			if last := tl[len(tl)-1]; last.Kind != conversation.KindFollowupAnswer && last.Kind != "case.reopened" {
				t.Fatalf("public timeline ends with %+v", last)
			}
		})
	}
}

// TestBackStaysInTheOffice: the back field never sends anyone off site.
func TestBackStaysInTheOffice(t *testing.T) {
	for _, to := range []string{"https://evil.example/", "//evil.example/office/", "/office/\\evil", "javascript:alert(1)"} {
		e := newEnv(t)
		_, cm := e.closedCase()
		e.followup(cm.ID, "not_solved")
		w := e.session("inspector").post("/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"/followup", "answer", "好", "back", to)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/revisits" {
			t.Errorf("back %q: %d %s", to, w.Code, w.Header().Get("Location"))
		}
	}
}

// TestNewRoutesForbiddenRolesChangeNothing posts each of this module's
// forms as it would succeed, with every role the route table does not name:
// 403, and the module's own tables stay as they were (the shared
// TestEveryRouteWithEveryRole walks these routes too, with empty forms).
func TestNewRoutesForbiddenRolesChangeNothing(t *testing.T) {
	e := newEnv(t)
	id, cm := e.closedCase()
	e.followup(cm.ID, "not_solved")
	e.clk.add(91 * 24 * time.Hour)
	forms := map[string]url.Values{
		"/cases/:id/revisit":       {"holds": {"0"}, "note": {"反弹"}},
		"/complaints/:id/followup": {"answer": {"已答复"}},
		"/complaints/:id/messages": {"body": {"请问具体是几点？"}},
	}
	path := map[string]string{
		"/cases/:id/revisit":       "/office/cases/" + strconv.FormatInt(id, 10) + "/revisit",
		"/complaints/:id/followup": "/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/followup",
		"/complaints/:id/messages": "/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/messages",
	}
	state := func() string {
		return e.snapshot() + fmt.Sprint(e.count(`SELECT COUNT(*) FROM messages`), e.count(`SELECT COUNT(*) FROM followup_requests WHERE status = 'open'`),
			e.count(`SELECT COUNT(*) FROM cases WHERE revisit_due_at IS NOT NULL`))
	}
	seen := 0
	for _, rt := range office.Routes {
		f, ok := forms[rt.Path]
		if !ok || rt.Method != http.MethodPost {
			continue
		}
		seen++
		allowed := map[auth.Role]bool{}
		for _, r := range rt.Roles {
			allowed[r] = true
		}
		for _, r := range auth.Roles {
			if allowed[r] {
				continue
			}
			c := e.session(string(r))
			before := state()
			if w := c.do(http.MethodPost, path[rt.Path], cloneForm(f)); w.Code != http.StatusForbidden {
				t.Errorf("%s as %s: %d", rt.Path, r, w.Code)
			}
			if after := state(); after != before {
				t.Errorf("%s as %s changed the database", rt.Path, r)
			}
		}
		// And the named roles succeed with the same form.
		admin := e.session("admin")
		before := state()
		if w := admin.do(http.MethodPost, path[rt.Path], cloneForm(f)); w.Code != http.StatusSeeOther {
			t.Errorf("%s as admin: %d %s", rt.Path, w.Code, w.Body)
		}
		if state() == before {
			t.Errorf("%s as admin changed nothing", rt.Path)
		}
	}
	if seen != len(forms) {
		t.Fatalf("routes found %d of %d", seen, len(forms))
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}
